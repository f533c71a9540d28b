"""The customer's language (issue 19): the order's locale, else the language the return was asked in,
else the shop's default; messages rendered in it; order numbers as customers type them."""

from __future__ import annotations

import pytest

from boomerang.domain.language import WEB_LANGUAGES, choose_language, customer_language
from boomerang.domain.models import order_number_key
from boomerang.domain.status import ReturnStatus
from boomerang.notify.messages import message_for
from boomerang.notify.templates import LANGUAGES, catalogue

from .test_notify_messages import a_return


@pytest.mark.parametrize(
    ("preferences", "default", "expected"),
    [
        (("de-DE", "en"), "fr", "de"),
        ((None, "zh-CN"), "fr", "zh"),
        ((None, None), "fr", "fr"),
        (("pt-BR",), "es", "es"),  # unsupported: the shop's default
        (("pt-BR",), "pt", "en"),  # the default unsupported too: English
        (("  ", "DE_at"), None, "de"),
    ],
)
def test_the_first_supported_language_then_the_shops_then_english(
    preferences: tuple[str | None, ...], default: str | None, expected: str
) -> None:
    assert choose_language(*preferences, supported=LANGUAGES, default=default) == expected


def test_the_portal_may_ask_for_a_language_the_emails_lack() -> None:
    # Japanese pages exist (DESIGN.md) though emails do not: each channel passes what it supports.
    assert customer_language("ja-JP", shop_default="en") == "ja" and "ja" in WEB_LANGUAGES
    assert customer_language("ja-JP", shop_default="de", supported=LANGUAGES) == "de"
    assert customer_language("de", requested="fr") == "fr"


def test_a_message_in_the_customers_language_carries_its_subject_as_sent() -> None:
    ret = a_return(ReturnStatus.REQUESTED)
    german = message_for(ret, language="de", order_number="#1002")
    assert german is not None and german.locale == "de"
    expected = (
        catalogue("de")
        .templates["return.requested"]
        .render({**catalogue("de").defaults, **german.values, "order_number": "#1002"})
    )
    assert (german.subject, german.body) == expected
    assert ret.rma in german.subject and "#1002" in german.body
    english = message_for(ret)
    assert english is not None and english.locale == "en" and english.subject != german.subject


@pytest.mark.parametrize("typed", ["1001", "#1001", " 1001 ", "# 1001", "#1001\n"])
def test_order_numbers_as_customers_type_them(typed: str) -> None:
    assert order_number_key(typed) == order_number_key("#1001") == "1001"


def test_order_numbers_keep_their_letters() -> None:
    assert order_number_key("eu-1001") == order_number_key("#EU-1001") == "EU-1001"
    assert order_number_key("1001") != order_number_key("10 01 2")
