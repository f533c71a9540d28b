"""The customer's language: one rule for every message, page and reply.

Preferences are BCP 47 tags, most specific first: what the customer chose on the page (the portal's
language switch), the order's `customer.locale` (the storefront's, or Shopify's `customer_locale`),
the language the return was requested in. The first one a channel supports wins, by its primary
subtag (`zh-CN` -> `zh`, `de-AT` -> `de`); where none is supported, the shop's default language (the
policy's `default_language`), and English where even that is not supported.
"""

from __future__ import annotations

from collections.abc import Iterable

FALLBACK = "en"
# What the web pages are translated into (DESIGN.md); emails and replies support a subset.
WEB_LANGUAGES = ("en", "zh", "es", "de", "fr", "ja")


def primary(tag: str | None) -> str | None:
    if not tag or not tag.strip():
        return None
    return tag.strip().replace("_", "-").split("-")[0].lower()


def choose_language(*preferences: str | None, supported: Iterable[str], default: str | None = None) -> str:
    """The first supported language among `preferences`, else `default` if supported, else English."""
    known = set(supported)
    for tag in (*preferences, default):
        language = primary(tag)
        if language in known:
            return language
    return FALLBACK


def customer_language(
    order_locale: str | None,
    return_locale: str | None = None,
    shop_default: str | None = None,
    requested: str | None = None,
    supported: Iterable[str] = WEB_LANGUAGES,
) -> str:
    """The language to show a customer: for the portal and the policy page (pass `requested`, the
    language chosen on the page, and `supported`, the page's catalogues), emails and replies."""
    return choose_language(requested, order_locale, return_locale, supported=supported, default=shop_default)
