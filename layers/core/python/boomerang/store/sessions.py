"""Session records on the single table: failed attempts at opening one, and revocation stamps.

Both live in the main table (keys in boomerang.store.keys) rather than the idempotency table: that
table is Powertools' store of answers (its own schema, scoped per caller, emptied by an erasure),
while these are the functions' own records, written in the same transactions as returns (a new
return takes its customer's stamp) and expiring through the main table's TTL like its other
short-lived records. Every write below is an item write the request path may already do (no Scan,
no DeleteItem, no BatchWriteItem: see infra/cdk/constructs/data_table.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from boomerang.domain.sessions import STAMP_LIFETIME, Attempts, Counter, from_ms, session_revoked, to_ms
from boomerang.store import keys
from boomerang.store.dynamo import from_item, to_item

_TRANSACTION_ITEMS = 100  # DynamoDB's limit per TransactWriteItems


def revoked_ms(values: dict[str, Any] | None) -> int | None:
    """The stamp a SESSIONS record holds (a customer's, or a return's copy of it)."""
    if not values or "revoked_ms" not in values:
        return None
    return int(values["revoked_ms"])


def stamp_unchanged(table: str, shop: str, customer_ref: str, stamp: int | None) -> dict[str, Any]:
    """A TransactItem: the customer's stamp is still the one read. A return created while its
    customer's sessions are being revoked either carries the new stamp or is refused (409)."""
    check: dict[str, Any] = {"TableName": table, "Key": to_item(keys.customer_sessions(shop, customer_ref))}
    if stamp is None:
        check["ConditionExpression"] = "attribute_not_exists(revoked_ms)"
    else:
        check["ConditionExpression"] = "revoked_ms = :r"
        check["ExpressionAttributeValues"] = to_item({":r": stamp})
    return {"ConditionCheck": check}


def return_stamp_put(table: str, rma: str, stamp: int) -> dict[str, Any]:
    """A TransactItem: the customer's stamp copied into a return's partition."""
    expires = math.ceil(stamp / 1000 + STAMP_LIFETIME.total_seconds())
    item = {**keys.return_sessions(rma), "revoked_ms": stamp, keys.TTL_ATTRIBUTE: expires}
    return {"Put": {"TableName": table, "Item": to_item(item)}}


@dataclass(frozen=True)
class Stored:
    """A counter as read: what it remembers, and its revision (None: no record)."""

    attempts: Attempts
    rev: int | None


