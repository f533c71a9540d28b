"""Repository for orders, returns, shops, API keys, customers and policies on the single table."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from boomerang.domain.errors import NotFound, StaleVersion
from boomerang.domain.models import Order, Return, TimelineEntry
from boomerang.domain.policy import Policy
from boomerang.domain.status import ReturnStatus, transition
from boomerang.services.customers import customer_ref
from boomerang.store import keys
from boomerang.store.dynamo import (
    InvalidCursor,
    cancellation_reasons,
    client,
    decode_cursor,
    encode_cursor,
    from_item,
    to_item,
)
from boomerang.store.lenient import readable
from boomerang.store.policies import PolicyStore, VersionTaken
from boomerang.store.sessions import revoked_ms


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Event:
    """An outbox event: `type` as `<noun>.<past participle>`, `data` with ids only."""

    type: str
    data: dict[str, Any]
    version: int = 1


@dataclass(frozen=True)
class ReturnChange:
    """A new state of a return, with what the timeline and the outbox say about it."""

    ret: Return
    expected_version: int | None  # None: the return is new
    timeline: list[TimelineEntry]
    events: list[Event]
    extra: list[dict[str, Any]] = field(default_factory=list)  # more TransactItems, e.g. the order


class RmaTaken(Exception):
    """The drawn RMA number already exists; draw another."""


@dataclass(frozen=True)
class CustomerSummary:
    customer_ref: str
    recent: list[dict[str, str]]  # [{"rma", "at"}], the last 30 days' returns
    version: int
    # The customer's history for "trusted customer": orders imported, and those that had a return.
    orders: int = 0
    returned_orders: frozenset[str] = frozenset()
    revoked_ms: int | None = None  # the customer's sessions revoked up to then (boomerang.store.sessions)


class Repository:
    def __init__(self, table_name: str, ddb: Any | None = None):
        self.table = table_name
        self.ddb = ddb or client()

    # --- shops, keys, policies ---------------------------------------------------------------

    def put_shop(self, shop_id: str, name: str) -> None:
        """Create or rename a shop (store/shops.py creates only new ones and lists them)."""
        self.ddb.put_item(TableName=self.table, Item=to_item(shop_item(shop_id, name)))

    def put_api_key(self, key_hash: str, shop_id: str, label: str) -> None:
        self.ddb.put_item(
            TableName=self.table,
            Item=to_item({**keys.api_key(key_hash), "shop": shop_id, "label": label}),
        )

    def shop_for_api_key(self, key_hash: str) -> str | None:
        got = self.ddb.get_item(TableName=self.table, Key=to_item(keys.api_key(key_hash)))
        item = got.get("Item")
        return str(from_item(item)["shop"]) if item else None

    def put_policy(self, shop_id: str, policy: Policy) -> None:
        """Store a whole policy document as a new version (seeds and tests); versions only go up.
        Staff and the CLI change policies through services/policy_admin.py."""
        store = PolicyStore(self.table, self.ddb)
        current = store.current_version(shop_id)
        if current is not None and policy.version <= current:
            raise StaleVersion(f"Policy version {policy.version}")
        try:
            store.save(shop_id, policy, based_on=current, actor=None, at=None)
        except VersionTaken as exc:
            raise StaleVersion(f"Policy version {policy.version}") from exc

    def current_policy(self, shop_id: str) -> Policy | None:
        store = PolicyStore(self.table, self.ddb)
        version = store.current_version(shop_id)
        stored = store.get(shop_id, version) if version is not None else None
        return stored.policy() if stored else None

    def get_many(self, wanted: list[dict[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """Items by key, strongly consistent, in BatchGetItem calls of up to 100 keys: found items
        (deserialized) by (pk, sk); a missing one is absent."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        unique = list({(k[keys.PK], k[keys.SK]): k for k in wanted}.values())
        for start in range(0, len(unique), 100):
            chunk = unique[start : start + 100]
            request = {self.table: {"Keys": [to_item(k) for k in chunk], "ConsistentRead": True}}
            while request:
                got = self.ddb.batch_get_item(RequestItems=request)
                for raw in got.get("Responses", {}).get(self.table, []):
                    values = from_item(raw)
                    found[(str(values[keys.PK]), str(values[keys.SK]))] = values
                request = got.get("UnprocessedKeys") or {}
        return found

    # --- orders --------------------------------------------------------------------------------

    def upsert_order(self, order: Order) -> Order:
        """Create or update an order from the storefront; returned quantities are kept."""
        doc = order.model_dump_json(exclude={"returned", "version"})
        got = self.ddb.update_item(
            TableName=self.table,
            Key=to_item(keys.order(order.shop, order.order_id)),
            UpdateExpression=(
                "SET doc = :doc, gsi1pk = :g1, gsi1sk = :sk, gsi2pk = :g2, gsi2sk = :sk, gsi3pk = :g3, "
                "gsi3sk = :g3sk, returned = if_not_exists(returned, :empty), "
                "version = if_not_exists(version, :zero) + :one"
            ),
            ExpressionAttributeValues=to_item(
                {
                    ":doc": doc,
                    ":g1": keys.order_number_pk(order.shop, order.order_number),
                    ":g2": _alias_pk(order),
                    ":sk": keys.ORDER_SK,
                    # The customer's orders, for their data rights (services/privacy.py).
                    ":g3": keys.customer_orders_pk(
                        order.shop, customer_ref(order.shop, order.customer_email)
                    ),
                    ":g3sk": order.order_id,
                    ":empty": {},
                    ":zero": 0,
                    ":one": 1,
                }
            ),
            ReturnValues="ALL_NEW",
        )
        order = self._order(from_item(got["Attributes"]))
        self.ddb.update_item(**self.customer_order_update(order))
        return order

    def customer_order_update(self, order: Order) -> dict[str, Any]:
        """Count the order among its customer's (a set of ids: importing it again counts nothing)."""
        return {
            "TableName": self.table,
            "Key": to_item(keys.customer(order.shop, customer_ref(order.shop, order.customer_email))),
            "UpdateExpression": "ADD orders :order",
            "ExpressionAttributeValues": to_item({":order": {order.order_id}}),
        }

    def order_upsert_item(self, order: Order) -> dict[str, Any]:
        """upsert_order as a TransactItem, for writes that go with other records (Shopify's)."""
        return {
            "Update": {
                "TableName": self.table,
                "Key": to_item(keys.order(order.shop, order.order_id)),
                "UpdateExpression": (
                    "SET doc = :doc, gsi1pk = :g1, gsi1sk = :sk, gsi2pk = :g2, gsi2sk = :sk, "
                    "returned = if_not_exists(returned, :empty), "
                    "version = if_not_exists(version, :zero) + :one"
                ),
                "ExpressionAttributeValues": to_item(
                    {
                        ":doc": order.model_dump_json(exclude={"returned", "version"}),
                        ":g1": keys.order_number_pk(order.shop, order.order_number),
                        ":g2": _alias_pk(order),
                        ":sk": keys.ORDER_SK,
                        ":empty": {},
                        ":zero": 0,
                        ":one": 1,
                    }
                ),
            }
        }

    @staticmethod
    def _order(values: dict[str, Any]) -> Order:
        data = json.loads(values["doc"])
        data["returned"] = {k: int(v) for k, v in (values.get("returned") or {}).items()}
        data["version"] = int(values["version"])
        # A tracked parcel's delivery (store/parcels.py) is the carrier's own time: it wins over
        # what the storefront's snapshot says.
        for line in data.get("lines") or []:
            tracked = values.get(f"{keys.DELIVERED_PREFIX}{line.get('line_id')}")
            if tracked:
                line["delivered_at"] = tracked
        return Order.model_validate(data)

    def get_order(self, shop_id: str, order_id: str) -> Order:
        got = self.ddb.get_item(
            TableName=self.table, Key=to_item(keys.order(shop_id, order_id)), ConsistentRead=True
        )
        if "Item" not in got:
            raise NotFound("No such order.", code="order_not_found")
        return self._order(from_item(got["Item"]))

    def find_order_by_number(self, shop_id: str, order_number: str) -> Order | None:
        """The order a customer means by the number they typed (`1001`, `#1001`, ` 1001 `): by its
        number, else by its alias (Shopify's order_number). Both lookups run every time, found or
        not, so the number of calls (and their time) says nothing about whether a number exists."""
        if not order_number.strip():
            return None
        typed = keys.order_number_pk(shop_id, order_number)
        found: list[Order] = []
        for index in (keys.GSI1, keys.GSI2):
            n = index[-1]
            got = self.ddb.query(
                TableName=self.table,
                IndexName=index,
                KeyConditionExpression=f"gsi{n}pk = :pk AND gsi{n}sk = :sk",
                ExpressionAttributeValues=to_item({":pk": typed, ":sk": keys.ORDER_SK}),
                Limit=1,
            )
            found.extend(self._order(from_item(item)) for item in got.get("Items") or [])
        return found[0] if found else None

    def order_and_customer(
        self, shop_id: str, order_id: str, customer_ref: str
    ) -> tuple[Order, CustomerSummary]:
        """The order and the customer's recent returns (with their sessions' revocation stamp), in
        one BatchGetItem."""
        found = self.get_many([keys.order(shop_id, order_id), *self.customer_keys(shop_id, customer_ref)])
        return self.order_in(found, shop_id, order_id), self.customer_in(found, shop_id, customer_ref)

    def order_in(self, found: dict[tuple[str, str], dict[str, Any]], shop_id: str, order_id: str) -> Order:
        """The order among items read with get_many, or NotFound."""
        key = keys.order(shop_id, order_id)
        values = found.get((key[keys.PK], key[keys.SK]))
        if values is None:
            raise NotFound("No such order.", code="order_not_found")
        return self._order(values)

    @staticmethod
    def customer_keys(shop_id: str, customer_ref: str) -> list[dict[str, str]]:
        """What `customer_in` reads: the customer record and their sessions' revocation stamp."""
        return [keys.customer(shop_id, customer_ref), keys.customer_sessions(shop_id, customer_ref)]

    def customer_in(
        self, found: dict[tuple[str, str], dict[str, Any]], shop_id: str, customer_ref: str
    ) -> CustomerSummary:
        record, sessions = (
            found.get((k[keys.PK], k[keys.SK])) for k in self.customer_keys(shop_id, customer_ref)
        )
        return self._customer(customer_ref, record, sessions)

    def get_customer(self, shop_id: str, customer_ref: str) -> CustomerSummary:
        """The customer's record and sessions' stamp, in one BatchGetItem."""
        return self.customer_in(
            self.get_many(self.customer_keys(shop_id, customer_ref)), shop_id, customer_ref
        )

    @staticmethod
    def _customer(
        customer_ref: str, values: dict[str, Any] | None, sessions: dict[str, Any] | None = None
    ) -> CustomerSummary:
        values = values or {}
        return CustomerSummary(
            customer_ref=customer_ref,
            recent=list(values.get("recent", [])),
            version=int(values.get("version", 0)),
            orders=len(values.get("orders") or ()),
            returned_orders=frozenset(values.get("returned_orders") or ()),
            revoked_ms=revoked_ms(sessions),
        )

    def order_returned_update(self, order: Order, returned: dict[str, int]) -> dict[str, Any]:
        """A TransactItem setting the order's returned quantities, conditional on its version."""
        return {
            "Update": {
                "TableName": self.table,
                "Key": to_item(keys.order(order.shop, order.order_id)),
                "UpdateExpression": "SET returned = :r, version = :next",
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": to_item(
                    {":r": returned, ":v": order.version, ":next": order.version + 1}
                ),
            }
        }

    def customer_put(
        self,
        shop_id: str,
        summary: CustomerSummary,
        recent: list[dict[str, str]],
        returned_order: str | None = None,
    ) -> dict[str, Any]:
        """A TransactItem writing the customer's recent returns (conditional on the version read)
        and counting `returned_order` among the orders that had a return; the orders counted at
        import are kept."""
        condition = "attribute_not_exists(version)" if summary.version == 0 else "version = :v"
        values: dict[str, Any] = {":r": recent, ":next": summary.version + 1}
        expression = "SET recent = :r, version = :next"
        if summary.version:
            values[":v"] = summary.version
        if returned_order is not None:
            expression += " ADD returned_orders :o"
            values[":o"] = {returned_order}
        update: dict[str, Any] = {
            "TableName": self.table,
            "Key": to_item(keys.customer(shop_id, summary.customer_ref)),
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": to_item(values),
        }
        return {"Update": update}

    # --- returns -------------------------------------------------------------------------------

    def _return_item(self, ret: Return) -> dict[str, Any]:
        created = iso(ret.created_at)
        return {
            **keys.return_(ret.rma),
            "gsi1pk": keys.order_pk(ret.shop, ret.order_id),
            "gsi1sk": created,
            "gsi2pk": keys.customer_pk(ret.shop, ret.customer_ref),
            "gsi2sk": created,
            "gsi3pk": keys.status_pk(ret.shop, ret.status.value),
            "gsi3sk": f"{created}#{ret.rma}",
            "shop": ret.shop,
            "status": ret.status.value,
            "version": ret.version,
            "doc": ret.model_dump_json(),
        }

    def save(self, change: ReturnChange) -> None:
        """Write a return's change, its timeline entries and outbox events in one transaction.

        The write is conditional on the version read (or on the RMA being new); a lost race
        raises StaleVersion and nothing is written.
        """
        ret = change.ret
        put: dict[str, Any] = {"TableName": self.table, "Item": to_item(self._return_item(ret))}
        if change.expected_version is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :v"
            put["ExpressionAttributeValues"] = to_item({":v": change.expected_version})
        items: list[dict[str, Any]] = [{"Put": put}]
        for n, entry in enumerate(change.timeline):
            key = keys.timeline(ret.rma, entry.version)
            key[keys.SK] += f"#{n}"
            items.append(
                {"Put": {"TableName": self.table, "Item": to_item({**key, "doc": entry.model_dump_json()})}}
            )
        for n, event in enumerate(change.events):
            envelope = {
                "id": f"{ret.rma}:{ret.version}:{n}",
                "type": event.type,
                "version": event.version,
                "occurred_at": iso(ret.updated_at),
                "shop": ret.shop,
                "data": event.data,
            }
            items.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_item(
                            {
                                **keys.outbox(ret.rma, ret.version, n),
                                "type": event.type,
                                "doc": json.dumps(envelope),
                            }
                        ),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        items += change.extra
        try:
            self.ddb.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = cancellation_reasons(exc)
            if change.expected_version is None and reasons[:1] == ["ConditionalCheckFailed"]:
                raise RmaTaken(ret.rma) from exc
            if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
                failed = next(
                    i for i, r in enumerate(reasons) if r in ("ConditionalCheckFailed", "TransactionConflict")
                )
                stale = StaleVersion(
                    "The order" if failed >= len(items) - len(change.extra) else f"Return {ret.rma}"
                )
                # Which write lost and why: a return's request tells a stock hold that found too
                # few units (ConditionalCheckFailed) from one that raced another (TransactionConflict).
                stale.failed_item = items[failed]
                stale.reason = reasons[failed]
                raise stale from exc
            raise

    def get_return(self, rma: str) -> tuple[Return, list[TimelineEntry]]:
        """The return and its timeline in one Query."""
        ret, timeline, _ = self.read_return(rma)
        return ret, timeline

    def read_return(self, rma: str) -> tuple[Return, list[TimelineEntry], int | None]:
        """The return, its timeline and its customer's session revocation stamp, in one Query."""
        stamp: int | None = None
        got = self.ddb.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_item({":pk": keys.return_pk(rma)}),
            ConsistentRead=True,
        )
        ret: Return | None = None
        timeline: list[TimelineEntry] = []
        for raw in got.get("Items", []):
            values = from_item(raw)
            if values[keys.SK] == keys.RETURN_SK:
                ret = Return.model_validate_json(values["doc"])
            elif str(values[keys.SK]).startswith(keys.TIMELINE_PREFIX):
                timeline.append(TimelineEntry.model_validate_json(values["doc"]))
            elif values[keys.SK] == keys.SESSIONS_SK:
                stamp = revoked_ms(values)
        if ret is None:
            raise NotFound("No such return.", code="return_not_found")
        return ret, timeline, stamp

    def _query_returns(self, index: str, pk: str, since: str | None, limit: int, cursor: str | None) -> Page:
        n = index[-1]
        condition = f"gsi{n}pk = :pk" + (f" AND gsi{n}sk >= :since" if since else "")
        values: dict[str, Any] = {":pk": pk}
        if since:
            values[":since"] = since
        params: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": to_item(values),
            "Limit": limit,
        }
        start = decode_cursor(cursor)
        if start:
            _check_start_key(start, {keys.PK, keys.SK, f"gsi{n}pk", f"gsi{n}sk"}, {f"gsi{n}pk": pk})
            params["ExclusiveStartKey"] = start
        got = self.ddb.query(**params)
        items = readable(got.get("Items", []), _return_of, "return")
        return Page(items=items, next_cursor=encode_cursor(got.get("LastEvaluatedKey")))

    def returns_of_order(
        self, shop_id: str, order_id: str, limit: int = 50, cursor: str | None = None
    ) -> Page:
        return self._query_returns(keys.GSI1, keys.order_pk(shop_id, order_id), None, limit, cursor)

    def returns_of_customer_since(
        self, shop_id: str, customer_ref: str, since: datetime, limit: int = 50, cursor: str | None = None
    ) -> Page:
        return self._query_returns(
            keys.GSI2, keys.customer_pk(shop_id, customer_ref), iso(since), limit, cursor
        )

    def returns_by_status(
        self, shop_id: str, status: ReturnStatus, limit: int = 50, cursor: str | None = None
    ) -> Page:
        """A queue (e.g. pending_review), oldest first."""
        return self._query_returns(keys.GSI3, keys.status_pk(shop_id, status.value), None, limit, cursor)

    def returns_since(self, shop_id: str, since: datetime, most: int = 5000) -> tuple[list[Return], bool]:
        """The shop's returns created since `since` (any status), and whether there were more than
        `most`. One Query per status on gsi3 (the status queues, sorted by creation), never a
        Scan; a record that no longer reads as a return is left out, not fatal."""
        found: list[Return] = []
        for status in ReturnStatus:
            params: dict[str, Any] = {
                "TableName": self.table,
                "IndexName": keys.GSI3,
                "KeyConditionExpression": "gsi3pk = :pk AND gsi3sk >= :since",
                "ExpressionAttributeValues": to_item(
                    {":pk": keys.status_pk(shop_id, status.value), ":since": iso(since)}
                ),
            }
            while True:
                got = self.ddb.query(**params)
                for raw in got.get("Items", []):
                    try:
                        found.append(Return.model_validate_json(from_item(raw)["doc"]))
                    except (ValueError, KeyError):
                        continue
                if len(found) > most:
                    return found[:most], True
                if not got.get("LastEvaluatedKey"):
                    break
                params["ExclusiveStartKey"] = got["LastEvaluatedKey"]
        return found, False

    def outbox_events(self, rma: str) -> list[dict[str, Any]]:
        got = self.ddb.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_item({":pk": f"OUTBOX#{rma}"}),
            ConsistentRead=True,
        )
        return [json.loads(from_item(i)["doc"]) for i in got.get("Items", [])]


