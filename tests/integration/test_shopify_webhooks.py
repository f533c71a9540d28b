"""POST /webhooks/shopify through its handler, on DynamoDB Local and moto's Secrets Manager:
signatures, duplicates, and created/fulfilled/updated/refunded in any order ending in one order."""

from __future__ import annotations

import importlib
import itertools
import json
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest

from boomerang.domain.errors import NotFound
from boomerang.domain.models import Order
from boomerang.shopify.signature import sign
from boomerang.store import keys
from boomerang.store.dynamo import to_item
from boomerang.store.records import Repository
from boomerang.store.shopify import ShopifyConnection, ShopifyStore
from local.apigw_events import LambdaContext, rest_event

SAMPLES = Path(__file__).resolve().parents[2] / "events" / "samples" / "shopify"
ORDER_ID = "6129740677333"
TOPICS = {
    "orders_create": "orders/create",
    "orders_fulfilled": "orders/fulfilled",
    "orders_updated": "orders/updated",
    "orders_cancelled": "orders/cancelled",
    "refunds_create": "refunds/create",
    "products_update_shoes": "products/update",
    "products_update_earbuds": "products/update",
    "inventory_items_update": "inventory_items/update",
}


@pytest.fixture(scope="module")
def shopify(local_aws: Any) -> ModuleType:
    return importlib.import_module("functions.webhooks_shopify.handler")


class Shop:
    """A freshly connected shop (its own domain, secret and orders) and a Shopify that posts to it."""

    def __init__(self, module: ModuleType, repo: Repository):
        self.module = module
        self.repo = repo
        self.shop = f"shop-{uuid.uuid4().hex[:10]}"
        self.domain = f"{self.shop}.myshopify.com"
        self.secret = uuid.uuid4().hex
        name = f"boomerang/shopify/{self.shop}"
        boto3.client("secretsmanager").create_secret(Name=name, SecretString=self.secret)
        ShopifyStore(repo).put_connection(
            ShopifyConnection(self.domain, self.shop, name, {"Headphones": "electronics"})
        )

    def post(
        self,
        name: str,
        *,
        webhook_id: str | None = None,
        secret: str | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        raw = body if body is not None else (SAMPLES / f"{name}.json").read_bytes()
        sent = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": TOPICS.get(name, name),
            "X-Shopify-Hmac-Sha256": sign(raw, secret or self.secret),
            "X-Shopify-Shop-Domain": self.domain,
            "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
            "X-Shopify-API-Version": "2024-10",
            **(headers or {}),
        }
        event = rest_event("POST", "/webhooks/shopify", headers=sent, body=raw.decode())
        result = self.module.handler(event, LambdaContext(function_name="webhooks_shopify"))
        return int(result["statusCode"]), json.loads(result["body"])

    def order(self, order_id: str = ORDER_ID) -> Order:
        return self.repo.get_order(self.shop, order_id)


def new_shop(shopify: ModuleType, repo: Repository) -> Shop:
    return Shop(shopify, repo)


def comparable(order: Order) -> dict[str, Any]:
    return order.model_dump(mode="json", exclude={"version"})


def test_a_signed_order_becomes_an_order(shopify: ModuleType, repo: Repository) -> None:
    shop = new_shop(shopify, repo)
    shop.post("products_update_earbuds")
    status, body = shop.post("orders_create")
    assert (status, body["outcome"], body["order_id"]) == (200, "applied", ORDER_ID)
    order = shop.order()
    assert order.order_number == "#1042"
    assert order.locale == "de"
    assert [line.category for line in order.lines] == ["general", "electronics"]  # shoes' type not known yet
    # Customers find it as they would a /v1/orders order.
    assert repo.find_order_by_number(shop.shop, "#1042") == order


@pytest.mark.parametrize("forgery", ["wrong secret", "tampered body", "no signature"])
def test_forged_webhooks_are_refused_and_change_nothing(
    shopify: ModuleType, repo: Repository, forgery: str
) -> None:
    shop = new_shop(shopify, repo)
    raw = (SAMPLES / "orders_create.json").read_bytes()
    if forgery == "wrong secret":
        status, body = shop.post("orders_create", secret="guessed")
    elif forgery == "tampered body":
        signed = sign(raw, shop.secret)
        status, body = shop.post(
            "orders_create",
            body=raw.replace(b'"89.00"', b'"0.01"', 1),
            headers={"X-Shopify-Hmac-Sha256": signed},
        )
    else:
        status, body = shop.post("orders_create", headers={"X-Shopify-Hmac-Sha256": ""})
    assert status == 401
    assert body["error"]["code"] == "invalid_webhook_signature"
    assert body["error"]["request_id"]
    with pytest.raises(NotFound):
        shop.order()


