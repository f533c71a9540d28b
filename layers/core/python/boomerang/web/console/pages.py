"""What every console page shares: the signed-in staff member (or the way to sign in), the CSRF
check of every POST, the shops a member reaches, and HTML answers.

Templates live in boomerang/web/console/templates with environments of their own (one per language,
with the `console` gettext catalogs in boomerang/web/locale, `make i18n`): everything printed is
HTML-escaped (autoescape) and any bidirectional or zero-width character in it is written out as a
visible mark (boomerang.domain.text.visible_text), so a customer's note cannot reorder or hide what
staff read. Text that is not a template's own (an error's message) is translated with the `tr`
filter, never `_()`: Jinja's `_()` marks its message safe, and such text may echo what was typed.
The language: `?lang=`, then the browser's Accept-Language, then English.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import quote, urlencode

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from jinja2 import Environment, PackageLoader, select_autoescape

from boomerang.auth.staff import ADMIN_PERMISSIONS, STAFF_GROUPS, StaffMember
from boomerang.domain.errors import Forbidden, NotFound
from boomerang.domain.money import Money
from boomerang.domain.text import visible_text
from boomerang.web import pages
from boomerang.web.console.auth import SESSION_COOKIE, StaffSession, read_session
from boomerang.web.deps import deps
from boomerang.web.i18n import LANGUAGES, NATIVE_NAMES, Formats, page_language, translations

ROOT = "/admin"
CONSOLE_ASSETS = {"css": "console.css", "js": "console.js", "htmx": "htmx.min.js"}


def _finalize(value: Any) -> Any:
    return visible_text(value) if isinstance(value, str) else value


def N_(message: str) -> str:
    """A message for the catalogs (`make i18n` extracts N_), translated where it is shown (`tr`)."""
    return message


@cache
def environment(language: str = "en") -> Environment:
    env = Environment(
        loader=PackageLoader("boomerang.web.console", "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    )
    catalog = translations(language, "console")
    env.install_gettext_translations(catalog, newstyle=True)  # type: ignore[attr-defined]
    formats = Formats(language)
    env.filters["tr"] = lambda text: catalog.gettext(str(text)) if text else ""
    env.filters["money"] = lambda m: formats.money(m) if isinstance(m, Money) else ""
    env.filters["when"] = lambda d: d.strftime("%Y-%m-%d %H:%M UTC") if isinstance(d, datetime) else ""
    env.filters["words"] = lambda s: str(s).replace("_", " ")
    return env


@dataclass(frozen=True)
class ConsolePage:
    base_path: str
    assets_base_url: str
    assets_version: str
    session: StaffSession | None
    csrf: str = ""
    section: str = ""
    language: str = "en"
    path: str = ROOT  # this page's path below base_path, for the language links
    query: tuple[tuple[str, str], ...] = ()

    def language_links(self) -> list[dict[str, Any]]:
        kept = {k: v for k, v in self.query if k != "lang"}
        return [
            {
                "language": language,
                "name": NATIVE_NAMES[language],
                "href": f"{self.base_path}{self.path}?{urlencode({**kept, 'lang': language})}",
                "current": language == self.language,
            }
            for language in LANGUAGES
        ]

    def url(self, path: str, **query: str) -> str:
        kept = {k: v for k, v in query.items() if v}
        return f"{self.base_path}{ROOT}{path}" + (f"?{urlencode(kept)}" if kept else "")

    def asset(self, name: str) -> str:
        return f"{self.assets_base_url}/{self.assets_version}/{CONSOLE_ASSETS[name]}"

    def may(self, method: str, route: str) -> bool:
        return self.session is not None and may(self.session.member, method, route)


def may(member: StaffMember, method: str, route: str) -> bool:
    return bool(member.groups & ADMIN_PERMISSIONS.get((method, route), frozenset()))


def require_group(member: StaffMember, method: str, route: str) -> None:
    if not may(member, method, route):
        allowed = [g for g in STAFF_GROUPS if g in ADMIN_PERMISSIONS.get((method, route), frozenset())]
        raise Forbidden(f"Only the staff groups {', '.join(allowed)} may do this.", code="forbidden_group")


def cookie(router: Router, name: str) -> str | None:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(pages.headers(router).get("cookie", ""))
    except Exception:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel and morsel.value else None


def set_cookie(router: Router, name: str, value: str | None, max_age: int) -> str:
    path = f"{pages.base_path(router)}{ROOT}"
    if value is None:
        return f"{name}=; Path={path}; Max-Age=0; HttpOnly; Secure; SameSite=Lax"
    return f"{name}={value}; Path={path}; Max-Age={max(0, max_age)}; HttpOnly; Secure; SameSite=Lax"


def session(router: Router) -> StaffSession | None:
    d = deps()
    return read_session(d.console.key(), cookie(router, SESSION_COOKIE), d.clock().timestamp())


def signed_in(router: Router) -> StaffSession | Response[str]:
    """The session, or a redirect to the sign-in that comes back to this page."""
    found = session(router)
    if found is not None:
        return found
    path = router.current_event.path or ROOT
    query = pages.query(router)
    back = path + (f"?{urlencode(query)}" if query else "")
    target = f"{pages.base_path(router)}{ROOT}/sign-in?next={quote(back, safe='')}"
    return pages.redirect(target)


def posted(router: Router) -> tuple[StaffSession, dict[str, str]] | Response[str]:
    """A POST's session and form, if its CSRF token is the session's; else a redirect to sign in (no
    session) or 403 csrf_failed, and nothing is done."""
    found = signed_in(router)
    if isinstance(found, Response):
        return found
    sent = pages.form(router)
    if not found.csrf_holds(deps().console.key(), sent.get("csrf")):
        raise Forbidden("The form was not sent from this console. Reload the page.", code="csrf_failed")
    return found, sent


def shops_of(member: StaffMember) -> list[str]:
    """The shops the member reaches, by id: every shop of the deployment for `*`."""
    if member.all_shops:
        return sorted(s.shop for s in deps().console.shops.list())
    return sorted(member.shops)


def reach(member: StaffMember, shop: str, code: str = "return_not_found") -> str:
    """Another shop's return, ticket or customer answers as one that does not exist (404)."""
    if not member.works_for(shop):
        raise NotFound("No such return." if code == "return_not_found" else "Not found.", code=code)
    return shop


