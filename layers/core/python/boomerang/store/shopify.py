"""Shopify's records on the single table: which shop a myshopify domain is, the last order
snapshot applied per order (with every refund seen), product types, and webhook ids seen.

Every webhook's change is one transaction: the webhook id (conditional: a duplicate writes
nothing), the order's source record (conditional on its version: two deliveries racing on one
order serialize), and the order itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from boomerang.domain.errors import StaleVersion
from boomerang.domain.models import Order
from boomerang.shopify.payloads import ADDRESS_LINES, InventoryItem, Product, ShopifyOrder
from boomerang.store import keys
from boomerang.store.dynamo import cancellation_reasons, from_item, to_item
from boomerang.store.records import Repository, iso

# Shopify retries a failed delivery for up to 48 hours; a week covers that with room to spare.
WEBHOOK_MEMORY = timedelta(days=7)


class DuplicateWebhook(Exception):
    """This X-Shopify-Webhook-Id was already applied."""


@dataclass(frozen=True)
class ShopifyConnection:
    domain: str
    shop: str
    secret_name: str  # the app's client secret in Secrets Manager
    categories: dict[str, str] = field(default_factory=dict)  # product_type -> category
    # The shop's currency: product webhooks give variant prices without one.
    currency: str = "USD"


@dataclass(frozen=True)
class OrderSource:
    """What Shopify told about one order so far: the newest snapshot and every refund seen."""

    snapshot: ShopifyOrder | None
    refunds: dict[str, dict[str, int]]
    version: int  # 0: nothing yet


class ShopifyStore:
    def __init__(self, repo: Repository):
        self.repo = repo
        self.ddb = repo.ddb
        self.table = repo.table

    # --- connections and products -----------------------------------------------------------

    def put_connection(self, connection: ShopifyConnection) -> None:
        self.ddb.put_item(
            TableName=self.table,
            Item=to_item(
                {
                    **keys.shopify_connection(connection.domain),
                    "shop": connection.shop,
                    "secret_name": connection.secret_name,
                    "categories": connection.categories,
                    "currency": connection.currency,
                }
            ),
        )

    def connection(self, domain: str) -> ShopifyConnection | None:
        got = self.ddb.get_item(TableName=self.table, Key=to_item(keys.shopify_connection(domain)))
        if "Item" not in got:
            return None
        values = from_item(got["Item"])
        return ShopifyConnection(
            domain=domain,
            shop=str(values["shop"]),
            secret_name=str(values["secret_name"]),
            categories={str(k): str(v) for k, v in (values.get("categories") or {}).items()},
            currency=str(values.get("currency") or "USD"),
        )

    def product_types(self, shop: str, product_ids: set[str]) -> dict[str, str]:
        wanted = [to_item(keys.shopify_product(shop, pid)) for pid in sorted(product_ids)]
        found: dict[str, str] = {}
        for start in range(0, len(wanted), 100):
            request: dict[str, Any] = {self.table: {"Keys": wanted[start : start + 100]}}
            while request:
                got = self.ddb.batch_get_item(RequestItems=request)
                for raw in got.get("Responses", {}).get(self.table, []):
                    values = from_item(raw)
                    found[str(values["product_id"])] = str(values.get("product_type") or "")
                request = got.get("UnprocessedKeys") or {}
        return found

    def put_product(self, domain: str, webhook_id: str, shop: str, product: Product, now: datetime) -> bool:
        """Keep the product's type unless a newer update is already kept; False if it was older."""
        product_put = {
            "Put": {
                "TableName": self.table,
                "Item": to_item(
                    {
                        **keys.shopify_product(shop, str(product.id)),
                        "product_id": str(product.id),
                        "product_type": product.product_type,
                        "updated_at": iso(product.updated_at),
                    }
                ),
                "ConditionExpression": "attribute_not_exists(pk) OR updated_at < :at",
                "ExpressionAttributeValues": to_item({":at": iso(product.updated_at)}),
            }
        }
        try:
            self._transact([self._webhook_put(domain, webhook_id, "products", now), product_put])
        except StaleVersion:
            self._transact([self._webhook_put(domain, webhook_id, "products", now)])
            return False
        return True

    def put_sku_customs(
        self, domain: str, webhook_id: str, shop: str, item: InventoryItem, now: datetime
    ) -> bool:
        """Keep the SKU's HS code and country of origin unless a newer update is kept already."""
        if not item.sku:
            self.remember_webhook(domain, webhook_id, "inventory_items", now)
            return False
        put = {
            "Put": {
                "TableName": self.table,
                "Item": to_item(
                    {
                        **keys.shopify_sku_customs(shop, item.sku),
                        "hs_code": item.harmonized_system_code or "",
                        "origin_country": item.country_code_of_origin or "",
                        "updated_at": iso(item.updated_at),
                    }
                ),
                "ConditionExpression": "attribute_not_exists(pk) OR updated_at < :at",
                "ExpressionAttributeValues": to_item({":at": iso(item.updated_at)}),
            }
        }
        try:
            self._transact([self._webhook_put(domain, webhook_id, "inventory_items", now), put])
        except StaleVersion:
            self._transact([self._webhook_put(domain, webhook_id, "inventory_items", now)])
            return False
        return True

    def sku_customs(self, shop: str, skus: set[str]) -> dict[str, tuple[str | None, str | None]]:
        """(HS code, country of origin) per SKU, for those Shopify told about."""
        wanted = [to_item(keys.shopify_sku_customs(shop, sku)) for sku in sorted(skus)]
        found: dict[str, tuple[str | None, str | None]] = {}
        for start in range(0, len(wanted), 100):
            request: dict[str, Any] = {self.table: {"Keys": wanted[start : start + 100]}}
            while request:
                got = self.ddb.batch_get_item(RequestItems=request)
                for raw in got.get("Responses", {}).get(self.table, []):
                    values = from_item(raw)
                    sku = str(values["pk"]).split("#SKU#", 1)[1]
                    found[sku] = (
                        str(values.get("hs_code") or "") or None,
                        str(values.get("origin_country") or "") or None,
                    )
                request = got.get("UnprocessedKeys") or {}
        return found

    # --- orders ----------------------------------------------------------------------------------

    def order_source(self, shop: str, order_id: str) -> OrderSource:
        got = self.ddb.get_item(
            TableName=self.table, Key=to_item(keys.shopify_order_source(shop, order_id)), ConsistentRead=True
        )
        if "Item" not in got:
            return OrderSource(snapshot=None, refunds={}, version=0)
        values = from_item(got["Item"])
        snapshot = values.get("snapshot")
        return OrderSource(
            snapshot=ShopifyOrder.model_validate_json(snapshot) if snapshot else None,
            refunds={
                k: {lk: int(q) for lk, q in v.items()} for k, v in json.loads(values["refunds"]).items()
            },
            version=int(values["version"]),
        )

    def save_order(
        self,
        domain: str,
        webhook_id: str,
        topic: str,
        shop: str,
        order_id: str,
        source: OrderSource,
        order: Order | None,
        now: datetime,
    ) -> None:
        """Record the webhook, the new source (conditional on the version read) and the order."""
        item: dict[str, Any] = {
            **keys.shopify_order_source(shop, order_id),
            "refunds": json.dumps(source.refunds, sort_keys=True),
            "version": source.version + 1,
        }
        if source.snapshot is not None:
            # Only the fields Boomerang models, and no address lines, name or phone: the shipping
            # address lives on the order alone (covered by export and erasure there).
            item["snapshot"] = source.snapshot.model_dump_json(
                exclude={"shipping_address": set(ADDRESS_LINES)}
            )
            item["updated_at"] = iso(source.snapshot.updated_at)
        put: dict[str, Any] = {"TableName": self.table, "Item": to_item(item)}
        if source.version == 0:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :v"
            put["ExpressionAttributeValues"] = to_item({":v": source.version})
        items = [self._webhook_put(domain, webhook_id, topic, now), {"Put": put}]
        if order is not None:
            items += [self.repo.order_upsert_item(order), {"Update": self.repo.customer_order_update(order)}]
        self._transact(items)

    def webhook_seen(self, domain: str, webhook_id: str) -> bool:
        """Whether this delivery was applied already (its id remembered)."""
        got = self.ddb.get_item(
            TableName=self.table, Key=to_item(keys.shopify_webhook(domain, webhook_id)), ConsistentRead=True
        )
        return "Item" in got

    def remember_webhook(self, domain: str, webhook_id: str, topic: str, now: datetime) -> None:
        """A webhook that changes nothing (an older snapshot, a topic not used) is still remembered."""
        self._transact([self._webhook_put(domain, webhook_id, topic, now)])

    # --- the shared write ------------------------------------------------------------------------

    def _webhook_put(self, domain: str, webhook_id: str, topic: str, now: datetime) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self.table,
                "Item": to_item(
                    {
                        **keys.shopify_webhook(domain, webhook_id),
                        "topic": topic,
                        "received_at": iso(now),
                        keys.TTL_ATTRIBUTE: int((now + WEBHOOK_MEMORY).timestamp()),
                    }
                ),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def _transact(self, items: list[dict[str, Any]]) -> None:
        try:
            self.ddb.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = cancellation_reasons(exc)
            if reasons[:1] == ["ConditionalCheckFailed"]:
                raise DuplicateWebhook() from exc
            if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
                raise StaleVersion("The Shopify order") from exc
            raise
