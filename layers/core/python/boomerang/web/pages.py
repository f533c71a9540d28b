"""What every page handler shares: the request's shop, language and base path, the portal's session
cookie and its CSRF token, form bodies, and HTML answers with their headers."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from boomerang.domain.branding import Branding
from boomerang.domain.errors import NotFound
from boomerang.web.deps import deps
from boomerang.web.i18n import page_language
from boomerang.web.render import PageContext, render

COOKIE = "boomerang_returns"
HTML = "text/html; charset=utf-8"


def content_security_policy(assets_origin: str) -> str:
    # Scripts only from the assets origin; uploads go straight to S3 (connect-src https: and the
    # local moto endpoint); the brand colours are one inline <style>.
    return (
        f"default-src 'none'; script-src {assets_origin}; style-src {assets_origin} 'unsafe-inline'; "
        f"img-src 'self' {assets_origin} https: data:; connect-src 'self' https: http://127.0.0.1:*; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )


def headers(router: Router) -> dict[str, str]:
    return {k.lower(): v for k, v in (router.current_event.headers or {}).items()}


def query(router: Router) -> dict[str, str]:
    return {k: v for k, v in (router.current_event.query_string_parameters or {}).items() if v is not None}


def base_path(router: Router) -> str:
    """The stage prefix (`/prod`) on API Gateway's own URL (https://<id>.execute-api.<region>...);
    "" behind a custom domain (its base path mapping starts at the root) and locally."""
    raw = router.current_event.raw_event
    host = headers(router).get("host", "")
    stage = str((raw.get("requestContext") or {}).get("stage") or "")
    return f"/{stage}" if stage and ".execute-api." in host else ""


def form(router: Router) -> dict[str, str]:
    """An application/x-www-form-urlencoded body, first value of each field."""
    body = router.current_event.body or ""
    if router.current_event.is_base64_encoded:
        body = base64.b64decode(body).decode("utf-8", errors="replace")
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True, max_num_fields=400).items()}


def session_token(router: Router) -> str | None:
    cookie = SimpleCookie()
    try:
        cookie.load(headers(router).get("cookie", ""))
    except Exception:
        return None
    morsel = cookie.get(COOKIE)
    return morsel.value if morsel and morsel.value else None


def csrf_token(token: str) -> str:
    """Bound to the session: a page from another site cannot read the cookie, so cannot make it."""
    return hashlib.sha256(f"csrf:{token}".encode()).hexdigest()[:32]


def csrf_holds(token: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(csrf_token(token), str(given))


def session_cookie(router: Router, shop: str, token: str | None, max_age: int) -> str:
    path = f"{base_path(router)}/{shop}/returns"
    if token is None:
        return f"{COOKIE}=; Path={path}; Max-Age=0; HttpOnly; Secure; SameSite=Lax"
    return f"{COOKIE}={token}; Path={path}; Max-Age={max_age}; HttpOnly; Secure; SameSite=Lax"


def branding(shop: str) -> Branding:
    found = deps().shops.branding(shop)
    if found is None:
        raise NotFound("No such shop.", code="shop_not_found")
    return found


def context(router: Router, shop: str, path: str, order_locale: str | None = None) -> PageContext:
    d = deps()
    q = query(router)
    policy = d.policies(shop)
    language = page_language(
        order_locale, q.get("lang"), headers(router).get("accept-language"), policy.default_language
    )
    return PageContext(
        shop=shop,
        branding=branding(shop),
        language=language,
        base_path=base_path(router),
        assets_base_url=d.config.assets_base_url.rstrip("/"),
        assets_version=d.assets_version,
        path=path,
        query=q,
    )


def html(
    page: PageContext,
    template: str,
    status: int = 200,
    cache_seconds: int = 0,
    cookies: list[str] | None = None,
    **values: Any,
) -> Response[str]:
    d = deps()
    out: dict[str, Any] = {
        "Content-Security-Policy": content_security_policy(origin(d.config.assets_base_url)),
        "Content-Language": page.language,
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        # A cached page (the policy) depends on the language only; the portal's on the session too.
        "Vary": "Accept-Language" if cache_seconds else "Accept-Language, Cookie",
        "Cache-Control": f"public, max-age={cache_seconds}" if cache_seconds else "no-store",
    }
    return Response(
        status_code=status,
        content_type=HTML,
        body=render(template, page, **values),
        headers=out,
        cookies=cookies or [],  # type: ignore[arg-type]
    )


def redirect(location: str, cookies: list[str] | None = None) -> Response[str]:
    # 303: the browser follows with a GET, so a reload never posts the form again.
    return Response(
        status_code=303,
        content_type=HTML,
        body="",
        headers={"Location": location, "Cache-Control": "no-store"},
        cookies=cookies or [],  # type: ignore[arg-type]
    )


def origin(url: str) -> str:
    parts = url.split("/")
    return "/".join(parts[:3]) if len(parts) >= 3 else url


def lower_keys(values: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in values.items()}
