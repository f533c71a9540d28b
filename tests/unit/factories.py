"""Builders for unit tests: orders, lines and requests with sensible defaults, and a fixed clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from boomerang.domain.models import Decision, Order, OrderLine
from boomerang.domain.money import Money
from boomerang.domain.policy import Policy, RequestedItem, decide, facts_for

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)


def default_document() -> dict[str, Any]:
    """The shipped default policy as a fresh, mutable mapping."""
    text = resources.files("boomerang.policies").joinpath("default.json").read_text(encoding="utf-8")
    return json.loads(text)


def line(
    line_id: str = "L1",
    price: str = "45.00",
    *,
    currency: str = "USD",
    category: str = "apparel",
    quantity: int = 1,
    delivered_days_ago: float | None = 5,
) -> OrderLine:
    return OrderLine(
        line_id=line_id,
        sku=f"SKU-{line_id}",
        title=f"Item {line_id}",
        category=category,
        quantity=quantity,
        unit_price=Money.parse(price, currency),
        delivered_at=None if delivered_days_ago is None else NOW - timedelta(days=delivered_days_ago),
    )


def order(
    *lines: OrderLine,
    currency: str = "USD",
    country: str = "US",
    ordered_days_ago: float = 40,
    returned: dict[str, int] | None = None,
) -> Order:
    return Order(
        shop="demo",
        order_id="ord-1",
        order_number="#1001",
        customer_email="customer@example.com",
        customer_country=country,
        currency=currency,
        ordered_at=NOW - timedelta(days=ordered_days_ago),
        lines=list(lines) or [line(currency=currency)],
        returned=returned or {},
    )


def item(line_id: str = "L1", quantity: int = 1, reason: str = "size_too_small") -> RequestedItem:
    return RequestedItem(line_id=line_id, quantity=quantity, reason=reason)


def decision_for(
    policy: Policy,
    the_order: Order,
    items: list[RequestedItem],
    *,
    prior_returns_30d: int = 0,
    now: datetime = NOW,
) -> Decision:
    return decide(policy, facts_for(the_order, items, prior_returns_30d, now), now)


def rule_ids(decision: Decision) -> list[str]:
    return [rule.rule_id for rule in decision.rules]


def message_of(decision: Decision, rule_id: str) -> str:
    return next(rule.message for rule in decision.rules if rule.rule_id == rule_id)
