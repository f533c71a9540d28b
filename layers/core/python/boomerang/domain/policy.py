"""Return policies as data: the document (`Policy`), eligibility per order line and the checks on a
return request. The decision engine is domain/decision.py (re-exported here).

A policy is a versioned JSON document validated by `Policy`. Its thresholds are amounts by currency
(`AmountsByCurrency`): the shop's base currency, converted at the day's reference rate for any other
currency (domain/fx.py), unless the table pins an amount in that currency. Its markets set terms per
group of countries (domain/markets.py); its automation options are off until set (domain/automation.py).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from boomerang.domain.automation import Automation
from boomerang.domain.errors import Unprocessable
from boomerang.domain.evidence import EvidencePolicy
from boomerang.domain.fx import FixedRate
from boomerang.domain.markets import Market, ReturnShipping, WindowFrom, market_for, window_start
from boomerang.domain.models import (
    AppliedMarket,
    Effect,
    Grade,
    Hub,
    Order,
    OrderLine,
    Resolution,
)
from boomerang.domain.money import AmountsByCurrency, Currency
from boomerang.domain.refunds import RefundTerms

SHOPIFY_REASONS = (
    "size_too_small",
    "size_too_large",
    "defective",
    "not_as_described",
    "wrong_item",
    "unwanted",
    "color",
    "style",
    "other",
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CategoryRule(Strict):
    returnable: bool = True
    window_days: int | None = Field(default=None, ge=0, le=3650)
    reasons: list[str] | None = None
    resolutions: list[Resolution] | None = None
    not_returnable_message: str = "Items in this category cannot be returned."


class When(Strict):
    """Conditions of a rule; every condition given must hold for the rule to fire."""

    return_amount_below: AmountsByCurrency | None = Field(default=None, description="currency -> amount")
    order_total_above: AmountsByCurrency | None = Field(default=None, description="currency -> amount")
    return_amount_above: AmountsByCurrency | None = Field(
        default=None, description="currency -> amount; the value being returned (what a video guards)"
    )
    reason_in: list[str] | None = Field(default=None, description="every item's reason is one of these")
    category_in: list[str] | None = Field(default=None, description="some item is in one of these")
    category_not_in: list[str] | None = Field(default=None, description="no item is in any of these")
    days_since_delivery_below: int | None = Field(default=None, ge=0)
    days_since_order_below: int | None = Field(default=None, ge=0)
    customer_returns_in_30_days_at_least: int | None = Field(
        default=None, ge=1, description="the customer's earlier returns in the last 30 days (not this one)"
    )

    def money_tables(self) -> list[dict[str, int]]:
        tables = (self.return_amount_below, self.order_total_above, self.return_amount_above)
        return [table for table in tables if table is not None]


class Rule(Strict):
    rule_id: str = Field(pattern=r"^[a-z0-9_]+$")
    effect: Effect
    when: When
    message: str = Field(min_length=1, description="Shown to customer and staff; may use {placeholders}")
    flag: str | None = None

    @model_validator(mode="after")
    def _decides(self) -> Rule:
        if self.effect is Effect.SETTLE:
            raise ValueError("'settle' is how an approved return is paid, not what a rule decides")
        return self

    def money_tables(self) -> list[dict[str, int]]:
        return self.when.money_tables()


class GradeRule(Strict):
    refund_percent: int = Field(ge=0, le=100)
    disposition: str = Field(description="what the ERP does with the stock: restock, repair, scrap")


def _default_grades() -> dict[Grade, GradeRule]:
    return {
        Grade.RESELLABLE: GradeRule(refund_percent=100, disposition="restock_after_cleaning"),
        Grade.NEEDS_REPAIR: GradeRule(refund_percent=50, disposition="needs_repair"),
        Grade.SCRAP: GradeRule(refund_percent=0, disposition="scrap"),
    }


class Timeouts(Strict):
    """How long the workflow waits for each party before it escalates or expires (ISO 8601
    durations in the policy document, e.g. "PT48H", "P14D")."""

    review: timedelta = Field(default=timedelta(hours=48), description="then the review is escalated")
    evidence: timedelta = Field(default=timedelta(days=7), description="then the request expires")
    label_valid: timedelta = Field(default=timedelta(days=14), description="an unused label then expires")
    inspection: timedelta = Field(default=timedelta(days=10), description="then the warehouse is reminded")
    settlement: timedelta = Field(default=timedelta(days=10), description="then finance is alerted")
    fulfilment: timedelta = Field(
        default=timedelta(days=7), description="an exchange's replacement unshipped: then staff are alerted"
    )
    # A Stripe Checkout Session lives 24 hours at most: the link must work for the whole wait.
    difference_payment: timedelta = Field(
        default=timedelta(hours=24),
        le=timedelta(hours=24),
        description="a dearer replacement's difference unpaid: then the exchange falls back",
    )

    @model_validator(mode="after")
    def _at_least_a_second(self) -> Timeouts:
        for name, value in self:
            if value.total_seconds() < 1:
                raise ValueError(f"timeouts.{name} must be at least one second")
        return self


class InstantExchange(Strict):
    """The replacement ships when the label is issued; the customer's card (a Stripe payment's
    saved method) is held for its value until the return arrives (issue 17)."""

    ship_within: timedelta = Field(
        default=timedelta(days=5), description="the return must be in transit by then, else it is charged"
    )
    authorization_valid: timedelta = Field(
        default=timedelta(days=7),
        description="how long the card network keeps an authorization (Stripe: 7 days online); "
        "a deadline beyond it charges the saved method off-session instead",
    )


class ExchangeTerms(Strict):
    """How exchanges are decided, besides the rules every return goes through (issue 17)."""

    exchange_only_categories: list[str] = Field(
        default_factory=list, description="items of these categories are exchanged, never refunded"
    )
    other_products: bool = Field(
        default=False, description="a variant of another product of the same category may be chosen"
    )
    max_price_difference: AmountsByCurrency | None = Field(
        default=None, description="currency -> the largest price difference per item, either way"
    )
    difference_to: Resolution = Field(
        default=Resolution.REFUND, description="how a cheaper replacement's difference is paid back"
    )
    out_of_stock_fallback: Resolution = Field(
        default=Resolution.STORE_CREDIT,
        description="what an exchange becomes when its replacement is out of stock at resolution",
    )
    dearer_replacements: bool = Field(
        default=False,
        description="a dearer replacement may be chosen: the customer pays the difference before it ships",
    )
    unpaid_fallback: Resolution = Field(
        default=Resolution.REFUND,
        description="what an exchange becomes when its difference is not paid in time",
    )
    instant: InstantExchange | None = Field(
        default=None, description="instant exchange for same-price replacements of Stripe orders"
    )

    @model_validator(mode="after")
    def _money_back(self) -> ExchangeTerms:
        for name in ("difference_to", "out_of_stock_fallback", "unpaid_fallback"):
            if getattr(self, name) is Resolution.EXCHANGE:
                raise ValueError(f"exchanges.{name} is refund or store_credit")
        return self


class KeepItem(Strict):
    """Resolve without a label (a returnless refund): the customer keeps the item. Fires for an
    approved return when any condition given holds."""

    label_cost_share_above: int | None = Field(
        default=None, ge=1, le=1000, description="the label would cost more than this % of the items' value"
    )
    categories: list[str] = Field(default_factory=list, description="every item is in one of these")
    message: str = Field(
        default="Keep the item: returning it would cost more than it is worth.", min_length=1, max_length=500
    )


class Policy(Strict):
    policy_id: str
    version: int = Field(ge=1)
    name: str
    window_days: int = Field(ge=0, le=3650)
    window_from: WindowFrom = WindowFrom.DELIVERY
    conditions: str
    # Thresholds are set in this currency and converted for others, unless pinned per currency.
    base_currency: Currency = "USD"
    # Rates the shop sets for currencies the ECB does not publish (KWD, BHD, ...), each with its date.
    fx_rates: dict[Currency, FixedRate] = Field(default_factory=dict)
    # The shop's language (BCP 47): customers whose language is unknown or unsupported read this one.
    default_language: str = Field(default="en", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    markets: list[Market] = Field(default_factory=list)
    reasons: list[str] = Field(min_length=1)
    resolutions: list[Resolution] = Field(min_length=1)
    categories: dict[str, CategoryRule] = Field(default_factory=dict)
    rules: list[Rule]
    regions: dict[str, list[str]] = Field(default_factory=dict)
    hubs: list[Hub] = Field(min_length=1)
    fallback_hub_id: str
    no_rule_message: str = "No automatic approval rule applies, so a member of staff will review the request."
    grades: dict[Grade, GradeRule] = Field(default_factory=_default_grades)
    # Refund when the carrier reports delivery, before inspection: only where these conditions hold.
    refund_on_delivery: When | None = None
    timeouts: Timeouts = Field(default_factory=Timeouts)
    evidence: EvidencePolicy = Field(default_factory=EvidencePolicy)
    # Fees deducted from refunds and the bonus for choosing store credit (none by default).
    refunds: RefundTerms = Field(default_factory=RefundTerms)
    # Trusted customers, evidence-checked approval, refund on the first carrier scan: all off by default.
    automation: Automation = Field(default_factory=Automation)
    exchanges: ExchangeTerms = Field(default_factory=ExchangeTerms)
    keep_item: KeepItem | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        ids = [rule.rule_id for rule in self.rules]
        if len(ids) != len(set(ids)):
            raise ValueError("rule ids must be unique")
        hub_ids = {hub.hub_id for hub in self.hubs}
        if self.fallback_hub_id not in hub_ids:
            raise ValueError(f"fallback_hub_id '{self.fallback_hub_id}' is not one of the hubs")
        market_ids = [market.market_id for market in self.markets]
        if len(market_ids) != len(set(market_ids)):
            raise ValueError("market ids must be unique")
        for market in self.markets:
            for name in market.countries:
                if name not in self.regions and not (len(name) == 2 and name.isalpha() and name.isupper()):
                    raise ValueError(f"market '{market.market_id}': '{name}' is no country code or region")
            if market.return_hub_id is not None and market.return_hub_id not in hub_ids:
                raise ValueError(f"market '{market.market_id}': return_hub_id is not one of the hubs")
        return self

    def category(self, name: str) -> CategoryRule:
        return self.categories.get(name, CategoryRule())

    def market_for(self, country: str | None) -> Market | None:
        return market_for(self.markets, self.regions, country)

    def window_for(self, line: OrderLine, market: Market | None = None) -> int:
        if market is not None and market.window_days is not None:
            return market.window_days
        rule = self.category(line.category)
        return self.window_days if rule.window_days is None else rule.window_days

    def window_from_for(self, market: Market | None = None) -> WindowFrom:
        return market.window_from if market is not None and market.window_from else self.window_from

    def reasons_for(self, line: OrderLine, market: Market | None = None) -> list[str]:
        if market is not None and market.reasons is not None:
            return list(market.reasons)
        return list(self.category(line.category).reasons or self.reasons)

    def resolutions_for(self, line: OrderLine) -> list[Resolution]:
        if line.category in self.exchanges.exchange_only_categories:
            return [Resolution.EXCHANGE]
        return list(self.category(line.category).resolutions or self.resolutions)

    def final_sale(self, line: OrderLine, market: Market | None = None) -> str | None:
        """Why the line cannot be returned (its category is final sale), or None."""
        rule = self.category(line.category)
        if market is not None and market.final_sale_categories is not None:
            if line.category not in market.final_sale_categories:
                return None
            return (
                rule.not_returnable_message if not rule.returnable else "Final-sale items cannot be returned."
            )
        return None if rule.returnable else rule.not_returnable_message

    def applied_market(self, market: Market | None) -> AppliedMarket:
        """The terms a decision names: the market's, each term it leaves out being the policy's."""
        shipping: ReturnShipping | None = market.return_shipping if market else None
        return AppliedMarket(
            market_id=market.market_id if market else None,
            name=market.name if market else "General terms",
            window_days=market.window_days if market and market.window_days is not None else self.window_days,
            window_from=self.window_from_for(market).value,
            return_shipping=shipping.value if shipping else None,
            return_hub_id=market.return_hub_id if market else None,
        )

    def money_tables(self) -> list[dict[str, int]]:
        """Every threshold table a decision compares against (not fees)."""
        tables = [table for rule in self.rules for table in rule.money_tables()]
        if self.refund_on_delivery is not None:
            tables += self.refund_on_delivery.money_tables()
        if self.exchanges.max_price_difference is not None:
            tables.append(self.exchanges.max_price_difference)
        options = self.automation
        if options.trusted_customers is not None:
            tables.append(options.trusted_customers.approve_up_to)
        for table in (
            options.evidence_checked_approval.up_to if options.evidence_checked_approval else None,
            options.refund_on_first_scan.up_to if options.refund_on_first_scan else None,
        ):
            if table is not None:
                tables.append(table)
        return tables

    def pins(self, currency: str) -> bool:
        """Whether every threshold has an amount of its own in `currency` (no conversion needed)."""
        return all(currency in table for table in self.money_tables())


def load_policy(document: str | bytes | dict[str, Any]) -> Policy:
    """Validate a policy document (JSON text or a parsed mapping)."""
    if isinstance(document, dict):
        return Policy.model_validate(document)
    return Policy.model_validate_json(document)


def default_policy() -> Policy:
    text = resources.files("boomerang.policies").joinpath("default.json").read_text(encoding="utf-8")
    return load_policy(text)


# --- eligibility ---------------------------------------------------------------------------------


class Ineligible(Strict):
    code: str
    message: str


class LineEligibility(Strict):
    line_id: str
    sku: str
    title: str
    category: str
    quantity: int
    returned_quantity: int
    returnable_quantity: int
    deadline: datetime
    reasons: list[str]
    resolutions: list[Resolution]
    eligible: bool
    ineligible: Ineligible | None = None


def deadline_for(policy: Policy, order: Order, line: OrderLine) -> datetime:
    """The last moment of the window: the end of its last day, in UTC (a customer counts days,
    not hours from the delivery scan). The customer's market sets the window where it has one."""
    market = policy.market_for(order.customer_country)
    start = window_start(order, line, policy.window_from_for(market))
    last_day = (start + timedelta(days=policy.window_for(line, market))).astimezone(UTC)
    return last_day.replace(hour=23, minute=59, second=59, microsecond=0)


