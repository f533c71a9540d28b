"""The domain's records. Money is integer minor units; times are aware UTC datetimes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from boomerang.domain.currency import MAX_QUANTITY
from boomerang.domain.evidence import Evidence, EvidenceOffer
from boomerang.domain.fx import Conversion
from boomerang.domain.money import Currency, Money
from boomerang.domain.status import ReturnStatus

Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a time must carry its UTC offset (ISO 8601 with Z)")
    return value


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]


def _hs_code(value: object) -> object:
    # "6109.10.00" and "610910" are one code: kept as digits only.
    return value.replace(".", "").replace(" ", "") if isinstance(value, str) else value


# A Harmonized System code: 6 digits worldwide, up to 10 with a country's own subdivisions.
HsCode = Annotated[str, BeforeValidator(_hs_code), StringConstraints(pattern=r"^[0-9]{6,10}$")]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Address(Record):
    """A postal address: a hub's, or a customer's (personal data: never logged, never in a Step
    Functions payload or an event; covered by export and erasure)."""

    name: str = Field(min_length=1, max_length=255)
    line1: str = Field(min_length=1, max_length=255)
    line2: str | None = Field(default=None, max_length=255)
    city: str = Field(min_length=1, max_length=128)
    postal_code: str = Field(max_length=32)
    region: str | None = Field(default=None, max_length=64)
    country: Country
    company: str | None = Field(default=None, max_length=255)
    # Carriers ask for one on cross-border shipments (customs, delivery notices).
    phone: str | None = Field(default=None, max_length=32)


class OrderLine(Record):
    line_id: Identifier
    sku: str = Field(min_length=1, max_length=128)
    title: str = Field(default="", max_length=512)
    category: str = Field(default="general", min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=MAX_QUANTITY)
    unit_price: Money
    delivered_at: UtcDatetime | None = None
    # Customs data from the product (Shopify's harmonized_system_code and country_code_of_origin):
    # what a cross-border return declares; the shop's defaults fill what a line lacks.
    hs_code: HsCode | None = None
    origin_country: Country | None = None
    weight_grams: int | None = Field(default=None, ge=0, le=1_000_000)
    # The catalog's product and variant (domain/catalog.py): what an exchange is offered against.
    product_id: Identifier | None = None
    variant_id: Identifier | None = None

    @model_validator(mode="after")
    def _not_negative(self) -> OrderLine:
        if self.unit_price.amount < 0:
            raise ValueError("a unit price cannot be negative")
        return self


def order_number_key(raw: str) -> str:
    """An order number as customers type it: `1001`, `#1001`, ` 1001 ` and `# 1001` are one number
    (spaces and the leading `#` dropped, letters upper-cased), as are Shopify's `name` and `order_number`."""
    return "".join(raw.split()).lstrip("#").upper()


def check_lines(currency: str, lines: list[tuple[str, str]]) -> None:
    """An order's lines: (line_id, price currency) pairs, unique ids, all in the order's currency."""
    for line_id, line_currency in lines:
        if line_currency != currency:
            raise ValueError(f"line {line_id} is priced in {line_currency}, the order in {currency}")
    ids = [line_id for line_id, _ in lines]
    if len(ids) != len(set(ids)):
        raise ValueError("line_id values must be unique within the order")


class Order(Record):
    shop: Identifier
    order_id: Identifier
    order_number: str = Field(min_length=1, max_length=64)
    # Another number the customer may type for the order (Shopify's `order_number` beside its `name`).
    order_number_alias: str | None = Field(default=None, max_length=64)
    customer_email: str = Field(min_length=3, max_length=320)
    customer_country: Country
    currency: Currency
    ordered_at: UtcDatetime
    lines: list[OrderLine] = Field(min_length=1, max_length=250)
    payment_reference: str | None = Field(default=None, max_length=255)
    # Where the order was shipped to: where a return label is picked up from (personal data).
    shipping_address: Address | None = None
    # The customer's language (BCP 47) where the storefront knows it: notifications use it.
    locale: str | None = Field(default=None, max_length=35)
    # Units refunded or cancelled at the storefront (e.g. in Shopify's admin), per line: not returnable.
    removed: dict[str, int] = Field(default_factory=dict)
    # Quantities already taken by open or finished returns, per line (maintained by the store).
    returned: dict[str, int] = Field(default_factory=dict)
    version: int = 0

    @model_validator(mode="after")
    def _consistent(self) -> Order:
        check_lines(self.currency, [(line.line_id, line.unit_price.currency) for line in self.lines])
        self.total  # noqa: B018 - raises past the currency's largest amount: such an order is never saved
        return self

    @property
    def total(self) -> Money:
        total = Money.zero(self.currency)
        for line in self.lines:
            total = total + line.unit_price * line.quantity
        return total

    def line(self, line_id: str) -> OrderLine | None:
        return next((line for line in self.lines if line.line_id == line_id), None)

    def returnable_quantity(self, line_id: str) -> int:
        line = self.line(line_id)
        if line is None:
            return 0
        return max(0, line.quantity - self.returned.get(line_id, 0) - self.removed.get(line_id, 0))


