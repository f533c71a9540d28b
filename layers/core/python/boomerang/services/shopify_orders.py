"""Orders in from Shopify: `POST /webhooks/shopify`.

X-Shopify-Shop-Domain picks the shop (its connection record), the shop's app secret verifies
X-Shopify-Hmac-Sha256 on the raw body, X-Shopify-Webhook-Id is applied once. Order payloads are
whole snapshots: the newest `updated_at` wins and an older one never overwrites it; refunds are
merged by their id from whichever payload brings them. So created, updated, fulfilled, cancelled
and refunded end in the same order whatever order Shopify delivers them in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from boomerang.domain.errors import BadRequest, NotFound, Unauthorized, Unprocessable
from boomerang.domain.models import Order
from boomerang.services.catalog import CatalogService
from boomerang.services.retry import retry_stale
from boomerang.services.shipments.service import Fulfilment
from boomerang.shopify import mapping, signature
from boomerang.shopify.payloads import (
    DraftOrder,
    FulfillmentEvent,
    InventoryItem,
    InventoryLevel,
    Product,
    Refund,
    ShopifyOrder,
)
from boomerang.store.catalog import CatalogStore
from boomerang.store.shopify import DuplicateWebhook, OrderSource, ShopifyConnection, ShopifyStore

if TYPE_CHECKING:
    from boomerang.services.shipments.service import ShipmentService

ORDER_TOPICS = frozenset({"orders/create", "orders/updated", "orders/fulfilled", "orders/cancelled"})
REFUND_TOPICS = frozenset({"refunds/create"})
PRODUCT_TOPICS = frozenset({"products/create", "products/update"})
# A SKU's customs data (HS code, country of origin): declared on cross-border returns.
INVENTORY_TOPICS = frozenset({"inventory_items/create", "inventory_items/update"})
# A location's units of an inventory item: the catalog's stock of its variant.
LEVEL_TOPICS = frozenset({"inventory_levels/update"})
# A shipment of the order's lines with its tracking numbers: an outbound parcel (issue 21).
FULFILLMENT_TOPICS = frozenset({"fulfillments/create", "fulfillments/update"})
# A dearer replacement's invoice paid (boomerang.payments.shopify_drafts).
DRAFT_TOPICS = frozenset({"draft_orders/update"})
TOPICS = (
    ORDER_TOPICS | REFUND_TOPICS | PRODUCT_TOPICS | INVENTORY_TOPICS | LEVEL_TOPICS | FULFILLMENT_TOPICS
    | DRAFT_TOPICS
)  # fmt: skip
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Received:
    """What one delivery did: `outcome` is applied, stale (older than what is kept), duplicate,
    pending (a refund before its order: kept, applied when the order comes) or ignored (a topic
    Boomerang does not read)."""

    outcome: str
    topic: str
    shop: str
    order_id: str | None = None
    order: Order | None = None


class ShopifyWebhooks:
    def __init__(
        self,
        store: ShopifyStore,
        secret: Callable[[str], str],
        clock: Callable[[], datetime],
        shipments: Callable[[], ShipmentService] | None = None,
        drafts: Callable[[str, DraftOrder], str] | None = None,
        replacements: Callable[[str, str, str, str, datetime], Any] | None = None,
    ):
        self.store = store
        self.secret = secret  # secret name -> the app's client secret (cached by the caller)
        self.clock = clock
        self.catalog = CatalogService(CatalogStore(store.table, store.ddb))
        self.shipments = (
            shipments  # made on the first fulfilment (its parcels' code stays out of a cold start)
        )
        # (shop, draft order) -> what it did to a return: a paid invoice resumes its workflow.
        self.drafts = drafts
        # (shop, order id, carrier, tracking number, shipped at): an exchange's replacement shipped.
        self.replacements = replacements

    def receive(self, headers: Mapping[str, str], raw_body: bytes) -> Received:
        lowered = {k.lower(): v for k, v in headers.items()}
        domain = (lowered.get("x-shopify-shop-domain") or "").strip().lower()
        connection = self.store.connection(domain) if domain else None
        if connection is None:
            # Nothing to verify the signature with: to the sender, the same as a bad signature.
            raise Unauthorized(
                "X-Shopify-Shop-Domain names no shop connected to this Boomerang.", code="unknown_shop_domain"
            )
        if not signature.verify(
            raw_body, lowered.get("x-shopify-hmac-sha256"), self.secret(connection.secret_name)
        ):
            raise Unauthorized(
                "X-Shopify-Hmac-Sha256 does not match the body and the shop's app secret.",
                code="invalid_webhook_signature",
            )
        topic = (lowered.get("x-shopify-topic") or "").strip()
        webhook_id = (lowered.get("x-shopify-webhook-id") or "").strip()
        if not topic or not webhook_id or len(webhook_id) > 128:
            raise BadRequest(
                "Shopify webhooks carry X-Shopify-Topic and X-Shopify-Webhook-Id.",
                code="missing_webhook_header",
                details=[
                    {"field": name, "code": "missing", "message": "Header required."}
                    for name, value in (("X-Shopify-Topic", topic), ("X-Shopify-Webhook-Id", webhook_id))
                    if not value
                ],
            )
        try:
            if topic not in TOPICS:
                self.store.remember_webhook(domain, webhook_id, topic, self.clock())
                return Received("ignored", topic, connection.shop)
            body = _json(raw_body)
            if topic in PRODUCT_TOPICS:
                product = _parse(Product, body)
                if self.store.webhook_seen(domain, webhook_id):
                    raise DuplicateWebhook(webhook_id)
                # The catalog first: a delivery that fails here is retried by Shopify, not deduplicated.
                if product.variants:
                    entry, stock = mapping.to_product(
                        connection.shop, product, connection.categories, connection.currency
                    )
                    self.catalog.feed(entry, stock, product.updated_at)
                    for variant in entry.variants:
                        if variant.inventory_item_id:
                            self.catalog.store.link_inventory_item(
                                connection.shop,
                                variant.inventory_item_id,
                                entry.product_id,
                                variant.variant_id,
                            )
                kept = self.store.put_product(domain, webhook_id, connection.shop, product, self.clock())
                return Received("applied" if kept else "stale", topic, connection.shop)
            if topic in INVENTORY_TOPICS:
                item = _parse(InventoryItem, body)
                kept = self.store.put_sku_customs(domain, webhook_id, connection.shop, item, self.clock())
                return Received("applied" if kept else "stale", topic, connection.shop)
            if topic in LEVEL_TOPICS:
                level = _parse(InventoryLevel, body)
                if self.store.webhook_seen(domain, webhook_id):
                    raise DuplicateWebhook(webhook_id)
                found = self.catalog.store.inventory_level(
                    connection.shop,
                    str(level.inventory_item_id),
                    str(level.location_id),
                    level.available or 0,
                    level.updated_at,
                )
                if found is not None:
                    self.catalog.stock(connection.shop, found[0], found[1], found[2])
                self.store.remember_webhook(domain, webhook_id, topic, self.clock())
                return Received("applied" if found else "stale", topic, connection.shop)
            if topic in DRAFT_TOPICS:
                draft = _parse(DraftOrder, body)
                if self.store.webhook_seen(domain, webhook_id):
                    raise DuplicateWebhook(webhook_id)
                outcome = self.drafts(connection.shop, draft) if self.drafts else "ignored"
                self.store.remember_webhook(domain, webhook_id, topic, self.clock())
                return Received(outcome, topic, connection.shop)
            if topic in FULFILLMENT_TOPICS:
                return self._fulfillment(connection, webhook_id, topic, _parse(FulfillmentEvent, body))
            if topic in REFUND_TOPICS:
                return self._refund(connection, webhook_id, topic, _parse(Refund, body))
            return self._order(connection, webhook_id, topic, _parse(ShopifyOrder, body))
        except DuplicateWebhook:
            return Received("duplicate", topic, connection.shop)

    def _fulfillment(
        self, connection: ShopifyConnection, webhook_id: str, topic: str, payload: FulfillmentEvent
    ) -> Received:
        """One parcel per tracking number, each with the fulfillment's lines. An order not imported
        yet answers 404 (order_not_found) and is not remembered, so Shopify delivers it again."""
        order_id = str(payload.order_id)
        numbers = payload.numbers()
        if (
            self.replacements is not None
            and numbers
            and payload.status not in ("cancelled", "failure", "error")
        ):
            # An exchange's replacement made in Shopify: its return hears of the shipment too.
            carrier = (payload.tracking_company or "unknown").strip() or "unknown"
            self.replacements(
                connection.shop, order_id, carrier, numbers[0], payload.created_at.astimezone(UTC)
            )
        if self.shipments is None or not numbers or payload.status in ("cancelled", "failure", "error"):
            self.store.remember_webhook(connection.domain, webhook_id, topic, self.clock())
            return Received("ignored", topic, connection.shop, order_id)
        service = self.shipments()
        origin = payload.origin_address.country_code if payload.origin_address else None
        for number in numbers:
            service.fulfil(
                connection.shop,
                order_id,
                Fulfilment(
                    tracking_number=number,
                    carrier=(payload.tracking_company or "unknown").strip() or "unknown",
                    lines=[(str(line.id), line.quantity) for line in payload.line_items],
                    origin_country=origin.upper() if origin and len(origin) == 2 else None,
                    shipped_at=payload.created_at.astimezone(UTC),
                    source="shopify",
                    external_id=str(payload.id),
                ),
            )
        self.store.remember_webhook(connection.domain, webhook_id, topic, self.clock())
        return Received("applied", topic, connection.shop, order_id)

    @retry_stale
    def _order(
        self, connection: ShopifyConnection, webhook_id: str, topic: str, payload: ShopifyOrder
    ) -> Received:
        order_id = str(payload.id)
        known = self.store.order_source(connection.shop, order_id)
        refunds = mapping.merged_refunds(known.refunds, payload)
        newer = known.snapshot is None or payload.updated_at > known.snapshot.updated_at
        if not newer and refunds == known.refunds:
            self.store.remember_webhook(connection.domain, webhook_id, topic, self.clock())
            return Received("stale", topic, connection.shop, order_id)
        snapshot = payload if newer else known.snapshot
        assert snapshot is not None
        return self._save(connection, webhook_id, topic, order_id, known, snapshot, refunds)

    @retry_stale
    def _refund(self, connection: ShopifyConnection, webhook_id: str, topic: str, refund: Refund) -> Received:
        order_id = str(refund.order_id)
        known = self.store.order_source(connection.shop, order_id)
        if str(refund.id) in known.refunds:  # already known from this event or an order snapshot
            self.store.remember_webhook(connection.domain, webhook_id, topic, self.clock())
            return Received("stale", topic, connection.shop, order_id)
        refunds = {**known.refunds}
        refunds.setdefault(str(refund.id), mapping.refund_lines(refund))
        if known.snapshot is None:
            source = OrderSource(snapshot=None, refunds=refunds, version=known.version)
            self.store.save_order(
                connection.domain, webhook_id, topic, connection.shop, order_id, source, None, self.clock()
            )
            return Received("pending", topic, connection.shop, order_id)
        return self._save(connection, webhook_id, topic, order_id, known, known.snapshot, refunds)

    def _save(
        self,
        connection: ShopifyConnection,
        webhook_id: str,
        topic: str,
        order_id: str,
        known: OrderSource,
        snapshot: ShopifyOrder,
        refunds: dict[str, dict[str, int]],
    ) -> Received:
        product_ids = {str(item.product_id) for item in snapshot.line_items if item.product_id}
        types = self.store.product_types(connection.shop, product_ids) if product_ids else {}
        skus = {item.sku for item in snapshot.line_items if item.sku}
        customs = self.store.sku_customs(connection.shop, skus) if skus else {}
        order = mapping.to_order(connection.shop, snapshot, refunds, types, connection.categories, customs)
        if order.shipping_address is None and known.version:
            # A kept snapshot holds no address lines: the order keeps the address it has.
            try:
                kept = self.store.repo.get_order(connection.shop, order_id)
                order = order.model_copy(update={"shipping_address": kept.shipping_address})
            except NotFound:
                pass
        source = OrderSource(snapshot=snapshot, refunds=refunds, version=known.version)
        self.store.save_order(
            connection.domain, webhook_id, topic, connection.shop, order_id, source, order, self.clock()
        )
        return Received("applied", topic, connection.shop, order_id, order)


def _json(raw_body: bytes) -> Any:
    try:
        return json.loads(raw_body)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurd nesting, even when signed
        raise BadRequest("The body is not JSON.", code="malformed_json") from exc


def _parse(model: type[M], body: Any) -> M:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        details = [
            {
                "field": ".".join(str(p) for p in err["loc"]) or None,
                "code": err["type"],
                "message": err["msg"],
            }
            for err in exc.errors()
        ]
        raise Unprocessable(
            f"The {model.__name__} payload does not have the shape Shopify sends.",
            code="validation_failed",
            details=details,
        ) from exc


DIFFERENCE_TAG = "boomerang-difference-"


def difference_news(workflow: Any, shop: str, draft: DraftOrder) -> str:
    """A draft order's news for a dearer replacement's invoice: completed is paid. Only the shop's
    own returns are touched, and only the request the return holds (matched by the draft's id)."""
    from boomerang.domain import rma as rma_numbers
    from boomerang.payments.shopify_admin import _minor

    tagged = [t.removeprefix(DIFFERENCE_TAG) for t in draft.tag_list() if t.startswith(DIFFERENCE_TAG)]
    if not tagged:
        return "ignored"
    try:
        rma = rma_numbers.normalize(tagged[0])
        if workflow.get(rma).shop != shop:
            return "not_ours"
    except (rma_numbers.InvalidRma, NotFound):
        return "not_ours"
    if draft.status != "completed":
        return "unchanged"
    currency = draft.currency.upper()
    amount = _minor(draft.total_price, currency)
    paid = workflow.difference_paid(rma, draft.gid, amount, currency, "payments:shopify")
    return "unmatched" if paid is None else str(paid.status.value)
