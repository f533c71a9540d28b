"""Guards the domain keeps on its own, whoever calls it (not only the API)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from boomerang.domain.models import Outcome
from boomerang.domain.money import Money
from boomerang.domain.policy import RequestedItem, default_policy
from tests.unit.factories import decision_for, item, line, order


def test_a_currency_without_thresholds_still_meets_the_evidence_gate() -> None:
    big = order(line("L1", "5000.00", currency="CHF"), currency="CHF")
    decision = decision_for(default_policy(), big, [item(reason="size_too_small")])
    assert decision.outcome is Outcome.AWAITING_EVIDENCE
    assert decision.evidence_required
    fired = {r.rule_id: r.message for r in decision.rules}
    assert "none is set for CHF" in fired["evidence_over_100"]
    assert "auto_approve_size_under_50" not in fired


def test_negative_prices_are_refused() -> None:
    with pytest.raises(ValidationError):
        line("L1", "-5.00")


def test_lines_in_another_currency_than_the_order_are_refused() -> None:
    with pytest.raises(ValidationError):
        order(line("L1", "5.00", currency="EUR"), currency="USD")


def test_requested_quantity_must_be_positive() -> None:
    with pytest.raises(ValidationError):
        RequestedItem(line_id="L1", quantity=0, reason="other")


@pytest.mark.parametrize("text", ["1e2", "1_000", " 5.00", "5.00 ", "NaN", "Infinity", "", "."])
def test_money_parse_takes_plain_decimals_only(text: str) -> None:
    with pytest.raises(ValueError):
        Money.parse(text, "USD")
