"""Return and refund events as Klaviyo events on the customer's profile, per shop, switchable.

The domain events carry ids only; the customer's email comes from the order, looked up here at the
last moment and sent only to Klaviyo (never logged). Klaviyo deduplicates on `unique_id`, which is
the event's id, so an event delivered twice is recorded once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from boomerang.domain.errors import NotFound
from boomerang.events.outbox import Envelope
from boomerang.store import keys
from boomerang.store.dynamo import from_item, to_item

INTEGRATION = "klaviyo"
# What a merchant's flows in Klaviyo can react to.
FORWARDED = frozenset(
    {
        "return.requested",
        "return.approved",
        "return.rejected",
        "return.label_issued",
        "return.delivered",
        "return.received",
        "return.inspected",
        "return.cancelled",
        "return.expired",
        "return.closed",
        "return.credited",
        "return.exchanged",
        "refund.succeeded",
        "refund.failed",
    }
)


def metric_name(event_type: str) -> str:
    """`return.label_issued` -> `Return Label Issued` (the Klaviyo metric a flow triggers on)."""
    return event_type.replace(".", " ").replace("_", " ").title()


class KlaviyoSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    enabled: bool
    # The shop's private API key (scope events:write) lives in Secrets Manager under this name.
    secret_name: str


class SettingsStore:
    def __init__(self, table_name: str, ddb: Any):
        self.table = table_name
        self.ddb = ddb

    def get(self, shop_id: str) -> KlaviyoSettings | None:
        got = self.ddb.get_item(TableName=self.table, Key=to_item(keys.integration(shop_id, INTEGRATION)))
        return KlaviyoSettings.model_validate_json(from_item(got["Item"])["doc"]) if "Item" in got else None

    def put(self, shop_id: str, settings: KlaviyoSettings) -> None:
        item = {**keys.integration(shop_id, INTEGRATION), "doc": settings.model_dump_json()}
        self.ddb.put_item(TableName=self.table, Item=to_item(item))


def event_body(envelope: Envelope, email: str) -> dict[str, Any]:
    """The JSON:API body of Klaviyo's Create Event for this domain event."""
    data = envelope.data
    attributes: dict[str, Any] = {
        "properties": {"shop": envelope.shop, "event_type": envelope.type, **data},
        "metric": {"data": {"type": "metric", "attributes": {"name": metric_name(envelope.type)}}},
        "profile": {"data": {"type": "profile", "attributes": {"email": email}}},
        "unique_id": envelope.id,
        "time": envelope.occurred_at,
    }
    if isinstance(data.get("amount"), int) and isinstance(data.get("currency"), str):
        # Klaviyo's value is in major units; ours are minor units (2 decimals for the currencies we sell in).
        attributes["value"] = float(Decimal(data["amount"]) / 100)
        attributes["value_currency"] = data["currency"]
    return {"data": {"type": "event", "attributes": attributes}}


class EventsApi(Protocol):
    def create_event(self, body: dict[str, Any]) -> Any: ...


class OrderEmails(Protocol):
    def __call__(self, shop_id: str, order_id: str) -> str: ...


@dataclass
class KlaviyoForwarder:
    settings: Callable[[str], KlaviyoSettings | None]
    email_of: OrderEmails
    api_for: Callable[[KlaviyoSettings], EventsApi]  # the SDK's Events API with the shop's key

    def forward(self, envelope: Envelope) -> str:
        """Send the event to the shop's Klaviyo; what happened: sent, off, not_forwarded, no_order."""
        if envelope.type not in FORWARDED:
            return "not_forwarded"
        settings = self.settings(envelope.shop)
        if settings is None or not settings.enabled:
            return "off"
        order_id = envelope.data.get("order_id")
        if not isinstance(order_id, str):
            return "no_order"
        try:
            email = self.email_of(envelope.shop, order_id)
        except NotFound:
            return "no_order"
        self.api_for(settings).create_event(event_body(envelope, email))
        return "sent"
