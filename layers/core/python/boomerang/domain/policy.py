"""Return policies as data, and the engine that applies them.

A policy is a versioned JSON document validated by `Policy`. The engine is pure: it takes an
order, the requested items, the customer's recent return count and the time, and answers
eligibility per line or a decision listing every rule that fired, in words a customer or an agent
can read.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from boomerang.domain.errors import Unprocessable
from boomerang.domain.evidence import EvidencePolicy
from boomerang.domain.models import (
    Decision,
    Effect,
    FiredRule,
    Grade,
    Hub,
    Order,
    OrderLine,
    Outcome,
    Resolution,
)
from boomerang.domain.money import AmountsByCurrency, Money
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
    reason_in: list[str] | None = Field(default=None, description="every item's reason is one of these")
    category_in: list[str] | None = Field(default=None, description="some item is in one of these")
    category_not_in: list[str] | None = Field(default=None, description="no item is in any of these")
    days_since_delivery_below: int | None = Field(default=None, ge=0)
    days_since_order_below: int | None = Field(default=None, ge=0)
    customer_returns_in_30_days_at_least: int | None = Field(default=None, ge=1)


class Rule(Strict):
    rule_id: str = Field(pattern=r"^[a-z0-9_]+$")
    effect: Effect
    when: When
    message: str = Field(min_length=1, description="Shown to customer and staff; may use {placeholders}")
    flag: str | None = None


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

    @model_validator(mode="after")
    def _at_least_a_second(self) -> Timeouts:
        for name, value in self:
            if value.total_seconds() < 1:
                raise ValueError(f"timeouts.{name} must be at least one second")
        return self


class Policy(Strict):
    policy_id: str
    version: int = Field(ge=1)
    name: str
    window_days: int = Field(ge=0, le=3650)
    conditions: str
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

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        ids = [rule.rule_id for rule in self.rules]
        if len(ids) != len(set(ids)):
            raise ValueError("rule ids must be unique")
        if self.fallback_hub_id not in {hub.hub_id for hub in self.hubs}:
            raise ValueError(f"fallback_hub_id '{self.fallback_hub_id}' is not one of the hubs")
        return self

    def category(self, name: str) -> CategoryRule:
        return self.categories.get(name, CategoryRule())

    def window_for(self, line: OrderLine) -> int:
        rule = self.category(line.category)
        return self.window_days if rule.window_days is None else rule.window_days

    def reasons_for(self, line: OrderLine) -> list[str]:
        return list(self.category(line.category).reasons or self.reasons)

    def resolutions_for(self, line: OrderLine) -> list[Resolution]:
        return list(self.category(line.category).resolutions or self.resolutions)


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


def window_start(order: Order, line: OrderLine) -> datetime:
    # The window runs from delivery; without a delivery date, from the order (the stricter reading).
    return line.delivered_at or order.ordered_at


def deadline_for(policy: Policy, order: Order, line: OrderLine) -> datetime:
    """The last moment of the window: the end of its last day, in UTC (a customer counts days,
    not hours from the delivery scan)."""
    last_day = (window_start(order, line) + timedelta(days=policy.window_for(line))).astimezone(UTC)
    return last_day.replace(hour=23, minute=59, second=59, microsecond=0)


def line_eligibility(policy: Policy, order: Order, line: OrderLine, now: datetime) -> LineEligibility:
    deadline = deadline_for(policy, order, line)
    returned = order.returned.get(line.line_id, 0)
    left = order.returnable_quantity(line.line_id)
    category = policy.category(line.category)
    why: Ineligible | None = None
    if not category.returnable:
        why = Ineligible(code="category_not_returnable", message=category.not_returnable_message)
    elif now > deadline:
        why = Ineligible(
            code="return_window_closed",
            message=f"The {policy.window_for(line)}-day return window closed on {deadline:%Y-%m-%d}.",
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
        reasons=policy.reasons_for(line),
        resolutions=policy.resolutions_for(line),
        eligible=why is None,
        ineligible=why,
    )


class RequestedItem(Strict):
    line_id: str
    quantity: int = Field(ge=1)
    reason: str


def check_request(
    policy: Policy, order: Order, items: list[RequestedItem], resolution: Resolution, now: datetime
) -> None:
    """Refuse a return request the policy does not allow, naming each offending item."""
    details: list[dict[str, Any]] = []
    seen: set[str] = set()
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
        if line is not None and item.reason not in policy.reasons_for(line):
            details.append(
                {
                    "field": f"{field}.reason",
                    "code": "reason_not_allowed",
                    "message": f"Allowed reasons: {', '.join(policy.reasons_for(line))}.",
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


# --- decision ------------------------------------------------------------------------------------


class DecisionFacts(Strict):
    """What the rules look at, computed once from the order and the request."""

    return_amount: Money
    order_total: Money
    reasons: list[str]
    categories: list[str]
    days_since_delivery: int
    days_since_order: int
    customer_returns_in_30_days: int


def facts_for(
    order: Order, items: list[RequestedItem], prior_returns_30d: int, now: datetime
) -> DecisionFacts:
    amount = Money.zero(order.currency)
    categories: list[str] = []
    days = 0
    for item in items:
        line = order.line(item.line_id)
        if line is None:
            continue
        amount = amount + line.unit_price * item.quantity
        if line.category not in categories:
            categories.append(line.category)
        days = max(days, (now - window_start(order, line)).days)
    return DecisionFacts(
        return_amount=amount,
        order_total=order.total,
        reasons=sorted({item.reason for item in items}),
        categories=categories,
        days_since_delivery=days,
        days_since_order=(now - order.ordered_at).days,
        # This request counts: "3 returns in 30 days" includes the one being made.
        customer_returns_in_30_days=prior_returns_30d + 1,
    )


def _threshold(table: dict[str, int], currency: str) -> Money | None:
    return Money(amount=table[currency], currency=currency) if currency in table else None


def _fires(when: When, facts: DecisionFacts, ctx: dict[str, str], cautious: bool) -> bool:
    """Whether every condition of `when` holds. Where a money threshold has no value for the
    order's currency the rule cannot compare; a `cautious` rule (review, evidence, reject) then
    fires, and an approving one does not, so a missing threshold never waves a return through."""
    checks: list[bool] = []
    for table, money, above in (
        (when.return_amount_below, facts.return_amount, False),
        (when.order_total_above, facts.order_total, True),
    ):
        if table is None:
            continue
        limit = _threshold(table, money.currency)
        if limit is None:
            checks.append(cautious)
            ctx["threshold"] = f"the limit (none is set for {money.currency})"
        else:
            checks.append(money.amount > limit.amount if above else money.amount < limit.amount)
            ctx["threshold"] = str(limit)
    if when.reason_in is not None:
        checks.append(all(reason in when.reason_in for reason in facts.reasons))
    if when.category_in is not None:
        hit = [c for c in facts.categories if c in when.category_in]
        checks.append(bool(hit))
        ctx["categories"] = ", ".join(hit)
    if when.category_not_in is not None:
        checks.append(not any(c in when.category_not_in for c in facts.categories))
    if when.days_since_delivery_below is not None:
        checks.append(facts.days_since_delivery < when.days_since_delivery_below)
        ctx["days_limit"] = str(when.days_since_delivery_below)
    if when.days_since_order_below is not None:
        checks.append(facts.days_since_order < when.days_since_order_below)
        ctx["days_limit"] = str(when.days_since_order_below)
    if when.customer_returns_in_30_days_at_least is not None:
        checks.append(facts.customer_returns_in_30_days >= when.customer_returns_in_30_days_at_least)
    return bool(checks) and all(checks)


class _Context(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def decide(policy: Policy, facts: DecisionFacts, now: datetime) -> Decision:
    """Apply every rule; the strongest effect decides: reject > evidence > review > approve."""
    fired: list[FiredRule] = []
    flags: list[str] = []
    for rule in policy.rules:
        ctx = _Context(
            return_amount=str(facts.return_amount),
            order_total=str(facts.order_total),
            days=str(facts.days_since_delivery),
            order_days=str(facts.days_since_order),
            count=str(facts.customer_returns_in_30_days),
            reasons=", ".join(facts.reasons),
        )
        if _fires(rule.when, facts, ctx, cautious=rule.effect is not Effect.APPROVE):
            fired.append(
                FiredRule(rule_id=rule.rule_id, effect=rule.effect, message=rule.message.format_map(ctx))
            )
            if rule.flag:
                flags.append(rule.flag)
    effects = {rule.effect for rule in fired}
    review = Effect.REVIEW in effects or Effect.FLAG in effects
    if Effect.REJECT in effects:
        outcome = Outcome.REJECTED
    elif Effect.REQUIRE_EVIDENCE in effects:
        outcome = Outcome.AWAITING_EVIDENCE
    elif review:
        outcome = Outcome.PENDING_REVIEW
    elif Effect.APPROVE in effects:
        outcome = Outcome.APPROVED
    else:
        outcome = Outcome.PENDING_REVIEW
        review = True
        fired.append(
            FiredRule(rule_id="no_automatic_approval", effect=Effect.REVIEW, message=policy.no_rule_message)
        )
    on_delivery = False
    if outcome is not Outcome.REJECTED and policy.refund_on_delivery is not None:
        ctx = _Context(return_amount=str(facts.return_amount))
        on_delivery = _fires(policy.refund_on_delivery, facts, ctx, cautious=False)
        if on_delivery:
            fired.append(
                FiredRule(
                    rule_id="refund_on_delivery",
                    effect=Effect.APPROVE,
                    message=(
                        f"{facts.return_amount} is settled when the carrier confirms delivery, "
                        "without waiting for inspection."
                    ),
                )
            )
    return Decision(
        outcome=outcome,
        rules=fired,
        refund_on_delivery=on_delivery,
        policy_version=policy.version,
        evidence_required=Effect.REQUIRE_EVIDENCE in effects,
        review_required=review,
        flags=flags,
        decided_at=now,
    )


def policy_json(policy: Policy) -> str:
    return json.dumps(policy.model_dump(mode="json"), indent=2)
