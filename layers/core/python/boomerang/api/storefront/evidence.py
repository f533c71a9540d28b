"""POST /v1/returns/{rma}/evidence: the customer uploads an unboxing photo or video (presigned POST)."""

# No `from __future__ import annotations`: see orders.py.
from typing import Annotated

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.metrics import MetricUnit

from boomerang.api.evidence_schemas import EvidenceIn, EvidenceUploadOut
from boomerang.api.storefront import ERRORS
from boomerang.api.storefront.deps import caller, deps

router = Router()  # type: ignore[no-untyped-call]
tracer = Tracer()


@router.post(
    "/v1/returns/<rma>/evidence",
    summary="Upload an unboxing photo or video: answers a presigned POST (type, size range, 15 minutes)",
    responses=ERRORS,
    tags=["returns"],
)
@tracer.capture_method(capture_response=False)
def post_evidence(rma: Annotated[str, Path(max_length=32)], body: EvidenceIn) -> Response[EvidenceUploadOut]:
    # Imported on first use, as the evidence service is made: out of the cold start.
    from boomerang.domain.evidence import Uploader

    d = deps()
    ret, _ = d.service.get_return(caller(router), rma)
    d.logger.append_keys(shop=ret.shop, order_id=ret.order_id, rma=ret.rma)
    made = d.evidence_service().presign_upload(
        ret, body.evidence_kind, body.content_type, body.size, Uploader.CUSTOMER, "customer", body.content_md5
    )
    d.metrics.add_metric(name="EvidenceUploadOffered", unit=MetricUnit.Count, value=1)
    return Response(
        status_code=201, content_type=content_types.APPLICATION_JSON, body=EvidenceUploadOut.of(made)
    )