def _return_of(raw: dict[str, Any]) -> Return:
    return Return.model_validate_json(from_item(raw)["doc"])


def shop_item(shop_id: str, name: str) -> dict[str, Any]:
    # gsi1: every shop under one key, for the list of shops (store/shops.py).
    return {**keys.shop(shop_id), "shop": shop_id, "name": name, "gsi1pk": keys.SHOPS_PK, "gsi1sk": shop_id}


def _alias_pk(order: Order) -> str:
    """The order's second lookup key: its alias where it has one, else its number again (an index
    key cannot be removed in the same SET, and a duplicate of gsi1's finds the same order)."""
    return keys.order_number_pk(order.shop, order.order_number_alias or order.order_number)


def _check_start_key(start: dict[str, Any], names: set[str], fixed: dict[str, str]) -> None:
    """A cursor is the last key of a page of this very list: the table's and the index's keys, all
    strings, in the list's partition. Anything else (forged, or from another list) is refused here
    rather than by DynamoDB as a server error."""
    wellformed = set(start) == names and all(
        isinstance(v, dict) and list(v) == ["S"] and isinstance(v["S"], str) for v in start.values()
    )
    if not wellformed or any(start[name] != {"S": value} for name, value in fixed.items()):
        raise InvalidCursor("The cursor is not one this API gave out for this list.")


@dataclass(frozen=True)
class Page:
    items: list[Return]
    next_cursor: str | None


def moved(ret: Return, target: ReturnStatus, at: datetime) -> Return:
    """The return in its next status, checked against the status table, with its version bumped."""
    return ret.model_copy(
        update={"status": transition(ret.status, target), "version": ret.version + 1, "updated_at": at}
    )
