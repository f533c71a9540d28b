"""Reference exchange rates on the single table: each day's table as published, and the newest one
(the item a decision reads). Written by the scheduled fetch (functions/fx_rates) and, locally, from
the recorded ECB file."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from boomerang.domain.fx import RateTable
from boomerang.store import keys
from boomerang.store.dynamo import from_item, to_item


class RatesStore:
    def __init__(self, table: str, ddb: Any, source: str = "ECB"):
        self.table = table
        self.ddb = ddb
        self.source = source

    def put(self, rates: RateTable, fetched_at: datetime) -> bool:
        """Keep the day's table, and make it the latest unless a newer day is there already (a
        late or repeated run never moves the latest back). True where it became the latest."""
        doc = rates.model_dump_json()
        day = rates.date.isoformat()
        at = fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.ddb.put_item(
            TableName=self.table,
            Item=to_item({**keys.fx_day(self.source, day), "day": day, "doc": doc, "fetched_at": at}),
        )
        try:
            self.ddb.put_item(
                TableName=self.table,
                Item=to_item({**keys.fx_latest(self.source), "day": day, "doc": doc, "fetched_at": at}),
                ConditionExpression="attribute_not_exists(pk) OR #day <= :day",
                ExpressionAttributeNames={"#day": "day"},
                ExpressionAttributeValues=to_item({":day": day}),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def latest(self) -> RateTable | None:
        got = self.ddb.get_item(TableName=self.table, Key=to_item(keys.fx_latest(self.source)))
        item = got.get("Item")
        return RateTable.model_validate_json(from_item(item)["doc"]) if item else None

    def day(self, day: str) -> RateTable | None:
        got = self.ddb.get_item(TableName=self.table, Key=to_item(keys.fx_day(self.source, day)))
        item = got.get("Item")
        return RateTable.model_validate_json(from_item(item)["doc"]) if item else None
