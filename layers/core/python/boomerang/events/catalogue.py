"""Every domain event type Boomerang publishes, with the schema of its `data` (ids only, never
personal data). The JSON Schemas in docs/events/ are generated from these models
(`python -m boomerang.events.catalogue docs/events`); a test keeps the files and the models equal.

Versioning: a type's schema only ever gains optional fields within a version; a change that
removes or retypes a field is a new version (`version` in the envelope), published side by side.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class EventData(BaseModel):
    # Forbid what is not in the schema: a field added in code without a schema fails the tests.
    model_config = ConfigDict(extra="forbid")


class ReturnData(EventData):
    rma: str = Field(description="The return's RMA number")
    order_id: str = Field(description="The storefront's order id")
    status: str = Field(description="The return's status after the change")


class Requested(ReturnData):
    items: int = Field(ge=1, description="How many lines the return has")


class Decided(ReturnData):
    outcome: str | None = Field(default=None, description="The policy's outcome, when the policy decided")
    decided_by: str | None = Field(
        default=None, description="The staff member's username, when staff decided"
    )
    reason: str | None = Field(default=None, description="Why it was rejected (staff)")


class LabelIssued(ReturnData):
    carrier: str
    tracking_number: str


class Received(ReturnData):
    hub: str = Field(description="The hub id where the parcel was scanned")


class StockDisposition(EventData):
    line_id: str
    sku: str
    grade: Literal["resellable", "needs_repair", "scrap"]
    disposition: str = Field(
        description=(
            "What the ERP does with the stock, from the shop's policy: by default "
            "resellable -> restock_after_cleaning, needs_repair -> needs_repair, scrap -> scrap. "
            "Stock is never restocked on delivery: only this event says what to do with it."
        )
    )


class Inspected(ReturnData):
    items: list[StockDisposition]
    refund: int = Field(description="Refund allowed after grading, in minor units of the return's currency")


class Amount(ReturnData):
    amount: int = Field(description="Minor units")
    currency: str = Field(min_length=3, max_length=3)


class RefundPending(ReturnData):
    amount: int | None = Field(default=None, description="Minor units")
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    reference: str | None = Field(default=None, description="The payment provider's refund reference")


class RefundFailed(ReturnData):
    reason: str | None = Field(default=None, description="The provider's failure reason")
    failure_reason: str | None = Field(default=None, description="The provider's failure reason")
    method: str | None = Field(default=None, description="The refund method that failed")


class CarrierException(ReturnData):
    tracking_number: str
    carrier: str
    detail: str | None = None


class Escalated(EventData):
    rma: str
    wait: str
    status: str


class WorkflowFailed(EventData):
    rma: str
    step: str
    error: str


class LabelNotIssued(EventData):
    rma: str
    order_id: str
    hub_id: str
    reason: str = Field(
        description=(
            "Why no label was issued, until a person fixes it: carrier_not_configured, "
            "no_ship_from_address, customs_data_missing, label_refused or no_rate"
        )
    )


class LabelRefund(EventData):
    rma: str
    carrier: str
    tracking_number: str
    status: str = Field(
        description=(
            "The carrier's refund status of a label never used (the return expired or was cancelled): "
            "submitted, refunded, rejected; not_refunded where the carrier would not take it back"
        )
    )


class LabelRefundFailed(EventData):
    rma: str
    carrier: str
    tracking_number: str


class NotificationFailed(EventData):
    rma: str
    channel: Literal["email"]
    template: str
    error: str = Field(description="The channel's error code (never the address or the message)")


class CustomerNotified(EventData):
    rma: str
    template: str
    message_id: str


class DisputeCreated(EventData):
    rma: str | None = None
    order_id: str | None = None
    charge: str
    dispute: str


class StoreCreditIssued(EventData):
    rma: str
    order_id: str
    amount: int | None = None
    currency: str | None = None


class EvidenceRecorded(EventData):
    rma: str
    evidence_id: str | None = None
    order_id: str | None = None
    kind: Literal["photo", "video"] | None = None
    size: int | None = Field(default=None, description="Bytes kept (a photo: its copy without GPS)")
    checksum_sha256: str | None = Field(default=None, description="Of the bytes kept, base64")
    retain_until: str | None = Field(default=None, description="Object Lock retention, ISO 8601 UTC")


class EvidenceOffered(EventData):
    rma: str
    order_id: str
    offer_id: str = Field(description="The presigned POST's offer; the evidence id once accepted")
    kind: Literal["photo", "video"]
    uploader: Literal["customer", "staff"]


class EvidenceRefused(EventData):
    rma: str
    order_id: str
    offer_id: str | None = None
    codes: list[str] = Field(description="Why (domain/evidence.py problem codes, e.g. not_a_video)")


class EvidenceMissing(EventData):
    rma: str
    order_id: str
    evidence_ids: list[str] = Field(description="Recorded evidence whose file a view or listing found gone")


class WebhookDeadLettered(EventData):
    shop: str
    subscription_id: str
    event_id: str
    event_type: str


class EmailSuppressed(EventData):
    rma: str
    order_id: str
    reason: Literal["bounce", "complaint"] = Field(
        description="A permanent bounce or a complaint: no further email goes to the customer's address"
    )


class ReplacementItem(EventData):
    line_id: str = Field(description="The returned order line this replaces")
    product_id: str
    variant_id: str
    sku: str
    title: str
    options: dict[str, str] = Field(description='The variant\'s options, e.g. {"size": "M"}')
    quantity: int = Field(ge=1)
    unit_price: int = Field(description="Minor units: the replacement's price in the catalog")


class ExchangeOrderRequested(ReturnData):
    """The whole replacement order, for the ERP or WMS that fulfils the shop's orders."""

    replacement_order_id: str = Field(description="Boomerang's id of the replacement order (EX-<rma>)")
    currency: str = Field(min_length=3, max_length=3)
    lines: list[ReplacementItem] = Field(min_length=1)
    value: int = Field(description="Minor units: what the replacement lines are worth")
    amount_due: int = Field(description="Minor units the customer still pays (0: paid by the returned items)")
    difference_paid_back: int = Field(
        description="Minor units of a cheaper replacement's difference paid back (refund or store credit)"
    )
    ship_to_order_id: str = Field(
        description="Ship to this order's shipping address (events carry no personal data: read it there)"
    )
    ship_to_corrected: bool = Field(
        default=False, description="The customer corrected the address on the return: ask the return for it"
    )


