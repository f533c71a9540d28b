"""Signing staff in and out of the console.

GET  /admin/sign-in    the hosted UI (authorization code + PKCE), or on `make local` a form
POST /admin/sign-in    the local form (only where LOCAL_STAFF_SIGN_IN is set: never deployed)
GET  /admin/callback   the hosted UI comes back with ?code&state: the ID token, the session
POST /admin/sign-out   the session ends (and the hosted UI's, where there is one)
"""

from __future__ import annotations

from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from boomerang.domain.errors import NotFound, Unauthorized
from boomerang.web import pages
from boomerang.web.console import pages as console
from boomerang.web.console.auth import (
    PKCE_COOKIE,
    PKCE_SECONDS,
    SESSION_COOKIE,
    authorize_url,
    exchange_code,
    finish_pkce,
    make_session,
    start_pkce,
)
from boomerang.web.console.pages import N_
from boomerang.web.deps import deps

router = Router()  # type: ignore[no-untyped-call]


def _callback_url() -> str:
    headers = pages.headers(router)
    host = headers.get("host", "")
    scheme = headers.get("x-forwarded-proto", "https")
    return f"{scheme}://{host}{pages.base_path(router)}{console.ROOT}/callback"


def _signed_in(token: str, back: str) -> Response[str]:
    d = deps()
    now = d.clock().timestamp()
    member, expires = d.console.verifier.member(token, now)
    session, value = make_session(d.console.key(), member, expires, now)
    d.logger.info("staff signed in", extra={"actor": member.actor})  # never the email
    cookies = [
        console.set_cookie(router, SESSION_COOKIE, value, session.expires - int(now)),
        console.set_cookie(router, PKCE_COOKIE, None, 0),
    ]
    return pages.redirect(console.back_to(router, back), cookies)


def _form(status: int = 200, error: str = "", username: str = "") -> Response[str]:
    page = console.page_of(router, None)
    nxt = pages.query(router).get("next", "") or pages.form(router).get("next", "")
    return console.html(
        page, "sign_in.html", status=status, error=error, username=username, next=nxt,
        local=deps().console.config.local_staff_sign_in,
    )  # fmt: skip


@router.get("/admin/sign-in")
def get_sign_in() -> Response[str]:
    d = deps()
    config = d.console.config
    if config.local_staff_sign_in:
        return _form()
    if not (d.console.configured and config.staff_sign_in_url):
        return _form(503, N_("Sign-in is not configured for this deployment."))
    now = d.clock().timestamp()
    state, challenge, value = start_pkce(d.console.key(), now, pages.query(router).get("next", ""))
    target = authorize_url(
        config.staff_sign_in_url, config.staff_client_id, _callback_url(), state, challenge
    )
    return pages.redirect(target, [console.set_cookie(router, PKCE_COOKIE, value, PKCE_SECONDS)])


@router.post("/admin/sign-in")
def post_sign_in() -> Response[str]:
    d = deps()
    if not d.console.config.local_staff_sign_in:
        raise NotFound("No such page.", code="route_not_found")  # deployments sign in on the hosted UI
    sent = pages.form(router)
    username, password = sent.get("username", "").strip()[:128], sent.get("password", "")[:256]
    try:
        token = d.console.local_id_token(username, password)
    except Exception:
        d.logger.info("local staff sign-in refused")
        return _form(401, N_("Wrong username or password."), username)
    return _signed_in(token, sent.get("next", ""))


@router.get("/admin/callback")
def get_callback() -> Response[str]:
    d = deps()
    config = d.console.config
    query = pages.query(router)
    if query.get("error") or not query.get("code"):
        return _form(401, N_("The sign-in did not complete. Try again."))
    now = d.clock().timestamp()
    verifier, back = finish_pkce(
        d.console.key(), console.cookie(router, PKCE_COOKIE), query.get("state"), now
    )
    try:
        token = exchange_code(
            config.staff_sign_in_url,
            config.staff_client_id,
            _callback_url(),
            query["code"],
            verifier,
            d.console.post,
        )
        return _signed_in(token, back)
    except Unauthorized as exc:
        d.logger.info("staff token refused", extra={"code": exc.code})
        return _form(401, N_("The sign-in was refused. Try again."))


@router.post("/admin/sign-out")
def post_sign_out() -> Response[str]:
    found = console.posted(router)
    if isinstance(found, Response):
        return found
    d = deps()
    config = d.console.config
    gone = [console.set_cookie(router, SESSION_COOKIE, None, 0)]
    if config.staff_sign_in_url and not config.local_staff_sign_in:
        back = f"https://{pages.headers(router).get('host', '')}{pages.base_path(router)}{console.ROOT}"
        query = urlencode({"client_id": config.staff_client_id, "logout_uri": back})
        return pages.redirect(f"{config.staff_sign_in_url.rstrip('/')}/logout?{query}", gone)
    return pages.redirect(f"{pages.base_path(router)}{console.ROOT}/sign-in", gone)