def test_an_unknown_shop_domain_is_refused(shopify: ModuleType, repo: Repository) -> None:
    shop = new_shop(shopify, repo)
    status, body = shop.post("orders_create", headers={"X-Shopify-Shop-Domain": "stranger.myshopify.com"})
    assert (status, body["error"]["code"]) == (401, "unknown_shop_domain")


def test_a_webhook_without_its_id_is_refused(shopify: ModuleType, repo: Repository) -> None:
    shop = new_shop(shopify, repo)
    status, body = shop.post("orders_create", headers={"X-Shopify-Webhook-Id": ""})
    assert (status, body["error"]["code"]) == (400, "missing_webhook_header")
    assert body["error"]["details"][0]["field"] == "X-Shopify-Webhook-Id"


def test_a_duplicate_delivery_is_applied_once(shopify: ModuleType, repo: Repository) -> None:
    shop = new_shop(shopify, repo)
    webhook_id = str(uuid.uuid4())
    assert shop.post("orders_create", webhook_id=webhook_id)[1]["outcome"] == "applied"
    version = shop.order().version
    assert shop.post("orders_create", webhook_id=webhook_id) == (
        200,
        {"outcome": "duplicate", "topic": "orders/create", "order_id": None},
    )
    assert shop.order().version == version
    # The same id on another shop's domain is another webhook.
    other = new_shop(shopify, repo)
    assert other.post("orders_create", webhook_id=webhook_id)[1]["outcome"] == "applied"


def test_an_older_snapshot_never_overwrites_a_newer_one(shopify: ModuleType, repo: Repository) -> None:
    shop = new_shop(shopify, repo)
    shop.post("orders_updated")
    delivered = shop.order()
    assert all(line.delivered_at for line in delivered.lines)
    status, body = shop.post("orders_create")
    assert (status, body["outcome"]) == (200, "stale")
    assert shop.order() == delivered


def test_bad_payloads_answer_4xx_and_write_nothing(shopify: ModuleType, repo: Repository) -> None:
    shop = new_shop(shopify, repo)
    status, body = shop.post("orders_create", body=b"{not json")
    assert (status, body["error"]["code"]) == (400, "malformed_json")
    status, body = shop.post("orders_create", body=b'{"id": "x"}')
    assert (status, body["error"]["code"]) == (422, "validation_failed")
    assert {d["field"] for d in body["error"]["details"]} >= {"id", "name", "line_items"}
    no_email = json.loads((SAMPLES / "orders_create.json").read_bytes())
    no_email["email"] = no_email["contact_email"] = None
    no_email["customer"] = None
    status, body = shop.post("orders_create", body=json.dumps(no_email).encode())
    assert (status, body["error"]["code"]) == (422, "unmappable_order")
    with pytest.raises(NotFound):
        shop.order()
    # A topic Boomerang does not read is acknowledged, so Shopify stops sending it.
    status, body = shop.post("customers/create", body=b'{"id": 1}')
    assert (status, body["outcome"]) == (200, "ignored")


def test_a_cancelled_order_has_nothing_returnable(shopify: ModuleType, repo: Repository) -> None:
    shop = new_shop(shopify, repo)
    shop.post("orders_cancelled")
    cancelled = shop.order("6129741463765")
    assert all(cancelled.returnable_quantity(line.line_id) == 0 for line in cancelled.lines)


ARRIVALS = ["orders_create", "orders_fulfilled", "orders_updated", "refunds_create"]


def _final(shopify: ModuleType, repo: Repository, order: tuple[str, ...]) -> dict[str, Any]:
    shop = new_shop(shopify, repo)
    shop.post("products_update_shoes")
    shop.post("products_update_earbuds")
    for name in order:
        status, body = shop.post(name)
        assert status == 200, body
    final = comparable(shop.order())
    final["shop"] = "*"
    return final


