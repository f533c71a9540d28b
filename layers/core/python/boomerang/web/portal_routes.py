"""The customer's returns portal: /{shop}/returns.

    GET  /{shop}/returns               find the order (number and email); with a session, its lines
    POST /{shop}/returns               open the session (the same guard as POST /v1/sessions)
    POST /{shop}/returns/new           request the return: items, quantities, reasons, notes, resolution
    GET  /{shop}/returns/{rma}         the return: decision in words, label, evidence, timeline, refund
    GET  /{shop}/returns/{rma}/label   the label PDF (a short-lived link)
    POST /{shop}/returns/{rma}/evidence  an upload offer (presigned POST), for the page's script

The session is the storefront API's customer token for the order, kept in an HttpOnly cookie scoped
to /{shop}/returns; every form that changes something carries a CSRF token bound to it. Everything
but the evidence upload (a browser cannot POST a file to S3 without a script) works without
JavaScript.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from boomerang.auth.principal import Principal
from boomerang.domain.errors import DomainError, NotFound, TooManyAttempts, Unauthorized, Unprocessable
from boomerang.domain.models import Resolution
from boomerang.domain.policy import RequestedItem
from boomerang.services.returns import ReturnRequest
from boomerang.web import pages
from boomerang.web.deps import deps
from boomerang.web.render import PageContext
from boomerang.web.status_view import qr_svg, status_view

router = Router()  # type: ignore[no-untyped-call]
MAX_LINES = 250  # an order's most lines (domain.models.Order)
# Statuses that change without the customer: the status page refreshes itself while in one.
LIVE_STATUSES = frozenset(
    {"requested", "pending_review", "awaiting_evidence", "approved", "in_transit", "delivered", "received",
     "inspected", "refund_pending"}
)  # fmt: skip


def _customer(shop: str) -> Principal | None:
    """The session's customer for this shop, or None (no cookie, expired, another shop's)."""
    token = pages.session_token(router)
    if not token:
        return None
    d = deps()
    try:
        who = d.auth.principal({"authorization": f"Bearer {token}"}, d.clock())
    except (Unauthorized, DomainError):
        return None
    return who if who.shop == shop and who.is_customer else None


def _lookup(
    shop: str, status: int = 200, errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
    next_rma: str = "",
) -> Response[str]:  # fmt: skip
    page = pages.context(router, shop, f"/{shop}/returns")
    return pages.html(
        page, "lookup.html", status=status, errors=errors or {}, values=values or {}, next_rma=next_rma
    )


@router.get("/<shop>/returns")
def get_portal(shop: str) -> Response[str]:
    d = deps()
    if pages.query(router).get("another"):
        return pages.redirect(pages.base_path(router) + f"/{shop}/returns", [_forget(shop)])
    who = _customer(shop)
    # The tracking page's "Start a return" names the order: its number is filled in.
    known = {"order_number": pages.query(router).get("order_number", "").strip()[:64]}
    if who is None or who.order_id is None:
        return _lookup(shop, values=known)
    try:
        order, lines, policy = d.service.eligibility(who, who.order_id, d.clock())
    except (NotFound, Unauthorized):
        return _lookup(shop, values=known)
    return _order_page(shop, who, order, lines, policy)


def _order_page(
    shop: str, who: Principal, order: Any, lines: Any, policy: Any, status: int = 200,
    errors: list[str] | None = None, values: dict[str, str] | None = None,
) -> Response[str]:  # fmt: skip
    page = pages.context(router, shop, f"/{shop}/returns", order_locale=order.locale)
    token = pages.session_token(router) or ""
    return pages.html(
        page,
        "order.html",
        status=status,
        order=order,
        lines=lines,
        policy=policy,
        errors=errors or [],
        values=values or {},
        csrf=pages.csrf_token(token),
        bonus=policy.refunds.store_credit_bonus_percent,
    )


@router.post("/<shop>/returns")
def post_lookup(shop: str) -> Response[str]:
    d = deps()
    pages.branding(shop)  # 404 for no such shop, before anything is counted
    sent = pages.form(router)
    number, email = sent.get("order_number", "").strip(), sent.get("email", "").strip()
    next_rma = sent.get("next", "").strip()[:32]
    errors = {}
    if not number:
        errors["order_number"] = "missing"
    if not email or "@" not in email:
        errors["email"] = "missing"
    if errors:
        return _lookup(shop, 422, errors, {"order_number": number, "email": email}, next_rma)
    now = d.clock()
    source = (router.current_event.raw_event.get("requestContext") or {}).get("identity") or {}
    counters = d.session_guard.counters(shop, email, str(source.get("sourceIp") or "unknown"))
    try:
        opened = d.session_guard.attempt(
            counters, now, lambda: d.service.open_session(shop, number, email, now)
        )
    except NotFound:
        return _lookup(shop, 404, {"form": "not_found"}, {"order_number": number, "email": email}, next_rma)
    except TooManyAttempts:
        return _lookup(shop, 429, {"form": "too_many"}, {"order_number": number, "email": email}, next_rma)
    cookie = pages.session_cookie(router, shop, opened.token, d.config.session_ttl_seconds)
    target = f"/{shop}/returns/{next_rma}" if next_rma else f"/{shop}/returns"
    return pages.redirect(pages.base_path(router) + target, [cookie])


def _forget(shop: str) -> str:
    return pages.session_cookie(router, shop, None, 0)


@router.post("/<shop>/returns/new")
def post_return(shop: str) -> Response[str]:
    d = deps()
    who = _customer(shop)
    token = pages.session_token(router)
    sent = pages.form(router)
    if who is None or who.order_id is None or token is None or not pages.csrf_holds(token, sent.get("csrf")):
        return pages.redirect(pages.base_path(router) + f"/{shop}/returns")
    now = d.clock()
    order, lines, policy = d.service.eligibility(who, who.order_id, now)
    items, notes, problems = [], {}, []
    for index in range(min(len(lines), MAX_LINES)):
        line_id = sent.get(f"line_{index}", "")
        try:
            quantity = int(sent.get(f"qty_{index}", "0") or "0")
        except ValueError:
            quantity = 0
        if not line_id or quantity <= 0:
            continue
        reason = sent.get(f"reason_{index}", "")
        if not reason:
            problems.append(f"reason_{index}")
            continue
        items.append(RequestedItem(line_id=line_id, quantity=quantity, reason=reason))
        note = sent.get(f"note_{index}", "").strip()[:1000]
        if note:
            notes[line_id] = note
    resolution_text = sent.get("resolution", "")
    if resolution_text not in {r.value for r in Resolution}:
        problems.append("resolution")
    if not items and not problems:
        problems.append("no_items")
    if problems:
        return _order_page(shop, who, order, lines, policy, 422, problems, sent)
    page = pages.context(router, shop, f"/{shop}/returns", order_locale=order.locale)
    request = ReturnRequest(
        order_id=order.order_id, items=items, resolution=Resolution(resolution_text), notes=notes,
        locale=page.language,
    )  # fmt: skip
    try:
        created = d.service.create_return(who, request, now)
    except Unprocessable as exc:
        d.logger.info("return refused", extra={"code": exc.code})
        return _order_page(shop, who, order, lines, policy, 422, ["refused:" + exc.message], sent)
    d.logger.append_keys(shop=shop, order_id=order.order_id, rma=created.rma)
    if d.engine is not None:
        try:
            d.engine.start(created.rma)
        except Exception:
            d.logger.exception("workflow start failed")
    d.logger.info("return created from the portal", extra={"status": created.status.value})
    return pages.redirect(pages.base_path(router) + f"/{shop}/returns/{created.rma}")


def _return_for(shop: str, rma: str) -> tuple[Principal, Any, Any] | Response[str]:
    """The return if the session reaches it; else the lookup form, which comes back here."""
    who = _customer(shop)
    if who is None:
        return _lookup(shop, 200, {}, {}, rma)
    d = deps()
    try:
        ret, timeline = d.service.get_return(who, rma)
    except (NotFound, Unauthorized):
        return _lookup(shop, 404, {"form": "other_order"}, {}, rma)
    return who, ret, timeline


@router.get("/<shop>/returns/<rma>")
def get_status(shop: str, rma: str) -> Response[str]:
    found = _return_for(shop, rma)
    if isinstance(found, Response):
        return found
    _, ret, timeline = found
    d = deps()
    order = d.repo.get_order(shop, ret.order_id)
    page: PageContext = pages.context(router, shop, f"/{shop}/returns/{ret.rma}", order_locale=order.locale)
    token = pages.session_token(router) or ""
    view = status_view(ret, timeline, order, d.policies(shop))
    return pages.html(
        page,
        "status.html",
        ret=ret,
        view=view,
        qr=qr_svg(ret.rma) if ret.label else None,
        csrf=pages.csrf_token(token),
        live=ret.status.value in LIVE_STATUSES,
    )


@router.get("/<shop>/returns/<rma>/label")
def get_label(shop: str, rma: str) -> Response[str]:
    from boomerang.api.label_schemas import LabelOut

    found = _return_for(shop, rma)
    if isinstance(found, Response):
        return found
    d = deps()
    label = LabelOut.of(found[1], d.labels, d.clock())
    return pages.redirect(label.url)


@router.post("/<shop>/returns/<rma>/evidence")
def post_evidence(shop: str, rma: str) -> Response[str]:
    """JSON for the page's upload script: {"url", "fields"} of the presigned POST, or {"error"}."""
    from boomerang.domain.evidence import EvidenceKind, Uploader

    who = _customer(shop)
    token = pages.session_token(router)
    headers = pages.headers(router)
    if who is None or token is None or not pages.csrf_holds(token, headers.get("x-csrf-token")):
        return _json(403, {"error": {"code": "forbidden", "message": "Find your order again."}})
    d = deps()
    try:
        sent = json.loads(router.current_event.body or "{}")
        kind = EvidenceKind(sent["kind"])
        content_type, size = str(sent["content_type"]), sent["size"]
        if not isinstance(size, int) or isinstance(size, bool):
            raise ValueError("size")
        ret, _ = d.service.get_return(who, rma)
        made = d.evidence_service().presign_upload(
            ret, kind, content_type, size, Uploader.CUSTOMER, "customer"
        )
    except (KeyError, ValueError, TypeError):
        return _json(422, {"error": {"code": "validation_failed", "message": "kind, content_type and size"}})
    except DomainError as exc:
        return _json(exc.http_status, {"error": {"code": exc.code, "message": exc.message}})
    d.logger.append_keys(shop=shop, rma=ret.rma)
    return _json(201, {"evidence_id": made.evidence_id, "url": made.url, "fields": made.fields})


def _json(status: int, body: dict[str, Any]) -> Response[str]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(body),
        headers={"Cache-Control": "no-store"},
    )
