"""The customer's tracking page: /{shop}/track.

    GET  /{shop}/track              the form (order number and email); with `?link=`, the order's parcels
    POST /{shop}/track              the form sent: the same proof and attempt limits as the portal's
                                    sign-in, then a redirect to the page with a signed link

The signed link (auth/tracking_links.py) is the one in the shipping emails: it shows one order's
parcels and nothing else, opens no session and sets no cookie, so the page can be bookmarked and
shared without giving access to returns, tickets or credit. A wrong email, an unknown order and
another shop's order all get the same "not found" answer. Everything works without JavaScript;
htmx only refreshes the parcels while one is still on its way.
"""

from __future__ import annotations

from urllib.parse import quote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from boomerang.auth import tracking_links
from boomerang.domain.errors import NotFound, TooManyAttempts, Unauthorized
from boomerang.web import pages
from boomerang.web.deps import deps
from boomerang.web.tracking_view import tracking_view

router = Router()  # type: ignore[no-untyped-call]
MAX_LINK = 512


def _form(
    shop: str, status: int = 200, errors: dict[str, str] | None = None, values: dict[str, str] | None = None
) -> Response[str]:
    page = pages.context(router, shop, f"/{shop}/track")
    return pages.html(page, "track.html", status=status, view=None, errors=errors or {}, values=values or {})


@router.get("/<shop>/track")
def get_tracking(shop: str) -> Response[str]:
    d = deps()
    pages.branding(shop)  # 404 for no such shop
    link = pages.query(router).get("link", "").strip()
    if not link:
        return _form(shop)
    now = d.clock()
    try:
        found = tracking_links.verify(d.link_key(), link[:MAX_LINK], now)
    except Unauthorized as exc:
        d.logger.info("tracking link refused", extra={"code": exc.code})
        return _form(shop, 401, {"form": "link"})
    try:
        if found.shop != shop:  # another shop's link answers as an unknown order does
            raise NotFound("No such order.", code="order_not_found")
        order, tracked = d.shipments().of_order(shop, found.order_id, now)
    except NotFound:
        return _form(shop, 404, {"form": "not_found"})
    d.logger.append_keys(shop=shop, order_id=order.order_id)
    page = pages.context(router, shop, f"/{shop}/track", order_locale=order.locale)
    view = tracking_view(order, tracked, page.language)
    return pages.html(
        page,
        "track.html",
        view=view,
        errors={},
        values={},
        self_url=page.url(f"/{shop}/track", link=link, lang=page.language),
        returns_url=page.url(f"/{shop}/returns", order_number=order.order_number),
    )


@router.post("/<shop>/track")
def post_tracking(shop: str) -> Response[str]:
    d = deps()
    pages.branding(shop)  # 404 for no such shop, before anything is counted
    sent = pages.form(router)
    number, email = sent.get("order_number", "").strip()[:64], sent.get("email", "").strip()[:320]
    errors = {}
    if not number:
        errors["order_number"] = "missing"
    if not email or "@" not in email:
        errors["email"] = "missing"
    values = {"order_number": number, "email": email}
    if errors:
        return _form(shop, 422, errors, values)
    now = d.clock()
    source = (router.current_event.raw_event.get("requestContext") or {}).get("identity") or {}
    counters = d.session_guard.counters(shop, email, str(source.get("sourceIp") or "unknown"))
    try:
        order = d.session_guard.attempt(counters, now, lambda: d.service.match_order(shop, number, email))
    except NotFound:
        return _form(shop, 404, {"form": "not_found"}, values)
    except TooManyAttempts:
        return _form(shop, 429, {"form": "too_many"}, values)
    link = tracking_links.issue(d.link_key(), shop, order.order_id, now)
    return pages.redirect(pages.base_path(router) + f"/{shop}/track?link={quote(link)}")