def test_created_fulfilled_updated_refunded_in_any_order_end_alike(
    shopify: ModuleType, repo: Repository
) -> None:
    expected = _final(shopify, repo, tuple(ARRIVALS))
    # What the newest snapshot and the refund say, whatever came first.
    assert expected["removed"] == {"14215865843925": 1}
    assert all(line["delivered_at"] == "2026-11-05T10:37:20Z" for line in expected["lines"])
    assert [line["category"] for line in expected["lines"]] == ["shoes", "electronics"]
    for arrival in itertools.permutations(ARRIVALS):
        assert _final(shopify, repo, arrival) == expected, arrival


def test_a_redelivery_after_newer_news_changes_nothing(shopify: ModuleType, repo: Repository) -> None:
    shop = new_shop(shopify, repo)
    first = str(uuid.uuid4())
    shop.post("orders_create", webhook_id=first)
    shop.post("orders_updated")
    shop.post("refunds_create")
    settled = shop.order()
    # Shopify retries the first delivery (same id), then sends the refund again with a new id.
    assert shop.post("orders_create", webhook_id=first)[1]["outcome"] == "duplicate"
    assert shop.post("refunds_create")[1]["outcome"] == "stale"
    assert shop.order() == settled


def test_the_shipping_address_stays_on_the_order_and_out_of_the_kept_snapshot(
    shopify: ModuleType, repo: Repository
) -> None:
    shop = new_shop(shopify, repo)
    assert shop.post("inventory_items_update")[0] == 200
    for name in ("orders_create", "refunds_create"):
        assert shop.post(name)[0] == 200
    order = shop.order()
    assert order.shipping_address is not None and order.shipping_address.line1 == "Lindenstraße 12"
    shoes = next(line for line in order.lines if line.sku == "TRL-RUN-39-MOS")
    assert (shoes.hs_code, shoes.origin_country, shoes.weight_grams) == ("640411", "VN", 780)
    # The kept snapshot (Shopify's source record) holds no address lines, name or phone.
    kept = repo.ddb.get_item(
        TableName=repo.table, Key=to_item(keys.shopify_order_source(shop.shop, ORDER_ID))
    )
    text = json.dumps(kept["Item"])
    assert "Lindenstra" not in text and "Schneider" not in text and "901820" not in text


def test_a_signed_body_of_absurd_nesting_is_400_not_500(shopify: ModuleType, repo: Repository) -> None:
    # Issue 13, item 2, where it applies to webhooks: only a holder of the secret can send it.
    shop = new_shop(shopify, repo)
    status, body = shop.post("orders_create", body=b"[" * 5000 + b"]" * 5000)
    assert (status, body["error"]["code"]) == (400, "malformed_json")


# --- the catalog exchanges draw on (issue 17) ------------------------------------------------------


def test_products_and_inventory_levels_feed_the_catalog(shopify: ModuleType, repo: Repository) -> None:
    from boomerang.store.catalog import CatalogStore

    TOPICS["products_update_shoes_variants"] = "products/update"
    TOPICS["inventory_levels_update"] = "inventory_levels/update"
    shop = new_shop(shopify, repo)
    catalog = CatalogStore(repo.table, repo.ddb)
    assert shop.post("products_update_shoes_variants")[0] == 200
    product = catalog.get(shop.shop, "8234087006421")
    assert product is not None and product.category == "shoes" and product.title == "Trail Runner"
    sizes = {v.variant_id: (v.options, v.price.amount, v.available) for v in product.variants}
    assert sizes == {
        "44919415881941": ({"size": "39", "color": "Moss"}, 12900, 3),
        "44919415881942": ({"size": "40", "color": "Moss"}, 12900, 1),
    }
    # The order's lines carry the product and variant they were bought as.
    assert shop.post("orders_create")[0] == 200
    line = shop.order().lines[0]
    assert (line.product_id, line.variant_id) == ("8234087006421", "44919415881941")
    # One location's count of size 40 drops to 0; a redelivery changes nothing.
    status, body = shop.post("inventory_levels_update", webhook_id="lvl-1")
    assert status == 200 and body["outcome"] == "applied", body
    status, body = shop.post("inventory_levels_update", webhook_id="lvl-1")
    assert status == 200 and body["outcome"] == "duplicate", body
    product = catalog.get(shop.shop, "8234087006421")
    assert product is not None
    assert {v.variant_id: v.available for v in product.variants} == {"44919415881941": 3, "44919415881942": 0}
