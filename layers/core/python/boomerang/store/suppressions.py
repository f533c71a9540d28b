"""Customers whose address takes no more email (an SES permanent bounce or a complaint), by their
one-way customer reference: the address itself is never stored here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from boomerang.store import keys
from boomerang.store.dynamo import to_item
from boomerang.store.records import iso


class SuppressionStore:
    def __init__(self, table_name: str, ddb: Any):
        self.table = table_name
        self.ddb = ddb

    def suppress(self, shop: str, customer_ref: str, reason: str, rma: str, at: datetime) -> None:
        self.ddb.put_item(
            TableName=self.table,
            Item=to_item(
                {**keys.email_suppression(shop, customer_ref), "reason": reason, "rma": rma, "at": iso(at)}
            ),
        )

    def suppressed(self, shop: str, customer_ref: str) -> bool:
        got = self.ddb.get_item(TableName=self.table, Key=to_item(keys.email_suppression(shop, customer_ref)))
        return "Item" in got

    def lift(self, shop: str, customer_ref: str) -> None:
        self.ddb.delete_item(TableName=self.table, Key=to_item(keys.email_suppression(shop, customer_ref)))