class SessionStore:
    def __init__(self, table_name: str, ddb: Any):
        self.table = table_name
        self.ddb = ddb

    # --- failed attempts -----------------------------------------------------------------------

    def read(self, counters: list[Counter]) -> list[Stored]:
        """Each counter as it is stored now, in one BatchGetItem (consistent)."""
        wanted = [keys.attempts(c.scope) for c in counters]
        request = {self.table: {"Keys": [to_item(k) for k in wanted], "ConsistentRead": True}}
        found: dict[str, dict[str, Any]] = {}
        while request:
            got = self.ddb.batch_get_item(RequestItems=request)
            for raw in got.get("Responses", {}).get(self.table, []):
                values = from_item(raw)
                found[str(values[keys.PK])] = values
            request = got.get("UnprocessedKeys") or {}
        return [self._stored(found.get(k[keys.PK])) for k in wanted]

    @staticmethod
    def _stored(values: dict[str, Any] | None) -> Stored:
        if values is None:
            return Stored(Attempts(), None)
        locked = values.get("locked_ms")
        attempts = Attempts(
            failures=int(values.get("failures", 0)),
            locked_until=from_ms(int(locked)) if locked is not None else None,
            forgotten_at=from_ms(int(values["forgotten_ms"])) if "forgotten_ms" in values else None,
        )
        return Stored(attempts, int(values.get("rev", 0)))

    def claim(self, changes: list[tuple[Counter, Stored, Attempts]], now: datetime) -> bool:
        """Count one attempt on each counter, if none changed since it was read (one transaction).

        Claims are serialized by the revision, so two parallel attempts never both see the same
        count; the count itself is an ADD, so a success's refund (not serialized) composes with them.
        False: another attempt came first; read again.
        """
        items = []
        for counter, stored, after in changes:
            assert after.locked_until is not None and after.forgotten_at is not None
            values: dict[str, Any] = {
                ":one": 1,
                ":locked": to_ms(after.locked_until),
                ":forgotten": to_ms(after.forgotten_at),
                ":expires": math.ceil(after.forgotten_at.timestamp()),
            }
            times = f"locked_ms = :locked, forgotten_ms = :forgotten, {keys.TTL_ATTRIBUTE} = :expires"
            if stored.attempts.current(now).forgotten_at is None:  # nothing remembered: start again
                expression = f"SET failures = :one, {times} ADD rev :one"
            else:
                expression = f"SET {times} ADD failures :one, rev :one"
            update: dict[str, Any] = {
                "TableName": self.table,
                "Key": to_item(keys.attempts(counter.scope)),
                "UpdateExpression": expression,
            }
            if stored.rev is None:
                update["ConditionExpression"] = "attribute_not_exists(pk)"
            else:
                update["ConditionExpression"] = "rev = :rev"
                values[":rev"] = stored.rev
            update["ExpressionAttributeValues"] = to_item(values)
            items.append({"Update": update})
        try:
            self.ddb.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                return False
            raise
        return True

    def release(self, changes: list[tuple[Counter, Stored, Attempts]], now: datetime) -> None:
        """An attempt proved right: take back its count, and the wait it put on the next attempt
        (unless another attempt has been counted since: then only the count)."""
        own = [self._refund(counter, stored, after, now, own=True) for counter, stored, after in changes]
        try:
            self.ddb.transact_write_items(TransactItems=own)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            counts = [
                self._refund(counter, stored, after, now, own=False) for counter, stored, after in changes
            ]
            self.ddb.transact_write_items(TransactItems=counts)

    def _refund(
        self, counter: Counter, stored: Stored, after: Attempts, now: datetime, *, own: bool
    ) -> dict[str, Any]:
        update: dict[str, Any] = {
            "TableName": self.table,
            "Key": to_item(keys.attempts(counter.scope)),
            "UpdateExpression": "ADD failures :minus",
            "ExpressionAttributeValues": {":minus": {"N": "-1"}},
        }
        if own:
            update["UpdateExpression"] = "SET locked_ms = :now ADD failures :minus"
            update["ConditionExpression"] = "rev = :rev"
            update["ExpressionAttributeValues"] = to_item(
                {":minus": -1, ":now": to_ms(now), ":rev": (stored.rev or 0) + 1}
            )
        return {"Update": update}

    # --- revocation ----------------------------------------------------------------------------

    def revoked_ms(self, shop: str, customer_ref: str) -> int | None:
        """The customer's stamp, if their sessions were revoked (a consistent GetItem)."""
        got = self.ddb.get_item(
            TableName=self.table,
            Key=to_item(keys.customer_sessions(shop, customer_ref)),
            ConsistentRead=True,
        )
        return revoked_ms(from_item(got["Item"]) if "Item" in got else None)

    def revoke(self, shop: str, customer_ref: str, at: datetime, issued_ms: int | None = None) -> list[str]:
        """Revoke every session of the customer issued up to `at`; returns the RMAs of their
        returns that carry the stamp. With `issued_ms` (a customer signing out everywhere with their
        token), a token already revoked is refused (401) and nothing is written."""
        stamp = to_ms(at)
        expires = math.ceil(stamp / 1000 + STAMP_LIFETIME.total_seconds())
        floor = stamp if issued_ms is None else issued_ms
        try:
            self.ddb.put_item(
                TableName=self.table,
                Item=to_item(
                    {
                        **keys.customer_sessions(shop, customer_ref),
                        "revoked_ms": stamp,
                        keys.TTL_ATTRIBUTE: expires,
                    }
                ),
                # A stamp never moves back; a revoked token cannot sign out again.
                ConditionExpression="attribute_not_exists(revoked_ms) OR revoked_ms < :floor",
                ExpressionAttributeValues=to_item({":floor": floor}),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            if issued_ms is not None:
                raise session_revoked() from exc
            return []  # a later revocation already stamped everything this one would
        # From here on a new return of theirs takes the stamp (or is refused: stamp_unchanged).
        # Those made before are in the customer record's recent list (read consistently) or, older
        # than 30 days, long since on the index.
        rmas = sorted(self._recent(shop, customer_ref) | self._indexed(shop, customer_ref))
        for start in range(0, len(rmas), _TRANSACTION_ITEMS):
            chunk = rmas[start : start + _TRANSACTION_ITEMS]
            self.ddb.transact_write_items(
                TransactItems=[return_stamp_put(self.table, rma, stamp) for rma in chunk]
            )
        return rmas

    def _recent(self, shop: str, customer_ref: str) -> set[str]:
        got = self.ddb.get_item(
            TableName=self.table,
            Key=to_item(keys.customer(shop, customer_ref)),
            ConsistentRead=True,
            ProjectionExpression="recent",
        )
        recent = from_item(got["Item"]).get("recent", []) if "Item" in got else []
        return {str(entry["rma"]) for entry in recent}

    def _indexed(self, shop: str, customer_ref: str) -> set[str]:
        params: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": keys.GSI2,
            "KeyConditionExpression": "gsi2pk = :pk",
            "ExpressionAttributeValues": to_item({":pk": keys.customer_pk(shop, customer_ref)}),
            "ProjectionExpression": "pk, sk",
        }
        found: set[str] = set()
        while True:
            got = self.ddb.query(**params)
            for raw in got.get("Items", []):
                values = from_item(raw)
                if values[keys.SK] == keys.RETURN_SK:
                    found.add(str(values[keys.PK]).removeprefix("RETURN#"))
            if not got.get("LastEvaluatedKey"):
                return found
            params["ExclusiveStartKey"] = got["LastEvaluatedKey"]
