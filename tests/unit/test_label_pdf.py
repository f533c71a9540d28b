"""The sandbox label is a real PDF: it opens, shows the hub's address, and its Code 128 barcode,
read back from the drawing itself, is the RMA."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader

from boomerang.carriers.label_pdf import BAR_HEIGHT, render_label
from boomerang.domain import rma as rma_numbers
from boomerang.domain.models import Label
from boomerang.domain.money import Money
from boomerang.domain.policy import default_policy

from .code128_reader import decode, patterns, read_barcode

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
HUBS = {hub.hub_id: hub for hub in default_policy().hubs}


def _label(carrier: str = "GLS") -> Label:
    return Label(
        carrier=carrier,
        tracking_number="SBX000123456789",
        cost=Money(amount=420, currency="EUR"),
        issued_at=NOW,
        valid_until=NOW + timedelta(days=30),
    )


def test_the_reader_uses_the_standard_code_128_table() -> None:
    table = patterns()
    # ISO/IEC 15417 values: 0, 1, 2, 63 ('_' in set B), Start A/B/C, and the stop's first six.
    standard = {"212222": 0, "222122": 1, "222221": 2, "111224": 63,
                "211412": 103, "211214": 104, "211232": 105, "233111": 106}  # fmt: skip
    for pattern, value in standard.items():
        assert table[pattern] == value
    assert len(table) == 107
    assert all(sum(map(int, p)) == 11 for p in table)  # every symbol is 11 modules wide


@pytest.mark.parametrize("hub_id", ["us-nj", "eu-pl-gls", "origin"])
def test_label_opens_and_its_barcode_decodes_to_the_rma(hub_id: str) -> None:
    rma = rma_numbers.generate()
    pdf = render_label(rma, HUBS[hub_id], _label())
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    address = HUBS[hub_id].address
    for part in (address.name, address.line1, address.postal_code, address.country, rma, "GLS"):
        assert part in text
    assert read_barcode(pdf, BAR_HEIGHT) == rma


def test_a_damaged_barcode_does_not_decode() -> None:
    rma = "K7Q-4M2-XAC"
    pdf = render_label(rma, HUBS["us-nj"], _label())
    from .code128_reader import bars_on_page, widths

    modules = widths(bars_on_page(pdf, BAR_HEIGHT))
    assert decode(modules) == rma
    # Swap two data symbols: every symbol is still valid, only the check symbol catches it.
    swapped = modules[:6] + modules[12:18] + modules[6:12] + modules[18:]
    with pytest.raises(ValueError, match="check"):
        decode(swapped)


def test_rendering_is_deterministic_so_a_retried_step_writes_the_same_file() -> None:
    assert render_label("K7Q-4M2-XAC", HUBS["us-nj"], _label()) == render_label(
        "K7Q-4M2-XAC", HUBS["us-nj"], _label()
    )


def test_a_sandbox_label_says_it_is_a_specimen_and_still_scans() -> None:
    pdf = render_label("K7Q-4M2-XAC", HUBS["us-nj"], _label(), specimen=True)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "SPECIMEN — NOT VALID FOR POSTAGE" in text
    assert read_barcode(pdf, BAR_HEIGHT) == "K7Q-4M2-XAC"
    assert (
        "SPECIMEN"
        not in PdfReader(io.BytesIO(render_label("K7Q-4M2-XAC", HUBS["us-nj"], _label())))
        .pages[0]
        .extract_text()
    )
