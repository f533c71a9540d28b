"""The customer emails' templates: every language has every template, placeholders are the known
ones, a merchant's override is checked, and the language is chosen from BCP 47 tags."""

from __future__ import annotations

import string

import pytest
from pydantic import ValidationError

from boomerang.notify.templates import (
    LANGUAGES,
    PLACEHOLDERS,
    EmailTemplate,
    catalogue,
    language_for,
    render,
    with_label_extras,
)

REQUIRED = {
    "return.requested",  # request received
    "return.label_issued",  # approved, with the label
    "return.rejected",  # with the reason
    "return.received",  # at the hub
    "return.refunded",  # with how long the bank takes
    "return.refund_failed",  # with the options
}


def placeholders(text: str) -> set[str]:
    return set(string.Template(text).get_identifiers())


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_every_template_with_the_same_facts(language: str) -> None:
    english = catalogue("en")
    found = catalogue(language)
    assert found.language == language
    assert set(found.templates) == set(english.templates) >= REQUIRED
    assert set(found.defaults) == set(english.defaults)
    for name, template in found.templates.items():
        theirs = english.templates[name]
        assert placeholders(template.body) == placeholders(theirs.body), (language, name)
        # A return's mail names its RMA; an outbound parcel's (shipment.*) names the order.
        named = "$order_number" if name.startswith("shipment.") else "$rma"
        assert named in template.subject, (language, name)


@pytest.mark.parametrize("language", LANGUAGES)
def test_rendered_templates_leave_no_placeholder(language: str) -> None:
    values = {
        **catalogue(language).defaults,
        "rma": "K7Q-4M2-XAC",
        "order_number": "#1042",
        "amount": "EUR 53.10",
    }
    for name, template in catalogue(language).templates.items():
        subject, body = template.render(with_label_extras(values))
        assert "$" not in subject + body
        assert ("#1042" if name.startswith("shipment.") else "K7Q-4M2-XAC") in subject


def test_refund_texts_say_how_long_the_bank_takes_and_failures_list_options() -> None:
    for language in LANGUAGES:
        refunded = catalogue(language).templates["return.refunded"].body
        assert "5" in refunded and "10" in refunded, language
        assert "$options" in catalogue(language).templates["return.refund_failed"].body
        assert catalogue(language).defaults["options"].strip()


def test_an_override_may_use_only_known_placeholders() -> None:
    ok = EmailTemplate(subject="Retour $rma", body="Bedankt! $amount, ${order_number}. Kosten: $$0")
    assert ok.render({"rma": "X", "amount": "EUR 1.00", "order_number": "#1"}) == (
        "Retour X",
        "Bedankt! EUR 1.00, #1. Kosten: $0",
    )
    for bad in ("Hello $customer_name", "Price $", "{rma.__class__}$rma.__class__"):
        if bad.startswith("{"):
            # Braces are plain text for string.Template: nothing is looked up on the values.
            assert (
                EmailTemplate(subject="s $rma", body=bad).render({"rma": "X"})[1]
                == "{rma.__class__}X.__class__"
            )
            continue
        with pytest.raises(ValidationError):
            EmailTemplate(subject="s", body=bad)
    assert {"rma", "amount", "reason", "options"} <= PLACEHOLDERS


def test_a_subject_stays_one_line() -> None:
    template = EmailTemplate(subject="About $rma: $reason", body="b")
    assert template.render({"rma": "X", "reason": "worn\nand torn"})[0] == "About X: worn and torn"


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (("zh-CN",), "zh"),
        (("de-AT", "fr"), "de"),
        ((None, "es"), "es"),
        (("pt-BR", "fr-CA"), "fr"),
        (("ja", None), "en"),
        ((), "en"),
        (("FR_fr",), "fr"),
    ],
)
def test_language_from_bcp47_tags_with_english_fallback(tags: tuple[str | None, ...], expected: str) -> None:
    assert language_for(*tags) == expected


LABEL = {
    "rma": "K7Q-4M2-XAC",
    "carrier": "USPS",
    "valid_until": "2026-01-02",
    "tracking_number": "9400100208303109505657",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_label_email_links_the_label_the_qr_code_and_the_customs_invoice(language: str) -> None:
    values = {
        **LABEL,
        "label_url": "https://easypost-files.example/label.pdf",
        "qr_code_url": "https://easypost-files.example/qr.png",
        "customs_invoice_url": "https://easypost-files.example/invoice.pdf",
        "customs_papers": "yes",
    }
    rendered = render(language, "return.label_issued", values)
    assert rendered is not None
    body = rendered[1]
    defaults = catalogue(language).defaults
    for url in (values["label_url"], values["qr_code_url"], values["customs_invoice_url"]):
        assert url in body, (language, url)
    assert f"{defaults['qr_code_text']} {values['qr_code_url']}" in body
    assert "$" not in body


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_label_without_extras_says_where_to_print_it(language: str) -> None:
    defaults = catalogue(language).defaults
    plain = render(language, "return.label_issued", LABEL)
    assert plain is not None
    # No carrier link (a specimen Boomerang stored): the return's page; no QR line, no customs line.
    assert defaults["label_url"] in plain[1]
    assert defaults["qr_code_text"] not in plain[1] and defaults["customs_page_text"] not in plain[1]
    # Customs papers Boomerang rendered (no carrier URL): printed from the return's page.
    papers = render(language, "return.label_issued", {**LABEL, "customs_papers": "yes"})
    assert papers is not None and defaults["customs_page_text"] in papers[1]
