"""A return's evidence for staff: inspection photos attached, the list, and viewing one piece."""

# No `from __future__ import annotations`: see returns.py.
from typing import Annotated

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from boomerang.api.evidence_schemas import (
    EvidenceIn,
    EvidenceListOut,
    EvidenceOut,
    EvidenceUploadOut,
    EvidenceViewOut,
)
from boomerang.api.staff import ERRORS, RMA
from boomerang.api.staff.access import Staff
from boomerang.api.staff.deps import deps
from boomerang.api.staff.views import canonical, reached_return
from boomerang.domain.evidence import Uploader

router = Router()  # type: ignore[no-untyped-call]
tracer = Tracer()
EVIDENCE_ID = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="An evidence id")]


@router.post(
    "/admin/v1/returns/<rma>/evidence",
    summary="Attach inspection photos or video: answers a presigned POST (warehouse, admin)",
    responses=ERRORS,
    tags=["warehouse"],
)
@tracer.capture_method(capture_response=False)
def attach_evidence(staff: Staff, rma: RMA, body: EvidenceIn) -> Response[EvidenceUploadOut]:
    d = deps()
    ret = reached_return(staff, canonical(rma))
    made = d.evidence.presign_upload(
        ret, body.evidence_kind, body.content_type, body.size, Uploader.STAFF, staff.actor, body.content_md5
    )
    return Response(
        status_code=201, content_type=content_types.APPLICATION_JSON, body=EvidenceUploadOut.of(made)
    )


@router.get(
    "/admin/v1/returns/<rma>/evidence", summary="A return's evidence", responses=ERRORS, tags=["staff"]
)
@tracer.capture_method
def list_evidence(staff: Staff, rma: RMA) -> EvidenceListOut:
    d = deps()
    ret = reached_return(staff, canonical(rma))
    # The listing checks each file is still there (a file found gone goes on the timeline, alarmed).
    return EvidenceListOut(items=[EvidenceOut.of(e) for e in d.evidence.listing(ret.rma, staff.actor)])


@router.get(
    "/admin/v1/returns/<rma>/evidence/<evidence_id>",
    summary="A short-lived URL to view one piece of evidence; the view goes on the timeline",
    responses=ERRORS,
    tags=["staff"],
)
@tracer.capture_method(capture_response=False)
def view_evidence(staff: Staff, rma: RMA, evidence_id: EVIDENCE_ID) -> EvidenceViewOut:
    d = deps()
    target = canonical(rma)
    reached_return(staff, target)  # before the view is made and put on the timeline
    view = d.evidence.view_url(target, evidence_id, staff.actor)
    d.logger.info("evidence viewed", extra={"evidence_id": evidence_id})
    return EvidenceViewOut.of(view)
