"""The customer emails' texts: one file per language in boomerang/notify/templates/ (en, zh, es,
de, fr), and per-shop overrides a merchant stores in the table (`boomerang templates set`).

A template is a subject and a plain-text body with `$placeholders` (string.Template: no attribute
access or formatting language, so a merchant's text cannot reach into the objects it is filled
from). An override must use only the placeholders below; it replaces the library's text for that
shop, language and template.
"""

from __future__ import annotations

import json
import string
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, field_validator

from boomerang.domain.language import choose_language

LANGUAGES = ("en", "zh", "es", "de", "fr")
FALLBACK = "en"
PLACEHOLDERS = frozenset(
    {
        "rma",
        "order_number",
        "amount",
        "carrier",
        "tracking_number",
        "tracking_url",
        "valid_until",
        "label_url",
        "qr_code_url",
        "customs_invoice_url",
        # The label's extras, each on a line of its own, in the customer's language: the carrier's
        # QR code for printer-free drop-off and the customs papers, where the label has them.
        "label_extras",
        "reason",
        "options",
        # Outbound parcels' messages (boomerang.notify.shipments).
        "status",
        "eta",
        "track_url",
        # A dearer replacement's difference: what is due and the link it is paid at.
        "amount_due",
        "payment_url",
    }
)


class EmailTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=10_000)

    @field_validator("subject", "body")
    @classmethod
    def _known_placeholders(cls, text: str) -> str:
        template = string.Template(text)
        if not template.is_valid():
            raise ValueError("a '$' must start a placeholder such as $rma (write $$ for a dollar sign)")
        unknown = set(template.get_identifiers()) - PLACEHOLDERS
        if unknown:
            raise ValueError(f"unknown placeholders {sorted(unknown)}; known: {sorted(PLACEHOLDERS)}")
        return text

    def render(self, values: dict[str, str]) -> tuple[str, str]:
        subject = string.Template(self.subject).safe_substitute(values)
        # A subject is one line, whatever a value holds.
        return " ".join(subject.split()), string.Template(self.body).safe_substitute(values)


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    language: str
    defaults: dict[str, str]  # values a template falls back on, e.g. the refund options
    templates: dict[str, EmailTemplate]


@cache
def catalogue(language: str) -> Catalogue:
    text = resources.files("boomerang.notify").joinpath(f"templates/{language}.json").read_text("utf-8")
    return Catalogue.model_validate(json.loads(text))


def language_for(*preferences: str | None) -> str:
    """The first supported language among BCP 47 tags in order of preference (`zh-CN` -> `zh`,
    `de-AT` -> `de`); English when none is supported (boomerang.domain.language)."""
    return choose_language(*preferences, supported=LANGUAGES)


def with_label_extras(filled: dict[str, str]) -> dict[str, str]:
    """`filled` (a language's defaults and a message's values) with `label_extras`: the QR code's
    line where the carrier gave one, the customs papers' line where the parcel crosses a border (a
    link to the carrier's invoice, or where to print Boomerang's)."""
    lines: list[str] = []
    if filled.get("qr_code_url"):
        lines.append(f"{filled.get('qr_code_text', '')} {filled['qr_code_url']}")
    if filled.get("customs_invoice_url"):
        lines.append(f"{filled.get('customs_text', '')} {filled['customs_invoice_url']}")
    elif filled.get("customs_papers"):
        lines.append(filled.get("customs_page_text", ""))
    return {**filled, "label_extras": "".join("\n" + line for line in lines if line.strip())}


def render(language: str, name: str, values: dict[str, str]) -> tuple[str, str] | None:
    """A template of the library in `language` (English where that language lacks it), filled with
    the language's defaults and `values`; None where no language has the template."""
    template = catalogue(language).templates.get(name) or catalogue(FALLBACK).templates.get(name)
    if template is None:
        return None
    filled = with_label_extras({**catalogue(language).defaults, **values})
    # A refund failure names its next steps (dispute, retry, checking): that language's text.
    steps = values.get("next_steps")
    if steps and "options" not in values:
        filled["options"] = filled.get(f"options_{steps}", filled["options"])
    return template.render(filled)
