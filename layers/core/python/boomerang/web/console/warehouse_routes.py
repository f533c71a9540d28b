"""The warehouse screen, for a barcode scanner and a keyboard alone.

    GET  /admin/warehouse?hub=                  the scan field, cursor in it (a scanner types the RMA
                                                and Enter); the hub is chosen once and kept in the URL
    POST /admin/warehouse/scans                 the parcel is received at the hub; its return opens
    GET  /admin/warehouse/returns/{rma}?hub=    grade each item (a select: type r, n or s), add photos
    POST /admin/returns/{rma}/inspection        the grades; back to the scan field
    POST /admin/returns/{rma}/photos            an upload offer (presigned POST) for the page's script

Scans and grades go through the same workflow as the staff API's POST /admin/v1/warehouse/scans and
POST /admin/v1/returns/{rma}/inspection, with the same checks (warehouse or admin; their shops).
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import ValidationError

from boomerang.api.admin_schemas import InspectionIn
from boomerang.domain import rma as rma_numbers
from boomerang.domain.errors import DomainError, NotFound
from boomerang.domain.status import ReturnStatus
from boomerang.web import pages
from boomerang.web.console import pages as console
from boomerang.web.console.pages import N_
from boomerang.web.deps import deps

router = Router()  # type: ignore[no-untyped-call]
SCAN = ("POST", "/admin/v1/warehouse/scans")
INSPECT = ("POST", "/admin/v1/returns/{rma}/inspection")
PHOTOS = ("POST", "/admin/v1/returns/{rma}/evidence")
GRADES = (("resellable", N_("Resellable")), ("needs_repair", N_("Needs repair")), ("scrap", N_("Scrap")))


def _hubs(shops: list[str]) -> list[tuple[str, str]]:
    d = deps()
    found: dict[str, str] = {}
    for shop in shops:
        for hub in d.policies(shop).hubs:
            found.setdefault(hub.hub_id, hub.name)
    return sorted(found.items())


def _screen(
    found: Any, hub: str, status: int = 200, error: str = "", code: str = "", done: str = ""
) -> Response[str]:
    page = console.page_of(router, found, "warehouse")
    hubs = _hubs(console.shops_of(found.member))
    return console.html(
        page, "warehouse.html", status=status, hub=hub, hubs=hubs, error=error, code=code, done=done
    )


@router.get("/admin/warehouse")
def get_warehouse() -> Response[str]:
    found = console.signed_in(router)
    if isinstance(found, Response):
        return found
    console.require_group(found.member, *SCAN)
    query = pages.query(router)
    return _screen(found, query.get("hub", "").strip()[:64], done=query.get("done", "")[:32])


@router.post("/admin/warehouse/scans")
def post_scan() -> Response[str]:
    done = console.posted(router)
    if isinstance(done, Response):
        return done
    found, sent = done
    console.require_group(found.member, *SCAN)
    d = deps()
    hub, code = sent.get("hub", "").strip()[:64], sent.get("code", "").strip()[:64]
    if not hub:
        return _screen(found, hub, 422, N_("Choose the hub you work at first."), code)
    try:
        rma = rma_numbers.normalize(code)
    except rma_numbers.InvalidRma:
        return _screen(found, hub, 422, N_("Not an RMA number: check the code and scan it again."), code)
    try:
        ret, _ = d.repo.get_return(rma)
        console.reach(found.member, ret.shop)  # another shop's parcel scans as an unknown one
        if ret.status != ReturnStatus.RECEIVED:  # scanned again: it opens, nothing moves
            ret = d.console.workflow.scan(code, hub, found.member.actor)
    except DomainError as exc:
        d.logger.info("scan refused", extra={"code": exc.code})
        message = N_("No such return here.") if isinstance(exc, NotFound) else exc.message
        return _screen(found, hub, exc.http_status, message, code)
    d.logger.append_keys(shop=ret.shop, rma=ret.rma)
    d.logger.info("received in the console", extra={"actor": found.member.actor})
    return pages.redirect(f"{pages.base_path(router)}{console.ROOT}/warehouse/returns/{ret.rma}?hub={hub}")


def _reached(found: Any, rma: str) -> Any:
    try:
        canonical = rma_numbers.normalize(rma)
    except rma_numbers.InvalidRma as exc:
        raise NotFound(str(exc), code="invalid_rma") from exc
    ret, _ = deps().repo.get_return(canonical)
    console.reach(found.member, ret.shop)
    return ret


def _grading(found: Any, rma: str, hub: str, status: int = 200, error: str = "") -> Response[str]:
    d = deps()
    ret = _reached(found, rma)
    try:
        titles = {line.line_id: line.title for line in d.repo.get_order(ret.shop, ret.order_id).lines}
    except NotFound:
        titles = {}
    page = console.page_of(router, found, "warehouse")
    return console.html(
        page, "grade.html", status=status, ret=ret, hub=hub, titles=titles, grades=GRADES, error=error,
        photos=page.may(*PHOTOS),
    )  # fmt: skip


@router.get("/admin/warehouse/returns/<rma>")
def get_grading(rma: str) -> Response[str]:
    found = console.signed_in(router)
    if isinstance(found, Response):
        return found
    console.require_group(found.member, *INSPECT)
    return _grading(found, rma, pages.query(router).get("hub", "")[:64])


@router.post("/admin/returns/<rma>/inspection")
def post_inspection(rma: str) -> Response[str]:
    done = console.posted(router)
    if isinstance(done, Response):
        return done
    found, sent = done
    console.require_group(found.member, *INSPECT)
    d = deps()
    hub = sent.get("hub", "")[:64]
    ret = _reached(found, rma)  # another shop's return: 404 before anything is done
    items = [
        {"line_id": item.line_id, "grade": sent.get(f"grade_{item.line_id}", ""),
         "notes": sent.get(f"notes_{item.line_id}", "").strip() or None}
        for item in ret.items
    ]  # fmt: skip
    try:
        body = InspectionIn.model_validate({"items": items})
    except ValidationError:
        return _grading(found, rma, hub, 422, N_("Grade every item: resellable, needs repair or scrap."))
    try:
        d.console.workflow.inspect(ret.rma, body.gradings(), found.member.actor)
    except DomainError as exc:
        d.logger.info("inspection refused", extra={"code": exc.code})
        return _grading(found, rma, hub, exc.http_status, exc.message)
    d.logger.info("inspected in the console", extra={"actor": found.member.actor})
    return pages.redirect(f"{pages.base_path(router)}{console.ROOT}/warehouse?hub={hub}&done={ret.rma}")


@router.post("/admin/returns/<rma>/photos")
def post_photos(rma: str) -> Response[str]:
    """JSON for the grading page's script: the presigned POST of one inspection photo."""
    from boomerang.domain.evidence import EvidenceKind, Uploader

    found = console.session(router)
    headers = pages.headers(router)
    if found is None or not found.csrf_holds(deps().console.key(), headers.get("x-csrf-token")):
        return _json(403, {"error": {"code": "csrf_failed", "message": "Reload the page."}})
    d = deps()
    try:
        console.require_group(found.member, *PHOTOS)
        ret = _reached(found, rma)
        sent = json.loads(router.current_event.body or "{}")
        size = sent["size"]
        if not isinstance(size, int) or isinstance(size, bool):
            raise ValueError("size")
        made = d.console.evidence.presign_upload(
            ret, EvidenceKind.PHOTO, str(sent["content_type"]), size, Uploader.STAFF, found.member.actor
        )
    except (KeyError, ValueError, TypeError):
        return _json(422, {"error": {"code": "validation_failed", "message": "content_type and size"}})
    except DomainError as exc:
        return _json(exc.http_status, {"error": {"code": exc.code, "message": exc.message}})
    return _json(201, {"evidence_id": made.evidence_id, "url": made.url, "fields": made.fields})


def _json(status: int, body: dict[str, Any]) -> Response[str]:
    return Response(
        status_code=status, content_type="application/json", body=json.dumps(body),
        headers={"Cache-Control": "no-store"},
    )  # fmt: skip