class Resolution(StrEnum):
    REFUND = "refund"
    STORE_CREDIT = "store_credit"
    EXCHANGE = "exchange"


class Reception(StrEnum):
    """Where the item is, as Solidus keeps it."""

    AWAITING = "awaiting"
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    LOST = "lost"
    CANCELLED = "cancelled"


class Acceptance(StrEnum):
    """Whether the item is accepted for its resolution, as Solidus keeps it."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    MANUAL_INTERVENTION_REQUIRED = "manual_intervention_required"


class Outcome(StrEnum):
    APPROVED = "approved"
    PENDING_REVIEW = "pending_review"
    AWAITING_EVIDENCE = "awaiting_evidence"
    REJECTED = "rejected"


class Effect(StrEnum):
    """What a policy rule does when it fires."""

    APPROVE = "approve"
    REVIEW = "review"
    REQUIRE_EVIDENCE = "require_evidence"
    REJECT = "reject"
    FLAG = "flag"
    # Not a policy rule's: how an approved return is paid (refund on delivery, on the first scan).
    SETTLE = "settle"


class FiredRule(Record):
    rule_id: str
    effect: Effect
    message: str
    # A rule that fired but did not decide: an approval where a stronger rule sent the return to a
    # person or asked for evidence (and which rule that was), so a reviewed return never reads approved.
    overridden: bool = False
    overridden_by: str | None = None


class AppliedMarket(Record):
    """The terms a decision applied: a market of the policy, or its general terms (market_id None)."""

    market_id: str | None
    name: str
    window_days: int
    window_from: str  # delivery | order
    return_shipping: str | None = None  # who pays: merchant | customer (None: the refund terms decide)
    return_hub_id: str | None = None


class Decision(Record):
    # The current outcome: the policy's, then the final one once staff (or an evidence check) decide.
    outcome: Outcome
    rules: list[FiredRule]
    policy_version: int
    evidence_required: bool = False
    review_required: bool = False
    flags: list[str] = Field(default_factory=list)
    refund_on_delivery: bool = False
    refund_on_first_scan: bool = False
    # Resolved without a label (returnless): the customer keeps the item (the policy's keep_item).
    keep_item: bool = False
    decided_at: UtcDatetime
    # Who made `outcome`: "policy:v<version>" or "staff:<username>"; and what the policy decided first.
    decided_by: str | None = None
    policy_outcome: Outcome | None = None
    market: AppliedMarket | None = None
    # The rate thresholds were converted at, where the order's currency had no pinned threshold.
    exchange_rate: Conversion | None = None
    # The customer's history the rules looked at: earlier returns in the window (not this one).
    earlier_returns: int | None = None
    returns_window_days: int | None = None
    kept_orders: int | None = None


class EvidenceCheck(Record):
    """Whether the customer's evidence is plausible enough that no person needs to look at it.
    `basis` says what was checked: "metadata" (kind, type and size as stored) or "content" (the
    bytes read, by the upload check)."""

    passed: bool
    basis: str
    evidence_id: str | None = None
    findings: list[str] = Field(default_factory=list)
    checked_at: UtcDatetime


class ReturnItem(Record):
    line_id: str
    sku: str
    category: str
    quantity: int = Field(ge=1, le=MAX_QUANTITY)
    reason: str
    note: str | None = Field(default=None, max_length=2000)
    unit_price: Money
    reception: Reception = Reception.AWAITING
    acceptance: Acceptance = Acceptance.PENDING
    # The replacement the customer chose (an exchange): a variant of the catalog (domain/catalog.py).
    exchange_variant_id: str | None = None

    @property
    def amount(self) -> Money:
        return self.unit_price * self.quantity


class Grade(StrEnum):
    """What the warehouse finds. Shopify's dispositions map onto them: restocked -> resellable,
    processing_required -> needs_repair, not_restocked -> scrap."""

    RESELLABLE = "resellable"
    NEEDS_REPAIR = "needs_repair"
    SCRAP = "scrap"


SHOPIFY_DISPOSITIONS = {"restocked": Grade.RESELLABLE, "processing_required": Grade.NEEDS_REPAIR,
                        "not_restocked": Grade.SCRAP}  # fmt: skip


class InspectedItem(Record):
    line_id: str
    grade: Grade
    notes: str | None = Field(default=None, max_length=2000)
    refund: Money


class Inspection(Record):
    items: list[InspectedItem]
    refund_total: Money
    inspected_by: str
    inspected_at: UtcDatetime


class Label(Record):
    carrier: str
    tracking_number: str
    cost: Money
    issued_at: UtcDatetime
    valid_until: UtcDatetime
    url: str | None = None
    # The label PDF in the label bucket (served by presigned URL), where Boomerang rendered it.
    document_key: str | None = None
    # The carrier's own shipment id (EasyPost `shp_...`), to refund an unused label.
    shipment_id: str | None = None
    # The carrier's QR code for printer-free drop-off (EasyPost form `label_qr_code`), where given.
    qr_code_url: str | None = None
    # Customs papers of a cross-border return: the carrier's commercial invoice URL, or the one
    # Boomerang rendered (CN23 data) in the label bucket beside the label.
    customs_invoice_url: str | None = None
    customs_document_key: str | None = None
    # A sandbox label (a shop in test mode): no postage, its PDF says so.
    specimen: bool = False
    # The carrier's refund of a label never used (the return expired or was cancelled): EasyPost's
    # refund status ("submitted", then "refunded" or "rejected"), None while the label stands.
    refund_status: str | None = None


class LabelClaim(Record):
    """The label purchase in flight (boomerang.services.workflow.labels): written with a conditional
    write on the return before the carrier is asked, cleared by the write that records the label.
    The carrier's shipment is recorded on it once created, so a step retried after a timeout looks
    that shipment up instead of buying a second label; `key` is the carrier's reference for it."""

    key: str = Field(max_length=255)
    at: UtcDatetime
    until: UtcDatetime  # the lease: a step that claimed runs no longer
    shipment_id: str | None = None