class ExchangeFallenBack(ReturnData):
    reason: Literal["out_of_stock", "unpaid"] = Field(
        description="out_of_stock: the replacement ran out; unpaid: a dearer replacement's difference "
        "was not paid in time"
    )
    fallback: Literal["refund", "store_credit"] = Field(description="What the exchange became, by the policy")
    variant_ids: list[str] = Field(description="The replacement variants out of stock, or released unpaid")


class DifferencePayment(ReturnData):
    """A dearer replacement's difference, asked of the customer (a Stripe Checkout Session, a
    Shopify draft order invoice) or paid by them."""

    amount: int = Field(description="Minor units due")
    currency: str = Field(min_length=3, max_length=3)
    reference: str = Field(description="The provider's id: a Checkout Session (cs_...) or a draft order gid")


class CardHeld(ReturnData):
    """An instant exchange: the customer's saved card held for the replacement's value."""

    amount: int = Field(description="Minor units held")
    currency: str = Field(min_length=3, max_length=3)
    reference: str = Field(description="The Stripe PaymentIntent (pi_...)")
    mode: Literal["authorized", "charged"] = Field(
        description="authorized (captured or released later), or charged off-session (refunded later)"
    )


class CardSettled(ReturnData):
    amount: int = Field(description="Minor units")
    currency: str = Field(min_length=3, max_length=3)
    reference: str = Field(description="The Stripe PaymentIntent (pi_...)")
    outcome: Literal["captured", "released", "refunded"] = Field(
        description="captured: the return was not sent in time; released / refunded: it arrived"
    )


class DifferenceRequested(DifferencePayment):
    provider: Literal["stripe", "shopify", "sandbox"] = Field(description="Who the customer pays")


class ReplacementShipped(ReturnData):
    carrier: str
    tracking_number: str
    replacement_order_id: str


class TicketOpened(EventData):
    ticket_id: str
    rma: str | None = None
    order_id: str | None = None
    category: str | None = None


class ShipmentData(EventData):
    """An outbound parcel (issue 21): ids and carrier facts only, never the customer."""

    parcel_id: str = Field(description="The parcel's id (one tracking number of one order)")
    order_id: str = Field(description="The storefront's order id")
    # The lane (carrier, origin, destination) its transit times are measured by: countries, never
    # an address. Absent where the shop's origin or the order's country is unknown.
    origin_country: str | None = Field(default=None, description="Where it left from (ISO 3166-1 alpha-2)")
    destination_country: str | None = Field(
        default=None, description="The country it goes to (ISO 3166-1 alpha-2)"
    )


class ShipmentCreated(ShipmentData):
    carrier: str
    tracking_number: str
    lines: int = Field(ge=1, description="How many of the order's lines it carries")
    registered: bool = Field(description="Registered with the shop's tracking provider")


class ShipmentHandedOver(ShipmentData):
    carrier: str = Field(description="The first leg's carrier")
    last_mile_carrier: str
    last_mile_tracking_number: str


class ShipmentDelivered(ShipmentData):
    delivered_at: str = Field(
        description="The carrier's delivery time, ISO 8601; the return window counts from it"
    )
    carrier: str | None = Field(default=None, description="The first leg's carrier")
    last_mile_carrier: str | None = None
    shipped_at: str | None = Field(default=None, description="When it left, ISO 8601")
    transit_hours: float | None = Field(
        default=None, ge=0, description="Shipped to delivered, in hours: a sample of its lane's times"
    )


