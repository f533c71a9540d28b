"""The tracking-number index: which return a carrier's tracking number belongs to."""

from __future__ import annotations

from typing import Any

from boomerang.store import keys
from boomerang.store.dynamo import from_item, to_item
from boomerang.store.records import Repository


def tracking_put(repo: Repository, tracking_number: str, rma: str, shop: str, carrier: str) -> dict[str, Any]:
    """A TransactItem recording the label's tracking number, written with the label itself. The
    same number for another return is refused (the transaction fails): one parcel, one return."""
    return {
        "Put": {
            "TableName": repo.table,
            "Item": to_item({**keys.tracking(tracking_number), "rma": rma, "shop": shop, "carrier": carrier}),
            "ConditionExpression": "attribute_not_exists(pk) OR rma = :rma",
            "ExpressionAttributeValues": to_item({":rma": rma}),
        }
    }


def rma_for_tracking(repo: Repository, tracking_number: str) -> str | None:
    got = repo.ddb.get_item(TableName=repo.table, Key=to_item(keys.tracking(tracking_number)))
    item = got.get("Item")
    return str(from_item(item)["rma"]) if item else None