class Wait(StrEnum):
    """What a return's workflow is waiting for, each resumed by whoever receives the news."""

    REVIEW = "review"  # staff approve or reject
    EVIDENCE = "evidence"  # the customer's upload (then a review where policy wants one)
    CARRIER = "carrier"  # carrier webhooks: in transit, delivered
    INSPECTION = "inspection"  # the warehouse's scan and grades
    SETTLEMENT = "settlement"  # the payment provider's webhook
    REFUND_RETRY = "refund_retry"  # finance picks another method
    FULFILMENT = "fulfilment"  # the merchant ships an exchange's replacement
    PAYMENT = "payment"  # the customer pays a dearer replacement's difference


class Refund(Record):
    method: Resolution
    amount: Money
    status: str  # pending, succeeded, failed
    reference: str | None = None
    failure_reason: str | None = None
    # Which request to the provider this is (1, 2, ...): the idempotency key is per return and attempt.
    attempt: int = Field(default=1, ge=1)
    # How it is paid: card (the provider), store_credit, paypal or bank_transfer (by finance).
    paid_via: str | None = None
    # Who was asked (stripe, shopify, paypal, sandbox): where its settlement comes from.
    provider: str | None = None


class PaymentClaim(Record):
    """A payment attempt taken by one caller (boomerang.services.workflow.payment): written with a
    conditional write on the return before any provider is asked, cleared by the write that
    records the outcome. While it is open nobody else pays the return; once its lease has ended
    (the caller stopped, or was stopped, without an outcome) only the same method may resume it,
    with the same idempotency key, since the provider may have paid."""

    attempt: int = Field(ge=1)
    method: str  # card, store_credit, paypal or bank_transfer (boomerang.domain.refund_failures)
    key: str = Field(max_length=255)  # the provider's idempotency key for this attempt
    amount: Money
    actor: str
    at: UtcDatetime
    until: UtcDatetime  # the lease: no caller that claimed runs past it


class ReplacementLine(Record):
    """One line of an exchange's replacement order: what is sent instead of a returned line."""

    line_id: str  # the returned order line it replaces
    product_id: str
    variant_id: str
    sku: str
    title: str = ""
    options: dict[str, str] = Field(default_factory=dict)
    quantity: int = Field(ge=1, le=MAX_QUANTITY)
    unit_price: Money


class ReplacementShipment(Record):
    carrier: str = Field(min_length=1, max_length=64)
    tracking_number: str = Field(min_length=1, max_length=128)
    tracking_url: str | None = Field(default=None, max_length=2048)
    shipped_at: UtcDatetime


class DifferencePayment(Record):
    """What the customer pays for a dearer replacement: a Stripe Checkout Session or a Shopify
    draft order invoice (`provider`, its id as `reference`, the link the customer pays at)."""

    provider: str  # stripe | shopify | sandbox
    reference: str = Field(max_length=255)
    url: str = Field(max_length=2048)
    amount: Money
    status: str = "open"  # open | paid | expired
    requested_at: UtcDatetime
    paid_at: UtcDatetime | None = None


class InstantCharge(Record):
    """An instant exchange's hold on the customer's card for the replacement's value (a Stripe
    PaymentIntent): authorized (captured if the return is not sent in time, released when it
    arrives), or charged off-session where an authorization would expire first (refunded then)."""

    reference: str = Field(max_length=255)
    amount: Money
    status: str  # authorized | charged | captured | released | refunded
    deadline: UtcDatetime  # the return must be in transit by then