def page_of(router: Router, found: StaffSession | None, section: str = "") -> ConsolePage:
    d = deps()
    query = pages.query(router)
    language = page_language(None, query.get("lang"), pages.headers(router).get("accept-language"))
    return ConsolePage(
        base_path=pages.base_path(router),
        assets_base_url=d.config.assets_base_url.rstrip("/"),
        assets_version=d.assets_version,
        session=found,
        csrf=found.csrf(d.console.key()) if found else "",
        section=section,
        language=language,
        path=router.current_event.path or ROOT,
        query=tuple(query.items()) if router.current_event.http_method == "GET" else (),
    )


def html(
    page: ConsolePage, template: str, status: int = 200, cookies: list[str] | None = None, **values: Any
) -> Response[str]:
    d = deps()
    body = environment(page.language).get_template(template).render(page=page, **values)
    return Response(
        status_code=status,
        content_type=pages.HTML,
        body=body,
        headers={
            "Content-Security-Policy": _policy(d.config.assets_base_url, d.console.config.staff_sign_in_url),
            "Content-Language": page.language,
            "Referrer-Policy": "same-origin",
            "X-Frame-Options": "DENY",
            "Cache-Control": "no-store",
            "Vary": "Accept-Language, Cookie",
        },
        cookies=cookies or [],  # type: ignore[arg-type]
    )


def _policy(assets_base_url: str, sign_in_url: str) -> str:
    # Signing out ends the hosted UI's session too: that form's redirect goes to its domain.
    allowed = f"form-action 'self' {pages.origin(sign_in_url)}" if sign_in_url else "form-action 'self'"
    return pages.content_security_policy(pages.origin(assets_base_url)).replace("form-action 'self'", allowed)


def back_to(router: Router, given: str | None) -> str:
    """Where to go after signing in: a console path only (never another site)."""
    base = pages.base_path(router)
    text = (given or "").strip()
    inside = text == ROOT or text.startswith((f"{ROOT}/", f"{ROOT}?"))
    if not inside or text.startswith("//") or "\\" in text or "\n" in text:
        return f"{base}{ROOT}"
    return f"{base}{text}"
