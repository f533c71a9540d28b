"""The catalog on the single table: one item per product, its variants' stock beside it.

    product: SHOP#<shop>#PRODUCT#<product_id> | CATALOG
      doc      the product and its variants as the feed described them (JSON)
      inv      {variant_id: {s: stock, r: reserved, a: available}}: a map, so a reservation is
               one conditional write on the variant's `a` (available >= quantity)
      version  bumped by every write: a feed's read-modify-write loses to a reservation made
               meanwhile and is retried, so it never overwrites a hold
      gsi1     SHOP#<shop>#CATEGORY#<category> | <product_id>: the products of a category (the
               exchange options of another product)
    Shopify inventory item -> variant: SHOP#<shop>#INVITEM#<inventory_item_id> | INVENTORY
      (product_id, variant_id, levels {location: units}, level_at {location: time})

A feed keeps each variant's `reserved` and sets `available` = stock - reserved. A variant that
the feed drops while units of it are held keeps its stock entry (so the hold can be released);
it is no longer offered, and an exchange holding it finds it out of stock at resolution.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from boomerang.domain.catalog import Product
from boomerang.domain.errors import StaleVersion
from boomerang.store import keys
from boomerang.store.dynamo import from_item, to_item
from boomerang.store.records import iso

CATALOG_SK = "CATALOG"


def product_key(shop: str, product_id: str) -> dict[str, str]:
    return {keys.PK: f"SHOP#{shop}#PRODUCT#{product_id}", keys.SK: CATALOG_SK}


def category_pk(shop: str, category: str) -> str:
    return f"SHOP#{shop}#CATEGORY#{category}"


def inventory_item_key(shop: str, inventory_item_id: str) -> dict[str, str]:
    return {keys.PK: f"SHOP#{shop}#INVITEM#{inventory_item_id}", keys.SK: "INVENTORY"}


@dataclass(frozen=True)
class Hold:
    """Units of one variant held for an exchange."""

    product_id: str
    variant_id: str
    quantity: int


class CatalogStore:
    def __init__(self, table: str, ddb: Any):
        self.table = table
        self.ddb = ddb

    # --- reads ---------------------------------------------------------------------------------

    def get(self, shop: str, product_id: str) -> Product | None:
        got = self.ddb.get_item(
            TableName=self.table, Key=to_item(product_key(shop, product_id)), ConsistentRead=True
        )
        return _product(from_item(got["Item"])) if "Item" in got else None

    def many(self, shop: str, product_ids: Iterable[str]) -> dict[str, Product]:
        """Products by id, in BatchGetItem calls (strongly consistent); unknown ids are absent."""
        wanted = [to_item(product_key(shop, pid)) for pid in sorted(set(product_ids))]
        found: dict[str, Product] = {}
        for start in range(0, len(wanted), 100):
            request: dict[str, Any] = {
                self.table: {"Keys": wanted[start : start + 100], "ConsistentRead": True}
            }
            while request:
                got = self.ddb.batch_get_item(RequestItems=request)
                for raw in got.get("Responses", {}).get(self.table, []):
                    product = _product(from_item(raw))
                    found[product.product_id] = product
                request = got.get("UnprocessedKeys") or {}
        return found

    def in_category(self, shop: str, category: str, limit: int = 50) -> list[Product]:
        """Products of a category (one Query page on gsi1; a portal shows a page of options)."""
        got = self.ddb.query(
            TableName=self.table,
            IndexName=keys.GSI1,
            KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues=to_item({":pk": category_pk(shop, category)}),
            Limit=limit,
        )
        return [_product(from_item(raw)) for raw in got.get("Items", [])]

    # --- the feed ------------------------------------------------------------------------------

    def upsert(
        self, product: Product, stock: dict[str, int | None], updated_at: datetime | None
    ) -> Product | None:
        """Write the product as the feed describes it: `stock` per variant (None: keep what is
        known). Held units are kept. With `updated_at`, an older description than the one kept
        changes nothing (None is answered). Raises StaleVersion on a lost race (retry it)."""
        item_key = product_key(product.shop, product.product_id)
        got = self.ddb.get_item(TableName=self.table, Key=to_item(item_key), ConsistentRead=True)
        old = from_item(got["Item"]) if "Item" in got else None
        if old is not None and updated_at is not None and str(old.get("updated_at") or "") >= iso(updated_at):
            return None
        inv: dict[str, dict[str, int]] = {
            k: {n: int(x) for n, x in v.items()} for k, v in (old or {}).get("inv", {}).items()
        }
        for variant in product.variants:
            entry = inv.get(variant.variant_id, {"s": 0, "r": 0, "a": 0})
            given = stock.get(variant.variant_id)
            s = entry["s"] if given is None else given
            inv[variant.variant_id] = {"s": s, "r": entry["r"], "a": s - entry["r"]}
        listed = {v.variant_id for v in product.variants}
        inv = {vid: e for vid, e in inv.items() if vid in listed or e["r"] > 0}
        version = int(old["version"]) if old else 0
        doc = product.model_dump(mode="json", exclude={"version"})
        for v in doc["variants"]:
            for name in ("stock", "reserved", "available"):
                v.pop(name, None)
        item = {
            **item_key,
            "doc": json.dumps(doc),
            "inv": inv,
            "version": version + 1,
            "updated_at": iso(updated_at) if updated_at else (old or {}).get("updated_at"),
            "gsi1pk": category_pk(product.shop, product.category),
            "gsi1sk": product.product_id,
        }
        condition = "attribute_not_exists(pk)" if old is None else "version = :v"
        params: dict[str, Any] = {
            "TableName": self.table,
            "Item": to_item(item),
            "ConditionExpression": condition,
        }
        if old is not None:
            params["ExpressionAttributeValues"] = to_item({":v": version})
        try:
            self.ddb.put_item(**params)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise StaleVersion(f"Product {product.product_id}") from exc
            raise
        return _product(from_item(to_item(item)))

    def set_stock(self, shop: str, product_id: str, variant_id: str, units: int) -> bool:
        """The feed's count for one variant (held units kept); False if the variant is unknown."""
        product = self.get(shop, product_id)
        if product is None or product.variant(variant_id) is None:
            return False
        try:
            self.ddb.update_item(
                TableName=self.table,
                Key=to_item(product_key(shop, product_id)),
                UpdateExpression="SET inv.#v.s = :s, inv.#v.a = :s - inv.#v.r, version = version + :one",
                ConditionExpression="version = :ver",
                ExpressionAttributeNames={"#v": variant_id},
                ExpressionAttributeValues=to_item({":s": units, ":one": 1, ":ver": product.version}),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise StaleVersion(f"Product {product_id}") from exc
            raise
        return True

    def link_inventory_item(
        self, shop: str, inventory_item_id: str, product_id: str, variant_id: str
    ) -> None:
        self.ddb.update_item(
            TableName=self.table,
            Key=to_item(inventory_item_key(shop, inventory_item_id)),
            UpdateExpression="SET product_id = :p, variant_id = :v, levels = if_not_exists(levels, :m), "
            "level_at = if_not_exists(level_at, :m)",
            ExpressionAttributeValues=to_item({":p": product_id, ":v": variant_id, ":m": {}}),
        )

    def inventory_level(
        self, shop: str, inventory_item_id: str, location: str, units: int, at: datetime
    ) -> tuple[str, str, int] | None:
        """Record one location's count of an inventory item; the variant's stock is the sum over
        its locations. None where the item is unknown or the count is older than the one kept."""
        got = self.ddb.get_item(
            TableName=self.table,
            Key=to_item(inventory_item_key(shop, inventory_item_id)),
            ConsistentRead=True,
        )
        if "Item" not in got:
            return None
        values = from_item(got["Item"])
        level_at = {str(k): str(v) for k, v in (values.get("level_at") or {}).items()}
        if level_at.get(location, "") >= iso(at):
            return None
        levels = {str(k): int(v) for k, v in (values.get("levels") or {}).items()}
        levels[location] = max(0, units)
        level_at[location] = iso(at)
        self.ddb.update_item(
            TableName=self.table,
            Key=to_item(inventory_item_key(shop, inventory_item_id)),
            UpdateExpression="SET levels = :l, level_at = :t",
            ExpressionAttributeValues=to_item({":l": levels, ":t": level_at}),
        )
        return str(values["product_id"]), str(values["variant_id"]), sum(levels.values())

    # --- holds (TransactItems that go with a return's write) -------------------------------------

    def reserve_items(self, shop: str, holds: list[Hold]) -> list[dict[str, Any]]:
        """One Update per product: take each variant's units only while `available` covers them."""
        return self._per_product(shop, holds, "SET {a} = {a} - {q}, {r} = {r} + {q}", "{a} >= {q}")

    def release_items(self, shop: str, holds: list[Hold]) -> list[dict[str, Any]]:
        """Give held units back to `available` (cancel, expiry, rejection, a fallback)."""
        return self._per_product(shop, holds, "SET {a} = {a} + {q}, {r} = {r} - {q}", "{r} >= {q}")

    def consume_items(self, shop: str, holds: list[Hold]) -> list[dict[str, Any]]:
        """The held units leave in the replacement: no longer held, no longer on the shelf."""
        return self._per_product(shop, holds, "SET {r} = {r} - {q}, {s} = {s} - {q}", "{r} >= {q}")

    def _per_product(self, shop: str, holds: list[Hold], action: str, check: str) -> list[dict[str, Any]]:
        by_product: dict[str, dict[str, int]] = {}
        for hold in holds:
            variants = by_product.setdefault(hold.product_id, {})
            variants[hold.variant_id] = variants.get(hold.variant_id, 0) + hold.quantity
        items: list[dict[str, Any]] = []
        for product_id, variants in sorted(by_product.items()):
            names: dict[str, str] = {}
            values: dict[str, Any] = {":one": 1}
            actions: list[str] = []
            checks: list[str] = []
            for n, (variant_id, quantity) in enumerate(sorted(variants.items())):
                names[f"#v{n}"] = variant_id
                values[f":q{n}"] = quantity
                paths = {name: f"inv.#v{n}.{name}" for name in ("a", "r", "s")}
                actions.append(action.format(q=f":q{n}", **paths).removeprefix("SET "))
                checks.append(check.format(q=f":q{n}", **paths))
            items.append(
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": to_item(product_key(shop, product_id)),
                        "UpdateExpression": "SET " + ", ".join(actions) + ", version = version + :one",
                        "ConditionExpression": " AND ".join(checks),
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": to_item(values),
                    }
                }
            )
        return items


def is_hold(item: dict[str, Any]) -> bool:
    """Whether a TransactItem is one of these holds (a return's write tells out of stock by it)."""
    update = item.get("Update") or {}
    return bool(update.get("Key", {}).get(keys.SK) == {"S": CATALOG_SK})


def _product(values: dict[str, Any]) -> Product:
    data = json.loads(values["doc"])
    inv = values.get("inv") or {}
    for variant in data["variants"]:
        entry = inv.get(variant["variant_id"]) or {}
        variant["stock"] = max(0, int(entry.get("s", 0)))
        variant["reserved"] = max(0, int(entry.get("r", 0)))
        variant["available"] = int(entry.get("a", 0))
    data["version"] = int(values.get("version", 0))
    return Product.model_validate(data)