class ShipmentDelayed(ShipmentData):
    carrier: str
    reason: Literal["no_news", "past_p90"] = Field(
        description="No checkpoint for the shop's quiet days, or later than nine in ten of its lane's parcels"
    )
    status: str
    latest_expected_at: str | None = Field(
        default=None, description="The lane's p90 after shipping, if known"
    )


class ShipmentException(ShipmentData):
    carrier: str
    tracking_number: str = Field(
        description="The number the exception came under (the last mile's after a hand-over)"
    )
    exception: Literal["returned_to_sender", "customs_hold", "failed_delivery", "address", "other"]
    status: str
    first_leg_carrier: str | None = Field(
        default=None, description="The carrier from the warehouse: the parcel's lane's"
    )


# type -> {version: data model}
CATALOGUE: dict[str, dict[int, type[EventData]]] = {
    "return.requested": {1: Requested},
    "return.pending_review": {1: Decided},
    "return.awaiting_evidence": {1: Decided},
    "return.approved": {1: Decided},
    "return.rejected": {1: Decided},
    "return.cancelled": {1: ReturnData},
    "return.expired": {1: ReturnData},
    "return.label_issued": {1: LabelIssued},
    "label.not_issued": {1: LabelNotIssued},
    "label.refund": {1: LabelRefund},
    "label.refund_failed": {1: LabelRefundFailed},
    "return.in_transit": {1: ReturnData},
    "return.delivered": {1: ReturnData},
    "return.carrier_exception": {1: CarrierException},
    "return.received": {1: Received},
    "return.inspected": {1: Inspected},
    "return.refund_pending": {1: RefundPending},
    "return.credited": {1: Amount},
    "return.exchanged": {1: Amount},
    "return.replacement_shipped": {1: ReplacementShipped},
    "exchange.order_requested": {1: ExchangeOrderRequested},
    "exchange.fallen_back": {1: ExchangeFallenBack},
    "exchange.payment_requested": {1: DifferenceRequested},
    "exchange.difference_paid": {1: DifferencePayment},
    "exchange.card_held": {1: CardHeld},
    "exchange.card_settled": {1: CardSettled},
    "return.closed": {1: ReturnData},
    "return.escalated": {1: Escalated},
    "refund.succeeded": {1: Amount},
    "refund.failed": {1: RefundFailed},
    "customer.notified": {1: CustomerNotified},
    "customer.notification_failed": {1: NotificationFailed},
    "customer.email_suppressed": {1: EmailSuppressed},
    "workflow.failed": {1: WorkflowFailed},
    "dispute.created": {1: DisputeCreated},
    "store_credit.issued": {1: StoreCreditIssued},
    "evidence.offered": {1: EvidenceOffered},
    "evidence.recorded": {1: EvidenceRecorded},
    "evidence.refused": {1: EvidenceRefused},
    "evidence.missing": {1: EvidenceMissing},
    "webhook.dead_lettered": {1: WebhookDeadLettered},
    "ticket.opened": {1: TicketOpened},
    "shipment.created": {1: ShipmentCreated},
    "shipment.handed_over": {1: ShipmentHandedOver},
    "shipment.delivered": {1: ShipmentDelivered},
    "shipment.delayed": {1: ShipmentDelayed},
    "shipment.exception": {1: ShipmentException},
}

ENVELOPE_PROPERTIES: dict[str, Any] = {
    "id": {"type": "string", "description": "Unique per event; consumers deduplicate on it (at least once)"},
    "type": {"type": "string"},
    "version": {"type": "integer"},
    "occurred_at": {"type": "string", "format": "date-time", "description": "ISO 8601, UTC, with Z"},
    "shop": {"type": "string"},
}


def json_schema(event_type: str, version: int) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a whole envelope of this type and version."""
    data = CATALOGUE[event_type][version].model_json_schema()
    defs = data.pop("$defs", None)
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"boomerang/events/{event_type}.v{version}.json",
        "title": f"{event_type} v{version}",
        "type": "object",
        "required": ["id", "type", "version", "occurred_at", "shop", "data"],
        "additionalProperties": False,
        "properties": {
            **ENVELOPE_PROPERTIES,
            "type": {"const": event_type},
            "version": {"const": version},
            "data": data,
        },
    }
    if defs:
        schema["$defs"] = defs
    return schema


def schema_files() -> dict[str, str]:
    """File name -> text of every schema, as kept in docs/events/."""
    return {
        f"{event_type}.v{version}.json": json.dumps(json_schema(event_type, version), indent=2) + "\n"
        for event_type, versions in sorted(CATALOGUE.items())
        for version in sorted(versions)
    }


if __name__ == "__main__":  # pragma: no cover - writes the docs
    target = Path(sys.argv[1])
    target.mkdir(parents=True, exist_ok=True)
    for name, text in schema_files().items():
        (target / name).write_text(text)
