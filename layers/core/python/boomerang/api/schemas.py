"""Request and response bodies of the storefront API (pydantic; they generate the OpenAPI).

Money crosses the API as `{"amount": "19.99", "currency": "USD"}` and is integer minor units inside.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from boomerang.api.text import MULTILINE, PLAIN, PlainText
from boomerang.domain.models import (
    Country,
    Identifier,
    Order,
    OrderLine,
    Resolution,
    Return,
    TimelineEntry,
    UtcDatetime,
    check_lines,
)
from boomerang.domain.money import Currency, Money
from boomerang.domain.policy import LineEligibility, Policy

# Prices and amounts the API accepts are never negative.
DecimalString = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,12}(\.[0-9]{1,3})?$")]
# A plain shape check: email-validator would add its import time to every cold start. Patterns are
# compiled at import; a counted repeat such as {1,64} over a Unicode class costs ~50 ms each.
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320), PLAIN]
Locale = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]


def utc(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MoneyIO(Body):
    amount: DecimalString = Field(examples=["19.99"])
    currency: Currency = Field(examples=["USD"])

    def to_money(self) -> Money:
        return Money.parse(self.amount, self.currency)

    @classmethod
    def of(cls, money: Money) -> MoneyIO:
        return cls(amount=money.decimal_string(), currency=money.currency)

    @model_validator(mode="after")
    def _representable(self) -> MoneyIO:
        self.to_money()  # raises ValueError (-> 422 naming the field) on extra decimals
        return self


# --- orders ----------------------------------------------------------------------------------------


class OrderLineIn(Body):
    line_id: Identifier
    sku: PlainText = Field(min_length=1, max_length=128)
    title: PlainText = Field(default="", max_length=512)
    category: PlainText = Field(
        default="general", min_length=1, max_length=64, examples=["apparel", "electronics"]
    )
    quantity: int = Field(ge=1, le=10_000)
    unit_price: MoneyIO
    delivered_at: UtcDatetime | None = None


class CustomerIn(Body):
    email: Email
    country: Country = Field(examples=["US", "DE"])


class OrderIn(Body):
    """An order as the storefront knows it. Sending it again updates it (returned quantities are kept)."""

    order_id: Identifier
    order_number: PlainText = Field(min_length=1, max_length=64, examples=["#1001"])
    customer: CustomerIn
    currency: Currency
    ordered_at: UtcDatetime
    lines: list[OrderLineIn] = Field(min_length=1, max_length=250)
    payment_reference: Annotated[str, Field(max_length=255), PLAIN] | None = Field(
        default=None, examples=["pi_3MtwBwLkdIwHu7ix28a3tqPa"]
    )

    @model_validator(mode="after")
    def _one_currency(self) -> OrderIn:
        check_lines(self.currency, [(line.line_id, line.unit_price.currency) for line in self.lines])
        return self

    def to_order(self, shop: str) -> Order:
        return Order(
            shop=shop,
            order_id=self.order_id,
            order_number=self.order_number,
            customer_email=str(self.customer.email),
            customer_country=self.customer.country,
            currency=self.currency,
            ordered_at=self.ordered_at,
            payment_reference=self.payment_reference,
            lines=[
                OrderLine(
                    line_id=line.line_id,
                    sku=line.sku,
                    title=line.title,
                    category=line.category,
                    quantity=line.quantity,
                    unit_price=line.unit_price.to_money(),
                    delivered_at=line.delivered_at,
                )
                for line in self.lines
            ],
        )


class OrderLineOut(BaseModel):
    line_id: str
    sku: str
    title: str
    category: str
    quantity: int
    returned_quantity: int
    unit_price: MoneyIO
    delivered_at: str | None


class OrderOut(BaseModel):
    order_id: str
    order_number: str
    currency: str
    total: MoneyIO
    ordered_at: str
    lines: list[OrderLineOut]
    version: int

    @classmethod
    def of(cls, order: Order) -> OrderOut:
        return cls(
            order_id=order.order_id,
            order_number=order.order_number,
            currency=order.currency,
            total=MoneyIO.of(order.total),
            ordered_at=utc(order.ordered_at),
            version=order.version,
            lines=[
                OrderLineOut(
                    line_id=line.line_id,
                    sku=line.sku,
                    title=line.title,
                    category=line.category,
                    quantity=line.quantity,
                    returned_quantity=order.returned.get(line.line_id, 0),
                    unit_price=MoneyIO.of(line.unit_price),
                    delivered_at=utc(line.delivered_at) if line.delivered_at else None,
                )
                for line in order.lines
            ],
        )


# --- sessions --------------------------------------------------------------------------------------


class SessionIn(Body):
    order_number: PlainText = Field(min_length=1, max_length=64)
    email: Email
    shop: Identifier | None = Field(
        default=None, description="The shop id; required when the call carries no storefront API key"
    )


class SessionOut(BaseModel):
    token: str
    expires_at: str
    order_id: str


class SessionsRevokedOut(BaseModel):
    revoked_at: str = Field(description="Every session of the customer opened until then is refused (401)")


# --- eligibility -----------------------------------------------------------------------------------


class IneligibleOut(BaseModel):
    code: str
    message: str


class LineEligibilityOut(BaseModel):
    line_id: str
    sku: str
    title: str
    category: str
    quantity: int
    returned_quantity: int
    returnable_quantity: int
    deadline: str
    eligible: bool
    reasons: list[str]
    resolutions: list[Resolution]
    ineligible: IneligibleOut | None

    @classmethod
    def of(cls, line: LineEligibility) -> LineEligibilityOut:
        return cls(
            **line.model_dump(exclude={"deadline", "ineligible"}),
            deadline=utc(line.deadline),
            ineligible=IneligibleOut(**line.ineligible.model_dump()) if line.ineligible else None,
        )


class EligibilityOut(BaseModel):
    order_id: str
    policy_version: int
    lines: list[LineEligibilityOut]


# --- returns ---------------------------------------------------------------------------------------


class ReturnItemIn(Body):
    line_id: Identifier
    quantity: int = Field(ge=1, le=10_000)
    reason: PlainText = Field(min_length=1, max_length=64, examples=["size_too_small"])
    note: Annotated[str, Field(max_length=2000), MULTILINE] | None = None


class ReturnIn(Body):
    order_id: Identifier
    items: list[ReturnItemIn] = Field(min_length=1, max_length=100)
    resolution: Resolution
    locale: Locale = "en"


class FiredRuleOut(BaseModel):
    rule_id: str
    effect: str
    message: str


class DecisionOut(BaseModel):
    outcome: str
    rules: list[FiredRuleOut]
    policy_version: int
    flags: list[str]
    decided_at: str


class HubOut(BaseModel):
    hub_id: str
    name: str
    country: str
    cost: MoneyIO


class ReturnItemOut(BaseModel):
    line_id: str
    sku: str
    quantity: int
    reason: str
    note: str | None
    amount: MoneyIO
    reception: str
    acceptance: str


class TimelineEntryOut(BaseModel):
    at: str
    status: str
    event: str
    message: str
    actor: str


class ReturnOut(BaseModel):
    rma: str
    order_id: str
    status: str
    resolution: str
    locale: str
    amount: MoneyIO
    items: list[ReturnItemOut]
    decision: DecisionOut
    evidence_required: bool
    hub: HubOut
    created_at: str
    updated_at: str
    version: int
    timeline: list[TimelineEntryOut] | None = None

    @classmethod
    def of(cls, ret: Return, timeline: list[TimelineEntry] | None = None) -> ReturnOut:
        d = ret.decision
        return cls(
            rma=ret.rma,
            order_id=ret.order_id,
            status=ret.status.value,
            resolution=ret.resolution.value,
            locale=ret.locale,
            amount=MoneyIO.of(ret.amount),
            items=[
                ReturnItemOut(
                    line_id=i.line_id,
                    sku=i.sku,
                    quantity=i.quantity,
                    reason=i.reason,
                    note=i.note,
                    amount=MoneyIO.of(i.amount),
                    reception=i.reception.value,
                    acceptance=i.acceptance.value,
                )
                for i in ret.items
            ],
            decision=DecisionOut(
                outcome=d.outcome.value,
                rules=[
                    FiredRuleOut(rule_id=r.rule_id, effect=r.effect.value, message=r.message) for r in d.rules
                ],
                policy_version=d.policy_version,
                flags=d.flags,
                decided_at=utc(d.decided_at),
            ),
            evidence_required=d.evidence_required,
            hub=HubOut(
                hub_id=ret.hub.hub_id,
                name=ret.hub.name,
                country=ret.hub.country,
                cost=MoneyIO.of(ret.hub.cost),
            ),
            created_at=utc(ret.created_at),
            updated_at=utc(ret.updated_at),
            version=ret.version,
            timeline=None
            if timeline is None
            else [
                TimelineEntryOut(
                    at=utc(e.at), status=e.status.value, event=e.event, message=e.message, actor=e.actor
                )
                for e in sorted(timeline, key=lambda e: (e.version, e.at))
            ],
        )


class PolicyOut(BaseModel):
    """The policy as a customer may read it: window, conditions, reasons, resolutions, categories."""

    policy_id: str
    version: int
    name: str
    window_days: int
    conditions: str
    reasons: list[str]
    resolutions: list[Resolution]
    categories: dict[str, dict[str, object]]
    rules: list[dict[str, object]]

    @classmethod
    def of(cls, policy: Policy) -> PolicyOut:
        data = policy.model_dump(
            mode="json", exclude={"hubs", "regions", "fallback_hub_id", "no_rule_message"}
        )
        return cls(**data)


# --- errors ----------------------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")
    field: str | None = None
    code: str | None = None
    message: str | None = None


class ErrorBody(BaseModel):
    code: str = Field(examples=["order_not_found"])
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)
    request_id: str | None = None


class ErrorOut(BaseModel):
    error: ErrorBody
