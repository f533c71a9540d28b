"""Request and response bodies of the storefront API (pydantic; they generate the OpenAPI).

Money crosses the API as `{"amount": "19.99", "currency": "USD"}` and is integer minor units inside.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from boomerang.api.text import MULTILINE, PLAIN, PlainText
from boomerang.domain.currency import MAX_QUANTITY, max_minor_units
from boomerang.domain.models import (
    Address,
    Country,
    Decision,
    HsCode,
    Identifier,
    Order,
    OrderLine,
    Resolution,
    Return,
    TimelineEntry,
    UtcDatetime,
    check_lines,
)
from boomerang.domain.money import ActiveCurrency, AmountTooLarge, Currency, Money, too_large_message
from boomerang.domain.policy import LineEligibility, Policy

if TYPE_CHECKING:
    from boomerang.domain.catalog import ExchangeOption

# Prices and amounts the API accepts are never negative. At most 12 integer digits: the largest
# amount of any currency is below 10^12 major units (domain/currency.py says why).
DecimalString = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,12}(\.[0-9]{1,3})?$")]
# Integers in a body are JSON integers: "1", 1.0 and true are refused, not read as 1.
Quantity = Annotated[StrictInt, Field(ge=1, le=MAX_QUANTITY, description=f"1 to {MAX_QUANTITY} units")]
# A plain shape check: email-validator would add its import time to every cold start. Patterns are
# compiled at import; a counted repeat such as {1,64} over a Unicode class costs ~50 ms each.
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320), PLAIN]
Locale = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]


def utc(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MoneyIO(Body):
    """An amount: a decimal string with at most the currency's ISO 4217 decimals (JPY none, USD
    two, KWD three), below 10^12 major units (at most 999999999999.99 USD)."""

    amount: DecimalString = Field(examples=["19.99"])
    currency: Currency = Field(examples=["USD"])

    def to_money(self) -> Money:
        return Money.parse(self.amount, self.currency)

    @classmethod
    def of(cls, money: Money) -> MoneyIO:
        # Not validated again: a Money is bounded and in a known currency by construction, so an
        # answer can always show it (also one stored in a currency withdrawn since).
        return cls.model_construct(amount=money.decimal_string(), currency=money.currency)

    @model_validator(mode="after")
    def _representable(self) -> MoneyIO:
        try:
            self.to_money()
        except AmountTooLarge as exc:
            raise PydanticCustomError("amount_too_large", str(exc)) from exc
        except ValueError as exc:  # extra decimals for the currency
            raise PydanticCustomError("too_many_decimals", str(exc)) from exc
        return self


class MoneyIn(MoneyIO):
    """An amount given to the API: in an active ISO 4217 currency (an answer may still show one
    withdrawn since the amount was stored, so answers use MoneyIO)."""

    currency: ActiveCurrency = Field(examples=["USD"])


def _over(minor: int, currency: str) -> bool:
    return minor > max_minor_units(currency)


# --- addresses -------------------------------------------------------------------------------------


class AddressIn(Body):
    """A postal address (personal data: kept for labels, exported and erased on request, never logged)."""

    name: PlainText = Field(min_length=1, max_length=255, examples=["Anna Müller"])
    company: PlainText | None = Field(default=None, max_length=255)
    line1: PlainText = Field(min_length=1, max_length=255, examples=["Friedrichstraße 123"])
    line2: PlainText | None = Field(default=None, max_length=255)
    city: PlainText = Field(min_length=1, max_length=128, examples=["Berlin"])
    postal_code: PlainText = Field(default="", max_length=32, examples=["10117"])
    region: PlainText | None = Field(default=None, max_length=64, description="State or province code")
    country: Country = Field(examples=["DE"])
    phone: PlainText | None = Field(
        default=None, max_length=32, description="Carriers ask for one on cross-border returns"
    )

    def to_address(self) -> Address:
        return Address(**self.model_dump())


# --- orders ----------------------------------------------------------------------------------------


class OrderLineIn(Body):
    line_id: Identifier
    sku: PlainText = Field(min_length=1, max_length=128)
    title: PlainText = Field(default="", max_length=512)
    category: PlainText = Field(
        default="general", min_length=1, max_length=64, examples=["apparel", "electronics"]
    )
    quantity: Quantity
    unit_price: MoneyIn
    delivered_at: UtcDatetime | None = None
    # Customs data for cross-border returns (the shop's defaults fill what is left out).
    hs_code: HsCode | None = Field(
        default=None, examples=["6110.11"], description="Harmonized System code, 6 to 10 digits"
    )
    origin_country: Country | None = Field(default=None, examples=["PT"], description="Country of origin")
    weight_grams: StrictInt | None = Field(default=None, ge=0, le=1_000_000)
    product_id: Identifier | None = Field(
        default=None,
        description="The catalog's product (POST /v1/products): exchanges are offered against it",
    )
    variant_id: Identifier | None = Field(default=None, description="The catalog variant bought")

    @model_validator(mode="after")
    def _line_bounded(self) -> OrderLineIn:
        currency = self.unit_price.currency
        if _over(self.unit_price.to_money().amount * self.quantity, currency):
            message = "quantity x unit_price is {detail}"
            raise PydanticCustomError("amount_too_large", message, {"detail": too_large_message(currency)})
        return self


class CustomerIn(Body):
    email: Email
    country: Country = Field(examples=["US", "DE"])
    locale: Locale | None = Field(
        default=None,
        description="The customer's language (BCP 47): emails and replies use it",
        examples=["de-DE"],
    )


class OrderIn(Body):
    """An order as the storefront knows it. Sending it again updates it (returned quantities are kept)."""

    order_id: Identifier
    order_number: PlainText = Field(min_length=1, max_length=64, examples=["#1001"])
    customer: CustomerIn
    currency: ActiveCurrency
    ordered_at: UtcDatetime
    lines: list[OrderLineIn] = Field(min_length=1, max_length=250)
    payment_reference: Annotated[str, Field(max_length=255), PLAIN] | None = Field(
        default=None,
        examples=["pi_3MtwBwLkdIwHu7ix28a3tqPa"],
        description=(
            "Where the money was taken, which is where a refund goes: a Stripe PaymentIntent (pi_...) "
            "or charge (ch_...), a PayPal capture (paypal:<capture id>), or a Shopify order "
            "(gid://shopify/Order/<id>). Without one, refunds fail with no_payment_reference."
        ),
    )
    shipping_address: AddressIn | None = Field(
        default=None, description="Where the order was delivered: where a return label is picked up from"
    )

    @field_validator("lines")
    @classmethod
    def _total_bounded(cls, lines: list[OrderLineIn]) -> list[OrderLineIn]:
        currencies = {line.unit_price.currency for line in lines}
        if len(currencies) != 1:
            return lines  # _one_currency names the line in another currency
        currency = currencies.pop()
        total = sum(line.unit_price.to_money().amount * line.quantity for line in lines)
        if _over(total, currency):
            raise PydanticCustomError(
                "amount_too_large", "the order's total is {detail}", {"detail": too_large_message(currency)}
            )
        return lines

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
            locale=self.customer.locale,
            currency=self.currency,
            ordered_at=self.ordered_at,
            payment_reference=self.payment_reference,
            shipping_address=self.shipping_address.to_address() if self.shipping_address else None,
            lines=[
                OrderLine(
                    line_id=line.line_id,
                    sku=line.sku,
                    title=line.title,
                    category=line.category,
                    quantity=line.quantity,
                    unit_price=line.unit_price.to_money(),
                    delivered_at=line.delivered_at,
                    hs_code=line.hs_code,
                    origin_country=line.origin_country,
                    weight_grams=line.weight_grams,
                    product_id=line.product_id,
                    variant_id=line.variant_id,
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
    product_id: str | None = None
    variant_id: str | None = None


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
                    product_id=line.product_id,
                    variant_id=line.variant_id,
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
    exchange_options: list[ExchangeOptionOut] = Field(
        default_factory=list,
        description="what the line may be exchanged for, with the units available (0: sold out)",
    )

    @classmethod
    def of(cls, line: LineEligibility, options: list[ExchangeOption] | None = None) -> LineEligibilityOut:
        return cls(
            **line.model_dump(exclude={"deadline", "ineligible"}),
            deadline=utc(line.deadline),
            ineligible=IneligibleOut(**line.ineligible.model_dump()) if line.ineligible else None,
            exchange_options=[ExchangeOptionOut.of(option) for option in options or []],
        )


class EligibilityOut(BaseModel):
    order_id: str
    policy_version: int
    lines: list[LineEligibilityOut]


# --- returns ---------------------------------------------------------------------------------------


class ReturnItemIn(Body):
    line_id: Identifier
    quantity: Quantity
    reason: PlainText = Field(min_length=1, max_length=64, examples=["size_too_small"])
    note: Annotated[str, Field(max_length=2000), MULTILINE] | None = None
    exchange_variant_id: Identifier | None = Field(
        default=None,
        description="An exchange's replacement: one of the line's exchange_options (eligibility); "
        "left out, the variant bought is sent again",
    )


class ReturnIn(Body):
    order_id: Identifier
    items: list[ReturnItemIn] = Field(min_length=1, max_length=100)
    resolution: Resolution
    locale: Locale | None = Field(
        default=None, description="The customer's language (BCP 47); absent: the shop's default language"
    )
    ship_from: AddressIn | None = Field(
        default=None,
        description="The customer's correction of the order's shipping address: where the label is picked up",
    )

    def ship_from_address(self) -> Address | None:
        return self.ship_from.to_address() if self.ship_from else None


class FiredRuleOut(BaseModel):
    rule_id: str
    effect: str
    message: str
    overridden: bool = Field(default=False, description="fired, but a stronger rule decided")
    overridden_by: str | None = None


class MarketOut(BaseModel):
    market_id: str | None = Field(description="null: the policy's general terms")
    name: str
    window_days: int
    window_from: str
    return_shipping: str | None


class ExchangeRateOut(BaseModel):
    from_currency: str
    to_currency: str
    rate: str = Field(description="one from_currency in to_currency", examples=["7.262774404"])
    date: str
    source: str


class DecisionOut(BaseModel):
    outcome: str = Field(description="the final outcome: the policy's, or staff's once they decided")
    decided_by: str | None = Field(default=None, description='"policy:v<version>" or "staff:<username>"')
    policy_outcome: str | None = Field(default=None, description="what the policy decided on the request")
    rules: list[FiredRuleOut]
    policy_version: int
    flags: list[str]
    decided_at: str
    market: MarketOut | None = None
    exchange_rate: ExchangeRateOut | None = None
    earlier_returns: int | None = Field(default=None, description="the customer's returns before this one")
    returns_window_days: int | None = None
    kept_orders: int | None = Field(
        default=None, description="the customer's earlier orders without a return"
    )

    @classmethod
    def of(cls, d: Decision) -> DecisionOut:
        rate = d.exchange_rate
        return cls(
            outcome=d.outcome.value,
            decided_by=d.decided_by,
            policy_outcome=d.policy_outcome.value if d.policy_outcome else None,
            rules=[
                FiredRuleOut(
                    rule_id=r.rule_id,
                    effect=r.effect.value,
                    message=r.message,
                    overridden=r.overridden,
                    overridden_by=r.overridden_by,
                )
                for r in d.rules
            ],
            policy_version=d.policy_version,
            flags=d.flags,
            decided_at=utc(d.decided_at),
            market=MarketOut(**d.market.model_dump(exclude={"return_hub_id"})) if d.market else None,
            exchange_rate=None
            if rate is None
            else ExchangeRateOut(
                from_currency=rate.from_currency,
                to_currency=rate.to_currency,
                rate=f"{rate.rate:f}",
                date=rate.date.isoformat(),
                source=rate.source,
            ),
            earlier_returns=d.earlier_returns,
            returns_window_days=d.returns_window_days,
            kept_orders=d.kept_orders,
        )


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
    exchange_variant_id: str | None = None


class TimelineEntryOut(BaseModel):
    at: str
    status: str
    event: str
    message: str
    actor: str


class ReturnLabelOut(BaseModel):
    """The return's label as the customer's view shows it: what to print and where to drop it off."""

    carrier: str
    tracking_number: str
    valid_until: str = Field(description="The last day the carrier accepts the parcel with this label")
    href: str = Field(
        description="GET this (with the same credentials) for a link to the label PDF and its customs papers"
    )
    url: str | None = Field(
        default=None, description="The carrier's own label link, where the carrier hosts the label"
    )
    qr_code_url: str | None = Field(
        default=None,
        description="The carrier's QR code for printer-free drop-off, where the carrier gives one",
    )
    customs_papers: bool = Field(
        default=False,
        description="The parcel crosses a customs border: print the commercial invoice (see `href`) too",
    )
    specimen: bool = Field(default=False, description="A test-mode label: no postage, its PDF says SPECIMEN")


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
    label: ReturnLabelOut | None = Field(default=None, description="Once the label is issued")
    timeline: list[TimelineEntryOut] | None = None
    exchange: ExchangeOut | None = Field(
        default=None, description="an exchange's replacement: units held, price difference, shipment"
    )
    keep_item: bool = Field(
        default=False, description="resolved without a label: the customer keeps the item"
    )

    @classmethod
    def of(cls, ret: Return, timeline: list[TimelineEntry] | None = None, staff: bool = False) -> ReturnOut:
        """The return as the storefront and its customers read it; `staff`: with every timeline
        entry, the staff-only ones too (TimelineEntry.for_customers)."""
        d = ret.decision
        label = ret.label
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
                    exchange_variant_id=i.exchange_variant_id,
                )
                for i in ret.items
            ],
            decision=DecisionOut.of(d),
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
            label=None
            if label is None
            else ReturnLabelOut(
                carrier=label.carrier,
                tracking_number=label.tracking_number,
                valid_until=utc(label.valid_until),
                href=f"/v1/returns/{ret.rma}/label",
                url=label.url,
                qr_code_url=label.qr_code_url,
                customs_papers=bool(label.customs_invoice_url or label.customs_document_key),
                specimen=label.specimen,
            ),
            timeline=None
            if timeline is None
            else [
                TimelineEntryOut(
                    at=utc(e.at), status=e.status.value, event=e.event, message=e.message, actor=e.actor
                )
                for e in sorted(timeline, key=lambda e: (e.version, e.at))
                if staff or e.for_customers
            ],
            exchange=ExchangeOut.of(ret.exchange) if ret.exchange else None,
            keep_item=d.keep_item,
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
    window_from: str = "delivery"
    markets: list[dict[str, object]] = Field(
        default_factory=list,
        description="terms per group of countries (window, reasons, final sale, shipping)",
    )

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


# The exchange bodies live in api/exchange_schemas.py (they use MoneyIO above); the models here
# that hold them are completed once they are defined.
from boomerang.api.exchange_schemas import ExchangeOptionOut, ExchangeOut  # noqa: E402

LineEligibilityOut.model_rebuild()
ReturnOut.model_rebuild()
