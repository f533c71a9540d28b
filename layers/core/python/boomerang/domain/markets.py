"""Markets: the terms a policy sets for a group of countries.

A market names its countries (ISO 3166-1 alpha-2, or a region of the policy such as "EU") and may
set any of: the return window and what it counts from, the reasons accepted, the categories that are
final sale there, who pays return shipping, and the return address (one of the policy's hubs). A
term the market leaves out is the policy's. A market's term is the most specific one: it applies to
every category in its countries (the EU's 14-day right of withdrawal holds for electronics too, and a
clearance "final sale" cannot take it away, so a market lists its own final-sale categories).

The first market naming a customer's country applies; a country in no market gets the policy's
general terms. The decision records which terms applied (models.AppliedMarket).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from boomerang.domain.models import Order, OrderLine
from boomerang.domain.money import Money
from boomerang.domain.refunds import RefundTerms


class WindowFrom(StrEnum):
    """What a return window counts from. Delivery falls back to the order date where the order
    carries no delivery date (the stricter reading)."""

    DELIVERY = "delivery"
    ORDER = "order"


class ReturnShipping(StrEnum):
    """Who pays for the return label: the merchant, or the customer (the refund terms' return
    shipping fee is deducted from the refund, except where the reason is the merchant's fault)."""

    MERCHANT = "merchant"
    CUSTOMER = "customer"


class Market(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    market_id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str = Field(min_length=1, max_length=100)
    countries: list[str] = Field(
        min_length=1, description="ISO 3166-1 alpha-2 codes, or region names of the policy (e.g. EU)"
    )
    window_days: int | None = Field(default=None, ge=0, le=3650)
    window_from: WindowFrom | None = None
    reasons: list[str] | None = Field(default=None, min_length=1, description="the reasons accepted")
    final_sale_categories: list[str] | None = Field(
        default=None, description="categories that cannot be returned here (replaces the policy's)"
    )
    return_shipping: ReturnShipping | None = None
    return_hub_id: str | None = Field(default=None, description="the return address: one of the hubs")
    terms: str | None = Field(default=None, max_length=2000, description="the terms in words, for customers")


def window_start(order: Order, line: OrderLine, counted_from: WindowFrom = WindowFrom.DELIVERY) -> datetime:
    # From delivery; without a delivery date, from the order (the stricter reading).
    if counted_from is WindowFrom.ORDER:
        return order.ordered_at
    return line.delivered_at or order.ordered_at


def market_for(markets: list[Market], regions: dict[str, list[str]], country: str | None) -> Market | None:
    """The first market naming the country, directly or through a region."""
    if not country:
        return None
    for market in markets:
        if country in market.countries or any(country in regions.get(name, []) for name in market.countries):
            return market
    return None


def refund_terms_for(terms: RefundTerms, shipping: ReturnShipping | None, fee: Money | None) -> RefundTerms:
    """The refund terms of a return whose market says who pays return shipping: the merchant (no
    fee, whatever the terms say), or the customer (`fee`, the terms' fee in the return's currency,
    pinned or converted at the decision's rate)."""
    if shipping is ReturnShipping.MERCHANT:
        return terms.model_copy(update={"return_shipping": {}})
    if shipping is ReturnShipping.CUSTOMER and fee is not None:
        return terms.model_copy(update={"return_shipping": {fee.currency: fee.amount}})
    return terms
