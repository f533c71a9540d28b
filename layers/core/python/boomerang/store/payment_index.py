"""Which returns refund a payment (a Stripe charge or payment intent): written with the return's
move to refund_pending, read when the provider reports a dispute on the payment."""

from __future__ import annotations

from typing import Any

from boomerang.store import keys
from boomerang.store.dynamo import from_item, to_item
from boomerang.store.records import Repository


def payment_index_put(repo: Repository, reference: str, rma: str, shop: str, order_id: str) -> dict[str, Any]:
    """A TransactItem for the return's write (repeating it is harmless: same key, same values)."""
    item = {**keys.payment(reference, rma), "rma": rma, "shop": shop, "order_id": order_id}
    return {"Put": {"TableName": repo.table, "Item": to_item(item)}}


def returns_for_payment(repo: Repository, reference: str) -> list[str]:
    got = repo.ddb.query(
        TableName=repo.table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues=to_item({":pk": keys.payment_pk(reference)}),
        ConsistentRead=True,
    )
    return [str(from_item(i)["rma"]) for i in got.get("Items", [])]


# A Shopify shop's replacement order (an exchange's, made in Shopify): its fulfilment webhook finds
# the return through the same index, under a reference of its own kind.
def replacement_reference(shop: str, order_id: str) -> str:
    return f"shopify-replacement:{shop}:{order_id}"
