"""Shops and their API keys beyond what a request needs: creating a shop only if it is new, listing
every shop (one Query on gsi1, never a Scan), revoking a key of a given shop."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from boomerang.domain.branding import Branding, default_branding
from boomerang.domain.errors import Conflict, NotFound
from boomerang.store import keys
from boomerang.store.dynamo import from_item, to_item
from boomerang.store.records import Repository, shop_item


class ShopStore:
    def __init__(self, repo: Repository):
        self.table = repo.table
        self.ddb = repo.ddb

    def create(self, shop: str, name: str) -> None:
        """The shop, unless it exists (Conflict `shop_exists`)."""
        try:
            self.ddb.put_item(
                TableName=self.table,
                Item=to_item(shop_item(shop, name)),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise Conflict(f"Shop {shop} exists already.", code="shop_exists") from exc
            raise

    def branding(self, shop: str) -> Branding | None:
        """The shop's branding (its name alone where none is set); None if there is no such shop.
        One record that no longer reads falls back to the name, so a bad colour never takes the
        customer pages down."""
        got = self.ddb.get_item(TableName=self.table, Key=to_item(keys.shop(shop)))
        if not got.get("Item"):
            return None
        item = from_item(got["Item"])
        name = str(item.get("name") or shop)
        stored = item.get("branding")
        if isinstance(stored, dict):
            try:
                return Branding.model_validate({**stored, "name": stored.get("name") or name})
            except ValueError:
                pass
        return default_branding(name)

    def set_branding(self, shop: str, branding: Branding) -> None:
        """Set the shop's branding (NotFound `shop_not_found` for no such shop)."""
        try:
            self.ddb.update_item(
                TableName=self.table,
                Key=to_item(keys.shop(shop)),
                UpdateExpression="SET branding = :b",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=to_item({":b": branding.model_dump(exclude_none=True)}),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise NotFound(f"No shop {shop}.", code="shop_not_found") from exc
            raise

    def all(self) -> list[dict[str, str]]:
        """Every shop ({"shop", "name"}), by id."""
        found: list[dict[str, Any]] = []
        params: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": keys.GSI1,
            "KeyConditionExpression": "gsi1pk = :pk",
            "ExpressionAttributeValues": to_item({":pk": keys.SHOPS_PK}),
        }
        while True:
            got = self.ddb.query(**params)
            found += [from_item(i) for i in got.get("Items", [])]
            if not got.get("LastEvaluatedKey"):
                return [{"shop": str(i["shop"]), "name": str(i.get("name", ""))} for i in found]
            params["ExclusiveStartKey"] = got["LastEvaluatedKey"]

    def delete_api_key(self, key_hash: str, shop: str) -> bool:
        """Delete the key if it is the shop's; False if there is no such key of that shop."""
        try:
            self.ddb.delete_item(
                TableName=self.table,
                Key=to_item(keys.api_key(key_hash)),
                ConditionExpression="shop = :shop",
                ExpressionAttributeValues=to_item({":shop": shop}),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True
