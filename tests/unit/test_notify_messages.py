"""What the customer is told at each status: filled in, no placeholders left, nothing for internal steps."""

from __future__ import annotations

from datetime import UTC, datetime

from boomerang.domain.models import (
    Decision,
    HubChoice,
    Label,
    Outcome,
    Refund,
    Resolution,
    Return,
    ReturnItem,
)
from boomerang.domain.money import Money
from boomerang.domain.status import ReturnStatus
from boomerang.notify.messages import message_for

NOW = datetime(2026, 11, 26, tzinfo=UTC)
USD = Money(amount=3900, currency="USD")


def a_return(status: ReturnStatus) -> Return:
    return Return(
        rma="K7Q-4M2-XAC",
        shop="demo",
        order_id="1001",
        customer_ref="ref",
        status=status,
        resolution=Resolution.REFUND,
        items=[
            ReturnItem(
                line_id="1",
                sku="TEE",
                category="apparel",
                quantity=1,
                reason="size_too_small",
                unit_price=USD,
            )
        ],
        decision=Decision(outcome=Outcome.APPROVED, rules=[], policy_version=1, decided_at=NOW),
        hub=HubChoice(
            hub_id="us-nj",
            name="NJ",
            country="US",
            cost=Money(amount=599, currency="USD"),
            fallback_hub_id="origin",
            fallback_cost=Money(amount=2500, currency="USD"),
        ),
        created_at=NOW,
        updated_at=NOW,
        label=Label(carrier="UPS", tracking_number="1Z", cost=USD, issued_at=NOW, valid_until=NOW),
        refund=Refund(method=Resolution.REFUND, amount=USD, status="succeeded"),
    )


def test_every_customer_facing_status_has_a_complete_message() -> None:
    for status in ReturnStatus:
        message = message_for(a_return(status), reason="Signs of wear")
        if status in (
            ReturnStatus.APPROVED,
            ReturnStatus.IN_TRANSIT,
            ReturnStatus.DELIVERED,
            ReturnStatus.INSPECTED,
            ReturnStatus.REFUND_PENDING,
            ReturnStatus.CLOSED,
        ):
            assert message is None, status
            continue
        assert message is not None, status
        assert "K7Q-4M2-XAC" in message.subject
        assert "{" not in message.subject + message.body, status


def test_messages_carry_the_facts() -> None:
    label = message_for(a_return(ReturnStatus.LABEL_ISSUED))
    assert label is not None and "UPS" in label.body and "2026-11-26" in label.body
    refunded = message_for(a_return(ReturnStatus.REFUNDED))
    assert refunded is not None and "USD 39.00" in refunded.body and "business days" in refunded.body
    rejected = message_for(a_return(ReturnStatus.REJECTED), reason="Signs of wear")
    assert rejected is not None and "Signs of wear" in rejected.body
