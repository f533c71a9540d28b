"""The pages' error answers: a short HTML page in the visitor's language (no shop branding: the shop
may be what is missing)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import Response

from boomerang.config import WebConfig
from boomerang.web.i18n import page_language, translations
from boomerang.web.render import ASSETS, environment

HTML = "text/html; charset=utf-8"


def N_(message: str) -> str:
    return message


def _texts(status: int) -> tuple[str, str]:
    if status == 404:
        return N_("Page not found"), N_("There is no such page. Check the link from your email or the shop.")
    if status == 413:
        return N_("Too large"), N_("What was sent is too large.")
    if status < 500:
        return N_("Cannot do that"), N_("The request could not be completed. Go back and try again.")
    return N_("Something went wrong"), N_("Please try again in a minute.")


def _render(status: int, headers: Mapping[str, str], config: WebConfig) -> tuple[str, str]:
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    language = page_language(None, None, lowered.get("accept-language"))
    env = environment(language)
    title, message = _texts(status)
    translate = translations(language).gettext
    css = f"{config.assets_base_url.rstrip('/')}/{config.assets_version}/{ASSETS['css']}"
    body = env.get_template("error.html").render(
        language=language,
        title=translate(title),
        message=translate(message),
        css=css,
    )
    return language, body


def error_page(status: int, code: str, headers: Mapping[str, str], config: WebConfig) -> Response[str]:
    language, body = _render(status, headers, config)
    return Response(
        status_code=status,
        content_type=HTML,
        body=body,
        headers={"Content-Language": language, "Cache-Control": "no-store", "X-Error-Code": code},
    )


def error_answer(status: int, code: str, headers: Mapping[str, str], config: WebConfig) -> dict[str, Any]:
    """The same page as a Lambda proxy answer (for refusals before routing)."""
    language, body = _render(status, headers, config)
    return {
        "statusCode": status,
        "headers": {"Content-Type": HTML, "Content-Language": language, "X-Error-Code": code},
        "body": body,
    }
