"""Refund amounts (boomerang.domain.refunds) and the refund failure catalogue, without AWS."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from boomerang.domain.models import (
    Decision,
    Grade,
    HubChoice,
    InspectedItem,
    Inspection,
    Outcome,
    Refund,
    Resolution,
    Return,
    ReturnItem,
)
from boomerang.domain.money import Money
from boomerang.domain.refund_failures import CATALOGUE, STRIPE_FAILURE_REASONS, refund_failure
from boomerang.domain.refunds import RefundTerms, quote_refund, store_credit_amount
from boomerang.domain.status import ReturnStatus
from boomerang.notify.messages import message_for

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def usd(cents: int) -> Money:
    return Money(amount=cents, currency="USD")


def a_return(*items: tuple[str, int, str], grades: dict[str, tuple[Grade, int]] | None = None) -> Return:
    """items: (line_id, price in cents, reason); grades: line_id -> (grade, refund in cents)."""
    inspection = None
    if grades:
        inspected = [InspectedItem(line_id=lid, grade=g, refund=usd(c)) for lid, (g, c) in grades.items()]
        inspection = Inspection(
            items=inspected,
            refund_total=usd(sum(i.refund.amount for i in inspected)),
            inspected_by="staff:w",
            inspected_at=NOW,
        )
    return Return(
        rma="K7Q-4M2-XAC",
        shop="demo",
        order_id="1001",
        customer_ref="c" * 16,
        status=ReturnStatus.INSPECTED if grades else ReturnStatus.DELIVERED,
        resolution=Resolution.REFUND,
        items=[
            ReturnItem(
                line_id=lid, sku=f"S-{lid}", category="apparel", quantity=1, reason=reason, unit_price=usd(p)
            )
            for lid, p, reason in items
        ],
        decision=Decision(outcome=Outcome.APPROVED, rules=[], policy_version=1, decided_at=NOW),
        hub=HubChoice(
            hub_id="us-nj",
            name="NJ",
            country="US",
            cost=usd(599),
            fallback_hub_id="origin",
            fallback_cost=usd(2500),
        ),
        created_at=NOW,
        updated_at=NOW,
        inspection=inspection,
    )


def test_partial_refund_after_a_scrap_grade() -> None:
    ret = a_return(
        ("L1", 4000, "size_too_small"),
        ("L2", 2500, "unwanted"),
        grades={"L1": (Grade.RESELLABLE, 4000), "L2": (Grade.SCRAP, 0)},
    )
    quote = quote_refund(ret, RefundTerms(), captured=usd(6500), earlier_refunds=usd(0))
    assert quote.amount == usd(4000)
    assert [line.refund.amount for line in quote.lines] == [4000, 0]


def test_restocking_and_return_shipping_only_for_the_customers_choice() -> None:
    terms = RefundTerms(restocking_percent=10, return_shipping={"USD": 599})
    chosen = a_return(("L1", 5000, "unwanted"))
    quote = quote_refund(chosen, terms, captured=usd(5000), earlier_refunds=usd(0))
    assert quote.lines[0].restocking_fee == usd(500)
    assert quote.return_shipping_fee == usd(599)
    assert quote.amount == usd(5000 - 500 - 599)
    faulty = a_return(("L1", 5000, "defective"))
    assert quote_refund(faulty, terms, captured=usd(5000), earlier_refunds=usd(0)).amount == usd(5000)


def test_never_more_than_the_charge_has_left() -> None:
    ret = a_return(("L1", 4000, "defective"))
    # Another return of the order already took 3000 of the 5000 captured.
    quote = quote_refund(ret, RefundTerms(), captured=usd(5000), earlier_refunds=usd(3000))
    assert quote.amount == usd(2000) and quote.left_on_charge == usd(2000) and quote.capped
    nothing_left = quote_refund(ret, RefundTerms(), captured=usd(5000), earlier_refunds=usd(6000))
    assert nothing_left.amount == usd(0)


def test_fees_never_make_a_refund_negative() -> None:
    ret = a_return(("L1", 300, "unwanted"))
    quote = quote_refund(
        ret, RefundTerms(return_shipping={"USD": 599}), captured=usd(300), earlier_refunds=usd(0)
    )
    assert quote.amount == usd(0)


def test_store_credit_bonus() -> None:
    credit, bonus = store_credit_amount(usd(4000), RefundTerms(store_credit_bonus_percent=10))
    assert (credit, bonus) == (usd(4400), usd(400))
    assert store_credit_amount(usd(4000), RefundTerms()) == (usd(4000), usd(0))


@pytest.mark.parametrize("reason", [*STRIPE_FAILURE_REASONS, "payment_method_unusable", "charge_disputed"])
def test_every_failure_reason_says_what_happens_next(reason: str) -> None:
    failure = refund_failure(reason)
    assert failure.reason == reason
    assert failure.staff_note and failure.customer_text
    if not failure.disputed and reason not in ("charge_already_refunded",):
        # The customer learns how long each alternative takes.
        assert "store credit at once" in failure.customer_text
        assert "bank transfer (5-7 business days)" in failure.customer_text


def test_disputed_charges_are_never_paid_again_by_card() -> None:
    for reason in ("charge_for_pending_refund_disputed", "charge_disputed"):
        assert CATALOGUE[reason].disputed and not CATALOGUE[reason].card_retry
    assert refund_failure("something_new").reason == "unknown"
    assert refund_failure(None).reason == "unknown"


def test_the_customer_is_told_by_the_catalogue() -> None:
    ret = a_return(("L1", 4000, "defective")).model_copy(
        update={
            "status": ReturnStatus.REFUND_FAILED,
            "refund": Refund(
                method=Resolution.REFUND,
                amount=usd(4000),
                status="failed",
                failure_reason="lost_or_stolen_card",
            ),
        }
    )
    message = message_for(ret)
    assert message is not None
    assert message.body == CATALOGUE["lost_or_stolen_card"].customer_text
    assert "lost or stolen" in message.body


def test_a_store_credit_bonus_stops_at_the_largest_amount() -> None:
    from boomerang.domain.money import largest

    terms = RefundTerms(store_credit_bonus_percent=10)
    credit, bonus = store_credit_amount(largest("USD"), terms)
    assert credit == largest("USD") and bonus.amount == 0
    credit, bonus = store_credit_amount(Money(amount=950_000_000_000_00, currency="USD"), terms)
    assert credit == largest("USD") and bonus.amount == 49_999_999_999_99
