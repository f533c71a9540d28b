"""The queues and a return's page, with the staff API's actions as forms (they work without
JavaScript; htmx boosts them).

    GET  /admin                              the queues (?queue=&shop=&q=)
    GET  /admin/returns/{rma}                a return: timeline, items, decision and its rules, evidence,
                                             label, tracking, refund; the actions the member's groups allow
    POST /admin/returns/{rma}/approve        support, admin
    POST /admin/returns/{rma}/reject         support, admin: with the reason
    POST /admin/returns/{rma}/refund         finance, admin: pay a failed refund another way
    GET  /admin/returns/{rma}/evidence/{id}  a short-lived view of one file (the view goes on the timeline)

Each acts through the same library services as the staff API (never the API over HTTP), after the
same checks: the member's groups for the action (boomerang.auth.staff.ADMIN_PERMISSIONS) and their
shops for the return (another shop's return is 404, as a missing one).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import ValidationError

from boomerang.api.admin_schemas import RefundRetryIn, RejectIn
from boomerang.auth.staff import StaffMember
from boomerang.domain import rma as rma_numbers
from boomerang.domain.errors import DomainError, NotFound
from boomerang.domain.models import Return
from boomerang.domain.status import ReturnStatus
from boomerang.services.customers import customer_ref
from boomerang.web import pages
from boomerang.web.console import pages as console
from boomerang.web.console.pages import N_
from boomerang.web.deps import deps

router = Router()  # type: ignore[no-untyped-call]
S = ReturnStatus
# queue -> (title, the statuses it reads, whether only carrier exceptions count)
QUEUES: dict[str, tuple[str, tuple[ReturnStatus, ...], bool]] = {
    "review": (N_("Review"), (S.PENDING_REVIEW,), False),
    "evidence": (N_("Awaiting evidence"), (S.AWAITING_EVIDENCE,), False),
    "refund_failed": (N_("Refund failed"), (S.REFUND_FAILED,), False),
    "carrier": (N_("Carrier exceptions"), (S.LABEL_ISSUED, S.IN_TRANSIT, S.DELIVERED), True),
    "inspection": (N_("To inspect"), (S.RECEIVED,), False),
}
PER_SHOP = 50
APPROVE = ("POST", "/admin/v1/returns/{rma}/approve")
REJECT = ("POST", "/admin/v1/returns/{rma}/reject")
REFUND = ("POST", "/admin/v1/returns/{rma}/refund")
VIEW_EVIDENCE = ("GET", "/admin/v1/returns/{rma}/evidence/{evidence_id}")


def _queue(queue: str, shops: list[str], cursor: str | None) -> tuple[list[Return], str | None]:
    """The queue's returns, oldest first, PER_SHOP of each shop and status; and the cursor of the next
    page where one shop's one-status queue has more (a queue of several shops or statuses shows the
    oldest of each: filter by shop to page through)."""
    d = deps()
    _, statuses, exceptions_only = QUEUES[queue]
    found: list[Return] = []
    pageable = len(shops) == 1 and len(statuses) == 1
    next_cursor = None
    for shop in shops:
        for status in statuses:
            page = d.repo.returns_by_status(shop, status, PER_SHOP, cursor if pageable else None)
            found.extend(page.items)
            next_cursor = page.next_cursor if pageable else None
    if exceptions_only:
        found = [r for r in found if r.carrier_exception is not None]
    return sorted(found, key=lambda r: r.created_at), next_cursor


def search(member: StaffMember, text: str, shops: list[str]) -> list[Return]:
    """Returns by RMA, by order number (with or without '#') or by the customer's email, in the
    member's shops only."""
    d = deps()
    text = text.strip()[:254]
    if not text:
        return []
    try:
        rma = rma_numbers.normalize(text)
    except rma_numbers.InvalidRma:
        rma = None
    if rma is not None:
        try:
            ret, _ = d.repo.get_return(rma)
        except NotFound:
            return []
        return [ret] if member.works_for(ret.shop) and ret.shop in shops else []
    found: list[Return] = []
    for shop in shops:
        if "@" in text:
            ref = customer_ref(shop, text)
            found.extend(d.repo.returns_of_customer_since(shop, ref, datetime(2000, 1, 1, tzinfo=UTC)).items)
            continue
        order = d.repo.find_order_by_number(shop, text)
        if order is not None:
            found.extend(d.repo.returns_of_order(shop, order.order_id).items)
    return sorted(found, key=lambda r: r.created_at, reverse=True)


@router.get("/admin")
def get_queues() -> Response[str]:
    found = console.signed_in(router)
    if isinstance(found, Response):
        return found
    member = found.member
    query = pages.query(router)
    queue = query.get("queue", "review")
    if queue not in QUEUES:
        queue = "review"
    shops = console.shops_of(member)
    shop = query.get("shop", "")
    if shop:
        console.reach(member, shop, code="shop_not_found")
        shops = [shop]
    text = query.get("q", "").strip()
    cursor = query.get("cursor", "")[:4096] or None
    rows, next_cursor = (search(member, text, shops), None) if text else _queue(queue, shops, cursor)
    page = console.page_of(router, found, "queues")
    return console.html(
        page, "queues.html", queues=QUEUES, queue=queue, rows=rows, shops=console.shops_of(member),
        shop=shop, q=text, next_cursor=next_cursor, per_shop=PER_SHOP,
    )  # fmt: skip


