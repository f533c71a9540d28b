"""Jinja2 environments, one per language (each with its gettext catalog and formats installed), and
what every page shares: the shop's branding, the asset links, the language switch."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from boomerang.domain.branding import Branding, on_colour, text_safe
from boomerang.web.i18n import LANGUAGES, NATIVE_NAMES, Formats, translations

# Served from the assets origin (S3 + CloudFront; make local's own port) under their own names; the
# version in the path changes with their content, so they can be cached for a year.
ASSETS = {"css": "portal.css", "js": "portal.js", "htmx": "htmx.min.js"}


@dataclass(frozen=True)
class PageContext:
    """What every page needs besides its own data."""

    shop: str
    branding: Branding
    language: str
    base_path: str  # the stage prefix ("/prod") on API Gateway's own URL; "" on a custom domain
    assets_base_url: str
    assets_version: str
    path: str  # this page's path below base_path, for the language links
    query: dict[str, str] = field(default_factory=dict)

    def url(self, path: str, **query: str) -> str:
        suffix = f"?{urlencode(query)}" if query else ""
        return f"{self.base_path}{path}{suffix}"

    def asset(self, name: str) -> str:
        return f"{self.assets_base_url}/{self.assets_version}/{ASSETS[name]}"

    def language_links(self) -> list[dict[str, Any]]:
        links = []
        for language in LANGUAGES:
            query = {**{k: v for k, v in self.query.items() if k != "lang"}, "lang": language}
            links.append(
                {
                    "language": language,
                    "name": NATIVE_NAMES[language],
                    "href": self.url(self.path, **query),
                    "current": language == self.language,
                }
            )
        return links

    def brand_style(self) -> Markup:
        """The shop's colours as CSS variables, each with a text colour that meets AA contrast."""
        primary = self.branding.primary_colour
        accent = text_safe(self.branding.accent_colour)
        css = (
            f":root{{--brand:{primary};--on-brand:{on_colour(primary)};--accent:{accent};"
            f"--focus:{text_safe(primary)}}}"
        )
        return Markup(css)  # noqa: S704 - built from validated #rrggbb values only


def json_ld(data: Any) -> Markup:
    """JSON for a <script type="application/ld+json"> block: '<' escaped, so no text can end it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))  # noqa: S704


@cache
def environment(language: str) -> Environment:
    env = Environment(
        loader=PackageLoader("boomerang.web", "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    formats = Formats(language)
    env.filters["money"] = formats.money
    env.filters["date"] = formats.date
    env.filters["datetime"] = formats.datetime
    env.filters["percent"] = formats.percent
    env.filters["tojson_ld"] = json_ld
    return env


def render(template: str, page: PageContext, **values: Any) -> str:
    return environment(page.language).get_template(template).render(page=page, **values)
