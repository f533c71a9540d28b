"""Delivering events to subscribers: fan-out, one signed attempt, backoff, dead letters.

Decided (docs/WEBHOOKS.md): EventBridge rule -> SQS queue -> the delivery Lambda. An event from
the bus becomes one delivery message per matching subscription (so a failing receiver never makes
another receive twice); a failed attempt is retried by SQS after a visibility timeout set from
BACKOFF_SECONDS. After a day of failures the delivery is parked as a dead letter on the table
(visible to staff, redrivable), with a `webhook.dead_lettered` outbox event in the same write.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any, Protocol

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from boomerang.domain.errors import NotFound
from boomerang.events.outbox import Envelope
from boomerang.outbound import signing
from boomerang.outbound.subscriptions import Subscription
from boomerang.store import keys
from boomerang.store.dynamo import decode_cursor, encode_cursor, from_item, to_item
from boomerang.store.lenient import readable

# Waits between attempts (the SQS visibility timeout after a failure; at most 12 h). With the
# last repeated, a receiver that stays down gets ~11 attempts before the day is over.
BACKOFF_SECONDS = (60, 300, 900, 1800, 3600, 7200, 14400, 21600)
GIVE_UP_AFTER_SECONDS = 24 * 3600
DEAD_LETTERED = "webhook.dead_lettered"


def backoff(attempt: int) -> int:
    """Seconds to wait after failed attempt number `attempt` (1-based)."""
    return BACKOFF_SECONDS[min(max(attempt, 1), len(BACKOFF_SECONDS)) - 1]


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Delivery(BaseModel):
    """One event for one subscription: the body of a delivery message on the queue."""

    model_config = ConfigDict(frozen=True)

    delivery_id: str
    shop: str
    subscription_id: str
    first_attempt_at: datetime
    event: Envelope
    last_error: str | None = None


def fan_out(envelope: Envelope, subscriptions: list[Subscription], now: datetime) -> list[Delivery]:
    return [
        Delivery(
            delivery_id=f"{envelope.id}:{s.subscription_id}",
            shop=envelope.shop,
            subscription_id=s.subscription_id,
            first_attempt_at=now,
            event=envelope,
        )
        for s in subscriptions
        if s.wants(envelope.type)
        # A receiver's own dead letters are not sent to it: it is the one not answering.
        and not (envelope.type == DEAD_LETTERED and envelope.data.get("subscription_id") == s.subscription_id)
    ]


class Sender(Protocol):
    def __call__(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        """POST and answer the HTTP status; raise OSError when there is no answer."""
        ...


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is a failed delivery: the body must reach the subscribed URL


_opener = urllib.request.build_opener(_NoRedirect)


def http_post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    if not url.startswith(("https://", "http://")):
        raise OSError(f"not an HTTP URL: {url.split(':', 1)[0]}")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - scheme checked above
    try:
        with _opener.open(request, timeout=timeout) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def signed_request(delivery: Delivery, secret: str, now: int) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(delivery.event.model_dump(mode="json"), separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Boomerang-Webhooks/1",
        signing.SIGNATURE_HEADER: signing.signature_header(secret, now, body),
        signing.EVENT_ID_HEADER: delivery.event.id,
        signing.EVENT_TYPE_HEADER: delivery.event.type,
        signing.DELIVERY_ID_HEADER: delivery.delivery_id,
    }
    return body, headers


def attempt(
    delivery: Delivery, subscription: Subscription, secret: str, send: Sender, timeout: float
) -> str | None:
    """One signed POST; None when the receiver answered 2xx, else what went wrong."""
    body, headers = signed_request(delivery, secret, int(time.time()))
    try:
        status = send(subscription.url, body, headers, timeout)
    except OSError as exc:
        return f"no answer: {type(exc).__name__}"
    return None if 200 <= status < 300 else f"HTTP {status}"


class DeadLetters:
    """Deliveries given up on, per shop, on the single table."""

    def __init__(self, table_name: str, ddb: Any):
        self.table = table_name
        self.ddb = ddb

    def park(self, delivery: Delivery, error: str, now: datetime) -> bool:
        """Park the delivery and emit `webhook.dead_lettered` in one transaction; False if it was
        parked already (the same message handled twice)."""
        parked = delivery.model_copy(update={"last_error": error})
        generation = iso(delivery.first_attempt_at)
        envelope = {
            "id": f"{DEAD_LETTERED}:{delivery.delivery_id}:{generation}",
            "type": DEAD_LETTERED,
            "version": 1,
            "occurred_at": iso(now),
            "shop": delivery.shop,
            "data": {
                "shop": delivery.shop,
                "subscription_id": delivery.subscription_id,
                "event_id": delivery.event.id,
                "event_type": delivery.event.type,
            },
        }
        item = {
            **keys.webhook_dead_letter(delivery.shop, delivery.delivery_id),
            "doc": parked.model_dump_json(),
            "parked_at": iso(now),
        }
        outbox = {
            **keys.outbox_of(f"webhook:{delivery.subscription_id}", f"{generation}#{delivery.delivery_id}"),
            "type": DEAD_LETTERED,
            "doc": json.dumps(envelope),
        }
        try:
            self.ddb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": to_item(item),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": to_item(outbox),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                return False
            raise
        return True

    def list(
        self, shop_id: str, limit: int = 50, cursor: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": to_item({":pk": keys.webhook_dead_letters_pk(shop_id)}),
            "Limit": limit,
        }
        start = decode_cursor(cursor)
        if start:
            params["ExclusiveStartKey"] = start
        got = self.ddb.query(**params)
        items = readable(got.get("Items", []), _dead_letter_of, "webhook_dead_letter")
        return items, encode_cursor(got.get("LastEvaluatedKey"))

    def restore(self, delivery: Delivery) -> None:
        """Put a taken dead letter back (its redrive could not be queued)."""
        item = {
            **keys.webhook_dead_letter(delivery.shop, delivery.delivery_id),
            "doc": delivery.model_dump_json(),
            "parked_at": iso(delivery.first_attempt_at),
        }
        self.ddb.put_item(TableName=self.table, Item=to_item(item))

    def take(self, shop_id: str, delivery_id: str) -> Delivery:
        """Remove a dead letter to redrive it; NotFound if there is none (or it was redriven)."""
        got = self.ddb.delete_item(
            TableName=self.table,
            Key=to_item(keys.webhook_dead_letter(shop_id, delivery_id)),
            ReturnValues="ALL_OLD",
        )
        if "Attributes" not in got:
            raise NotFound("No such dead-lettered delivery.", code="dead_letter_not_found")
        return Delivery.model_validate_json(from_item(got["Attributes"])["doc"])


def _dead_letter_of(raw: dict[str, Any]) -> dict[str, Any]:
    values = from_item(raw)
    return {"delivery": Delivery.model_validate_json(values["doc"]), "parked_at": str(values["parked_at"])}


def redriven(delivery: Delivery, now: datetime) -> Delivery:
    """The delivery again, with a new day of retries."""
    return delivery.model_copy(update={"first_attempt_at": now, "last_error": None})


def message_body(delivery: Delivery) -> str:
    return json.dumps({"delivery": json.loads(delivery.model_dump_json())})