def _reached(member: StaffMember, rma: str) -> Return:
    d = deps()
    try:
        canonical = rma_numbers.normalize(rma)
    except rma_numbers.InvalidRma as exc:
        raise NotFound(str(exc), code="invalid_rma") from exc
    ret, _ = d.repo.get_return(canonical)
    console.reach(member, ret.shop)
    d.logger.append_keys(shop=ret.shop, rma=ret.rma, order_id=ret.order_id)
    return ret


def return_page(
    found: Any, rma: str, status: int = 200, errors: dict[str, str] | None = None, notice: str = ""
) -> Response[str]:
    d = deps()
    ret = _reached(found.member, rma)
    ret, timeline = d.repo.get_return(ret.rma)
    try:
        order = d.repo.get_order(ret.shop, ret.order_id)
    except NotFound:
        order = None  # erased or never imported: the return still shows
    titles = {line.line_id: line.title for line in order.lines} if order else {}
    page = console.page_of(router, found, "queues")
    return console.html(
        page, "return.html", status=status, ret=ret, timeline=list(reversed(timeline)), titles=titles,
        errors=errors or {}, notice=notice, approve=APPROVE, reject=REJECT, refund=REFUND,
        view_evidence=VIEW_EVIDENCE,
        reviewable=ret.status in (S.PENDING_REVIEW, S.AWAITING_EVIDENCE),
        refund_failed=ret.status == S.REFUND_FAILED,
    )  # fmt: skip


@router.get("/admin/returns/<rma>")
def get_return(rma: str) -> Response[str]:
    found = console.signed_in(router)
    if isinstance(found, Response):
        return found
    return return_page(found, rma, notice=pages.query(router).get("done", ""))


def _done(ret: Return, what: str) -> Response[str]:
    return pages.redirect(f"{pages.base_path(router)}{console.ROOT}/returns/{ret.rma}?done={what}")


def _refused(found: Any, rma: str, exc: DomainError, field: str = "action") -> Response[str]:
    deps().logger.info("console action refused", extra={"code": exc.code})
    if isinstance(exc, NotFound):
        raise exc
    return return_page(found, rma, exc.http_status, {field: exc.message})


@router.post("/admin/returns/<rma>/approve")
def post_approve(rma: str) -> Response[str]:
    done = console.posted(router)
    if isinstance(done, Response):
        return done
    found, sent = done
    console.require_group(found.member, *APPROVE)
    ret = _reached(found.member, rma)
    note = sent.get("note", "").strip()[:500] or None
    try:
        deps().console.workflow.approve(ret.rma, found.member.actor, note)
    except DomainError as exc:
        return _refused(found, rma, exc)
    deps().logger.info("approved in the console", extra={"actor": found.member.actor})
    return _done(ret, "approved")


@router.post("/admin/returns/<rma>/reject")
def post_reject(rma: str) -> Response[str]:
    done = console.posted(router)
    if isinstance(done, Response):
        return done
    found, sent = done
    console.require_group(found.member, *REJECT)
    ret = _reached(found.member, rma)
    try:
        body = RejectIn.model_validate({"reason": sent.get("reason", "")})
    except ValidationError:
        why = N_("Give the reason (at least 3 characters), as the customer will read it.")
        return return_page(found, rma, 422, {"reason": why})
    try:
        deps().console.workflow.reject(ret.rma, found.member.actor, body.reason)
    except DomainError as exc:
        return _refused(found, rma, exc)
    deps().logger.info("rejected in the console", extra={"actor": found.member.actor})
    return _done(ret, "rejected")


@router.post("/admin/returns/<rma>/refund")
def post_refund(rma: str) -> Response[str]:
    done = console.posted(router)
    if isinstance(done, Response):
        return done
    found, sent = done
    console.require_group(found.member, *REFUND)
    ret = _reached(found.member, rma)
    try:
        body = RefundRetryIn.model_validate(
            {"method": sent.get("method", ""), "reference": sent.get("reference", "").strip() or None}
        )
    except ValidationError:
        why = N_("Choose how to pay it (and the transfer's reference).")
        return return_page(found, rma, 422, {"method": why})
    try:
        deps().console.workflow.retry_refund(ret.rma, body.method, found.member.actor, body.reference)
    except DomainError as exc:
        return _refused(found, rma, exc, "method")
    return _done(ret, "refund_paid")


@router.get("/admin/returns/<rma>/evidence/<evidence_id>")
def get_evidence(rma: str, evidence_id: str) -> Response[str]:
    found = console.signed_in(router)
    if isinstance(found, Response):
        return found
    console.require_group(found.member, *VIEW_EVIDENCE)
    ret = _reached(found.member, rma)
    view = deps().console.evidence.view_url(ret.rma, evidence_id[:64], found.member.actor)
    return pages.redirect(view.url)