def line_eligibility(policy: Policy, order: Order, line: OrderLine, now: datetime) -> LineEligibility:
    market = policy.market_for(order.customer_country)
    deadline = deadline_for(policy, order, line)
    returned = order.returned.get(line.line_id, 0)
    left = order.returnable_quantity(line.line_id)
    final_sale = policy.final_sale(line, market)
    why: Ineligible | None = None
    if final_sale is not None:
        why = Ineligible(code="category_not_returnable", message=final_sale)
    elif now > deadline:
        counted = "delivery" if policy.window_from_for(market) is WindowFrom.DELIVERY else "the order"
        why = Ineligible(
            code="return_window_closed",
            message=(
                f"The {policy.window_for(line, market)}-day return window (from {counted}) "
                f"closed on {deadline:%Y-%m-%d}."
            ),
        )
    elif left == 0:
        why = Ineligible(
            code="already_returned",
            message="Every unit of this line is already being returned."
            if order.removed.get(line.line_id, 0) == 0
            else "Every unit of this line is already returned, refunded or cancelled.",
        )
    return LineEligibility(
        line_id=line.line_id,
        sku=line.sku,
        title=line.title,
        category=line.category,
        quantity=line.quantity,
        returned_quantity=returned,
        returnable_quantity=0 if why else left,
        deadline=deadline,
        reasons=policy.reasons_for(line, market),
        resolutions=policy.resolutions_for(line),
        eligible=why is None,
        ineligible=why,
    )