class Exchange(Record):
    """An exchange's replacement (Shopify's exchangeLineItems, Medusa's difference_due): its units
    held in the catalog from the request (`hold`: held, released, shipped), the price difference,
    the replacement order once asked for, and its shipment once the merchant reports it."""

    lines: list[ReplacementLine] = Field(min_length=1)
    hold: str = "held"  # held | released (cancel, expiry, rejection, fallback) | ordered
    # What was returned minus what replaces it: above zero, paid back at resolution.
    difference: Money
    replacement_order_id: str | None = None
    requested_at: UtcDatetime | None = None
    shipment: ReplacementShipment | None = None
    # Why the exchange became a refund or store credit (the replacement was out of stock).
    fallback_reason: str | None = None
    # A dearer replacement's difference, asked of the customer before the replacement is ordered.
    payment: DifferencePayment | None = None
    # An instant exchange: the replacement went out with the label, the card held for its value.
    instant: InstantCharge | None = None

    @property
    def value(self) -> Money:
        total = Money.zero(self.difference.currency)
        for line in self.lines:
            total = total + line.unit_price * line.quantity
        return total


class Failure(Record):
    step: str
    error: str
    cause: str = Field(max_length=2000)
    at: UtcDatetime


class Hub(Record):
    hub_id: Identifier
    name: str
    address: Address
    # ISO countries served, region names from the policy's `regions`, or "*" for anywhere.
    serves: list[str] = Field(min_length=1)
    carriers: list[str] = Field(default_factory=list)
    cost_per_parcel: Money
    open: bool = True
    # Carrier service levels a label to this hub may use (e.g. "GroundAdvantage"); empty: any.
    services: list[str] = Field(default_factory=list)
    # Order-line categories the hub takes in; "*" for any.
    accepts: list[str] = Field(default_factory=lambda: ["*"], min_length=1)


class HubChoice(Record):
    hub_id: str
    name: str
    country: Country
    cost: Money
    fallback_hub_id: str
    fallback_cost: Money


class CarrierException(Record):
    """The carrier reports the parcel will not reach the hub as planned; support follows it up."""

    status: str  # return_to_sender, failure, exception (the normalized tracking status)
    detail: str = Field(max_length=500)
    carrier: str
    tracking_number: str
    at: UtcDatetime


# Timeline entries for staff alone: payment claims, who viewed the evidence, failed side channels
# (they name subscriptions and HTTP codes), label refunds, disputes and workflow faults.
STAFF_ONLY_EVENTS = ("payment.", "evidence.viewed", "side_channel.", "label.refund", "dispute.", "workflow.")


class TimelineEntry(Record):
    version: int
    at: UtcDatetime
    status: ReturnStatus
    event: str
    message: str
    actor: str

    @property
    def for_customers(self) -> bool:
        return not self.event.startswith(STAFF_ONLY_EVENTS)


class Return(Record):
    rma: str
    shop: str
    order_id: str
    customer_ref: str = Field(description="A one-way hash of the customer's email; no personal data")
    status: ReturnStatus
    resolution: Resolution
    locale: str = "en"
    items: list[ReturnItem] = Field(min_length=1)
    decision: Decision
    hub: HubChoice
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int = 1
    label: Label | None = None
    inspection: Inspection | None = None
    refund: Refund | None = None
    # The payment attempt in flight, if any (PaymentClaim): one payment per return.
    payment_claim: PaymentClaim | None = None
    # The label purchase in flight, if any (LabelClaim): one label per return.
    label_claim: LabelClaim | None = None
    failure: Failure | None = None
    received_at_hub: str | None = None
    # The workflow's open wait and its Step Functions task token (an opaque id, no personal data).
    waiting_for: Wait | None = None
    task_token: str | None = Field(default=None, max_length=8192)
    escalated: bool = False
    carrier_exception: CarrierException | None = None
    evidence: list[Evidence] = Field(default_factory=list)
    # Every presigned upload offered for this return (domain/evidence.py): an upload redeems one, once.
    evidence_offers: list[EvidenceOffer] = Field(default_factory=list)
    evidence_check: EvidenceCheck | None = None
    # The provider's dispute (chargeback) id: dispute handling decides, nothing refunds it again.
    dispute: str | None = None
    # The customer's correction of the order's shipping address: where the label is picked up
    # from (personal data, dropped on erasure).
    ship_from: Address | None = None
    # The replacement of an exchange that names one (issue 17); None for refunds, store credit and
    # exchanges of lines the catalog does not know.
    exchange: Exchange | None = None

    @property
    def amount(self) -> Money:
        total = Money.zero(self.items[0].unit_price.currency)
        for item in self.items:
            total = total + item.amount
        return total
