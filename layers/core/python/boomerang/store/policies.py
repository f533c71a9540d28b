"""A shop's policy versions on the single table (store/keys.py has the layout).

Every version is its own item, written once: the stored document (amounts in minor units), who
made it, when, and the merge patch that made it. A tiny pointer item names the current version.
A new version is one transaction: the version item (only if that number is free) and the pointer
(only if it still names the version the change was made from), so of two saves made from the same
version exactly one wins.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from boomerang.domain.errors import Conflict
from boomerang.domain.policy import Policy, load_policy
from boomerang.store import keys
from boomerang.store.dynamo import InvalidCursor, decode_cursor, encode_cursor, from_item, to_item


class VersionTaken(Conflict):
    """The pointer moved on (or the number is taken) since the change was made: read again."""

    code = "stale_version"


@dataclass(frozen=True)
class StoredVersion:
    shop: str
    version: int
    created_at: str | None  # ISO 8601; None for versions written before this was recorded
    created_by: str | None  # "staff:<username>", "cli:<identity>", ...
    based_on: int | None  # the version it was made from (None: the first, or a whole document)
    patch: Any  # the merge patch that made it (None: a whole document)
    document: str  # the stored JSON (minor units)

    def policy(self) -> Policy:
        return load_policy(self.document)


@dataclass(frozen=True)
class VersionPage:
    items: list[StoredVersion]
    next_cursor: str | None


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class PolicyStore:
    def __init__(self, table: str, ddb: Any):
        self.table = table
        self.ddb = ddb

    # --- the pointer ---------------------------------------------------------------------------

    @staticmethod
    def pointer_key(shop: str) -> dict[str, str]:
        return keys.current_policy(shop)

    @staticmethod
    def version_in(item: dict[str, Any] | None) -> int | None:
        """The version a pointer item (deserialized) names; None: no stored policy, the default."""
        return int(item["version"]) if item and "version" in item else None

    def current_version(self, shop: str) -> int | None:
        """A strongly consistent read of the pointer: a version saved before this call is seen."""
        got = self.ddb.get_item(
            TableName=self.table,
            Key=to_item(self.pointer_key(shop)),
            ConsistentRead=True,
            ProjectionExpression="version",
        )
        return self.version_in(from_item(got["Item"]) if "Item" in got else None)

    # --- versions ------------------------------------------------------------------------------

    def get(self, shop: str, version: int) -> StoredVersion | None:
        got = self.ddb.get_item(TableName=self.table, Key=to_item(keys.policy_version(shop, version)))
        return self._stored(shop, from_item(got["Item"])) if "Item" in got else None

    def save(
        self,
        shop: str,
        policy: Policy,
        *,
        based_on: int | None,
        actor: str | None,
        at: datetime | None,
        patch: Any = None,
    ) -> None:
        """Store `policy` (numbered already) as the shop's current version, if the pointer still
        names `based_on` (None: the shop has no stored version yet). VersionTaken otherwise."""
        version_item: dict[str, Any] = {
            **keys.policy_version(shop, policy.version),
            "version": policy.version,
            "doc": policy.model_dump_json(),
            "created_at": iso(at) if at else None,
            "created_by": actor,
            "based_on": based_on,
            "patch": json.dumps(patch) if patch is not None else None,
        }
        pointer = {
            **self.pointer_key(shop),
            "version": policy.version,
            "updated_at": iso(at) if at else None,
            "updated_by": actor,
        }
        pointer_put: dict[str, Any] = {"TableName": self.table, "Item": to_item(pointer)}
        if based_on is None:
            pointer_put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            pointer_put["ConditionExpression"] = "version = :based_on"
            pointer_put["ExpressionAttributeValues"] = to_item({":based_on": based_on})
        try:
            self.ddb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": to_item(version_item),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {"Put": pointer_put},
                ]
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                raise VersionTaken(
                    f"Policy version {policy.version} of {shop} was saved by someone else; read it again."
                ) from exc
            raise

    def versions(self, shop: str, limit: int = 20, cursor: str | None = None) -> VersionPage:
        """The shop's versions, newest first."""
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :lo AND :hi",
            "ExpressionAttributeValues": to_item(
                {
                    ":pk": keys.shop(shop)[keys.PK],
                    ":lo": keys.POLICY_VERSIONS_FROM,
                    ":hi": keys.POLICY_VERSIONS_TO,
                }
            ),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        start = decode_cursor(cursor)
        if start:
            _check_cursor(start, shop)
            params["ExclusiveStartKey"] = start
        got = self.ddb.query(**params)
        return VersionPage(
            items=[self._stored(shop, from_item(i)) for i in got.get("Items", [])],
            next_cursor=encode_cursor(got.get("LastEvaluatedKey")),
        )

    @staticmethod
    def _stored(shop: str, values: dict[str, Any]) -> StoredVersion:
        document = str(values["doc"])
        # Versions written before the version was an attribute of their own carry it in the sort key.
        version = int(values.get("version") or str(values[keys.SK]).removeprefix("POLICY#"))
        based_on = values.get("based_on")
        return StoredVersion(
            shop=shop,
            version=version,
            created_at=values.get("created_at"),
            created_by=values.get("created_by"),
            based_on=int(based_on) if based_on is not None else None,
            patch=json.loads(values["patch"]) if values.get("patch") else None,
            document=document,
        )


def _check_cursor(start: dict[str, Any], shop: str) -> None:
    """A cursor is the last key of a page of this very list: the shop's partition, a version's key."""
    pk, sk = start.get(keys.PK), start.get(keys.SK)
    wellformed = (
        set(start) == {keys.PK, keys.SK}
        and pk == {"S": keys.shop(shop)[keys.PK]}
        and isinstance(sk, dict)
        and isinstance(sk.get("S"), str)
        and keys.POLICY_VERSIONS_FROM <= sk["S"] <= keys.POLICY_VERSIONS_TO
    )
    if not wellformed:
        raise InvalidCursor("The cursor is not one this API gave out for this list.")
