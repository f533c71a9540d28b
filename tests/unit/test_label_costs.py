"""The saving report: label cost by hub against the origin, from what each return recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from bench.label_costs import section, summarize
from boomerang.domain.models import Label
from boomerang.domain.money import Money
from tests.unit.test_easypost_carrier import a_return

NOW = datetime(2026, 3, 2, tzinfo=UTC)


def test_sums_label_and_origin_cost_per_hub_and_skips_returns_without_a_label() -> None:
    labelled = a_return()
    label = Label(carrier="USPS", tracking_number="T", cost=Money(amount=599, currency="USD"),
                  issued_at=NOW, valid_until=NOW)  # fmt: skip
    with_label = labelled.model_copy(update={"label": label})
    rows = summarize([with_label, with_label, labelled])
    (row,) = rows
    assert (row.hub_id, row.returns) == ("us-nj", 2)
    assert (row.label_cost, row.origin_cost) == (Decimal("11.98"), Decimal("50.00"))
    text = section(rows)
    assert "| us-nj (New Jersey returns hub) | 2 | USD 11.98 | USD 5.99 | USD 50.00 | 76% |" in text