class RequestedItem(Strict):
    line_id: str
    quantity: int = Field(ge=1)
    reason: str
    exchange_variant_id: str | None = None


def check_request(
    policy: Policy, order: Order, items: list[RequestedItem], resolution: Resolution, now: datetime
) -> None:
    """Refuse a return request the policy does not allow, naming each offending item."""
    details: list[dict[str, Any]] = []
    seen: set[str] = set()
    market = policy.market_for(order.customer_country)
    for index, item in enumerate(items):
        field = f"items[{index}]"
        line = order.line(item.line_id)
        if item.line_id in seen:
            details.append(
                {"field": f"{field}.line_id", "code": "duplicate_line", "message": "Line listed twice."}
            )
            continue
        seen.add(item.line_id)
        if line is None:
            details.append(
                {
                    "field": f"{field}.line_id",
                    "code": "line_not_on_order",
                    "message": "No such line on the order.",
                }
            )
            continue
        elig = line_eligibility(policy, order, line, now)
        if elig.ineligible is not None:
            details.append({"field": field, "code": elig.ineligible.code, "message": elig.ineligible.message})
        elif item.quantity > elig.returnable_quantity:
            details.append(
                {
                    "field": f"{field}.quantity",
                    "code": "quantity_exceeds_returnable",
                    "message": f"At most {elig.returnable_quantity} of this line can be returned.",
                }
            )
        if line is not None and item.reason not in policy.reasons_for(line, market):
            details.append(
                {
                    "field": f"{field}.reason",
                    "code": "reason_not_allowed",
                    "message": f"Allowed reasons: {', '.join(policy.reasons_for(line, market))}.",
                }
            )
        if line is not None and resolution not in policy.resolutions_for(line):
            details.append(
                {
                    "field": "resolution",
                    "code": "resolution_not_allowed",
                    "message": f"'{resolution.value}' is not offered for {line.category} items.",
                }
            )
    if details:
        first = details[0]
        raise Unprocessable(first["message"], code=first["code"], details=details)


def policy_json(policy: Policy) -> str:
    return json.dumps(policy.model_dump(mode="json"), indent=2)


# The decision engine lives in domain/decision.py; these names stay importable from here.
from boomerang.domain.decision import DecisionFacts as DecisionFacts  # noqa: E402
from boomerang.domain.decision import decide as decide  # noqa: E402
from boomerang.domain.decision import facts_for as facts_for  # noqa: E402
