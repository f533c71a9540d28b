"""Languages of the web pages: which one a request gets, its gettext catalog, and money and dates
written the way that language writes them (Babel's CLDR data).

Catalogs live in locale/<lang>/LC_MESSAGES/messages.po (`make i18n` extracts the templates' messages
and updates them). They are compiled in memory on first use, once per container and language, so no
binary .mo file is committed.
"""

from __future__ import annotations

import gettext
from datetime import datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from io import BytesIO

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_percent, get_currency_precision

from boomerang.domain.language import WEB_LANGUAGES, choose_language
from boomerang.domain.money import Money

LANGUAGES = WEB_LANGUAGES
# Each language's own name, for the language switch.
NATIVE_NAMES = {
    "en": "English",
    "zh": "中文",
    "es": "Español",
    "de": "Deutsch",
    "fr": "Français",
    "ja": "日本語",
}
# Babel locales for the pages' languages: Chinese in Simplified script.
BABEL_LOCALES = {
    "en": "en_US",
    "zh": "zh_Hans_CN",
    "es": "es_ES",
    "de": "de_DE",
    "fr": "fr_FR",
    "ja": "ja_JP",
}


def accept_language(header: str | None) -> list[str]:
    """The tags of an Accept-Language header, most wanted first (q=0 dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        if not tag or tag == "*":
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            ranked.append((-q, index, tag.strip()))
    return [tag for _, _, tag in sorted(ranked)]


def page_language(
    order_locale: str | None,
    requested: str | None,
    accept: str | None,
    shop_default: str | None = None,
) -> str:
    """The page's language: the order's customer locale, then ?lang=, then Accept-Language, then the
    shop's default (its policy's `default_language`), then English."""
    return choose_language(
        order_locale, requested, *accept_language(accept), supported=LANGUAGES, default=shop_default
    )


@cache
def translations(language: str, domain: str = "messages") -> gettext.NullTranslations:
    """A language's catalog: `messages` for the customer pages, `console` for the staff console."""
    if language == "en":
        return gettext.NullTranslations()  # the templates are written in English
    po = resources.files("boomerang.web").joinpath("locale", language, "LC_MESSAGES", f"{domain}.po")
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


class Formats:
    """Money, dates and percentages as `language` writes them."""

    def __init__(self, language: str):
        self.language = language
        self.locale = Locale.parse(BABEL_LOCALES.get(language, "en_US"))

    def money(self, money: Money) -> str:
        digits = get_currency_precision(money.currency)
        amount = Decimal(money.amount).scaleb(-digits)
        return str(format_currency(amount, money.currency, locale=self.locale))

    def date(self, when: datetime) -> str:
        return str(format_date(when, format="long", locale=self.locale))

    def datetime(self, when: datetime) -> str:
        return str(format_datetime(when, format="medium", locale=self.locale))

    def percent(self, percent: int) -> str:
        return str(format_percent(Decimal(percent) / 100, locale=self.locale))
