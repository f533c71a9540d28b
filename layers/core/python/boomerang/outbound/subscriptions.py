"""A shop's webhook subscriptions on the single table; each secret lives in Secrets Manager and the
record keeps only its name."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

from boomerang.api.text import PLAIN, PlainText
from boomerang.domain.errors import NotFound
from boomerang.store import keys
from boomerang.store.dynamo import from_item, to_item
from boomerang.store.lenient import readable


class Subscription(BaseModel):
    model_config = ConfigDict(frozen=True)

    subscription_id: str
    shop: str
    url: str
    # Event types delivered; "*" for all.
    event_types: list[str] = Field(min_length=1)
    secret_name: str
    created_at: str
    created_by: str

    def wants(self, event_type: str) -> bool:
        return "*" in self.event_types or event_type in self.event_types


class SubscriptionIn(BaseModel):
    """What staff send to create a subscription."""

    model_config = ConfigDict(extra="forbid")

    shop: PlainText = Field(min_length=1, max_length=128)
    url: Annotated[HttpUrl, PLAIN] = Field(description="The receiver's HTTPS endpoint")
    event_types: list[PlainText] = Field(
        min_length=1, max_length=50, description='Event types, or ["*"] for all'
    )

    @field_validator("url")
    @classmethod
    def _reachable_receiver(cls, url: HttpUrl) -> HttpUrl:
        """HTTPS to a public host. Plain HTTP only to loopback (a receiver on the developer's machine,
        as `make local` runs it); never a private or link-local address literal, so a subscription
        cannot point the delivery function at the merchant's internal network."""
        host = (url.host or "").strip("[]")
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        loopback = host == "localhost" or (address is not None and address.is_loopback)
        if url.scheme != "https" and not loopback:
            raise ValueError("use an https:// URL")
        if address is not None and not loopback and (address.is_private or address.is_link_local):
            raise ValueError("a private or link-local address cannot receive webhooks")
        return url


class SubscriptionStore:
    def __init__(self, table_name: str, ddb: Any):
        self.table = table_name
        self.ddb = ddb

    def put(self, subscription: Subscription) -> None:
        item = {**keys.webhook_subscription(subscription.shop, subscription.subscription_id)}
        item["doc"] = subscription.model_dump_json()
        self.ddb.put_item(
            TableName=self.table, Item=to_item(item), ConditionExpression="attribute_not_exists(pk)"
        )

    def of_shop(self, shop_id: str) -> list[Subscription]:
        found: list[Subscription] = []
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": to_item(
                {":pk": keys.webhook_subscription(shop_id, "")[keys.PK], ":prefix": keys.WEBHOOK_PREFIX}
            ),
        }
        while True:
            got = self.ddb.query(**params)
            found += readable(got.get("Items", []), _subscription_of, "webhook_subscription")
            if "LastEvaluatedKey" not in got:
                return found
            params["ExclusiveStartKey"] = got["LastEvaluatedKey"]

    def get(self, shop_id: str, subscription_id: str) -> Subscription:
        got = self.ddb.get_item(
            TableName=self.table, Key=to_item(keys.webhook_subscription(shop_id, subscription_id))
        )
        if "Item" not in got:
            raise NotFound("No such webhook subscription.", code="subscription_not_found")
        return Subscription.model_validate_json(from_item(got["Item"])["doc"])

    def delete(self, shop_id: str, subscription_id: str) -> Subscription:
        got = self.ddb.delete_item(
            TableName=self.table,
            Key=to_item(keys.webhook_subscription(shop_id, subscription_id)),
            ReturnValues="ALL_OLD",
        )
        if "Attributes" not in got:
            raise NotFound("No such webhook subscription.", code="subscription_not_found")
        return Subscription.model_validate_json(from_item(got["Attributes"])["doc"])


def _subscription_of(raw: dict[str, Any]) -> Subscription:
    return Subscription.model_validate_json(from_item(raw)["doc"])
