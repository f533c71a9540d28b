"""Outbound parcels on the single table (keys in boomerang.store.keys): every change a conditional
write on the parcel's version, with its outbox events, its tracking numbers' index and, once
delivered, the order's delivered lines and the lane's transit sample, in one transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from boomerang.domain.errors import NotFound, StaleVersion
from boomerang.domain.shipments import Parcel, TransitTimes, transit_times
from boomerang.store import keys
from boomerang.store.dynamo import cancellation_reasons, client, from_item, to_item
from boomerang.store.lenient import readable
from boomerang.store.records import Event, iso

# How many of a lane's newest deliveries its percentiles are taken over.
TRANSIT_SAMPLES = 200


@dataclass(frozen=True)
class ParcelChange:
    parcel: Parcel
    expected_version: int | None  # None: the parcel is new
    events: list[Event] = field(default_factory=list)
    new_numbers: list[str] = field(default_factory=list)  # tracking numbers to index for it
    delivered_lines: dict[str, datetime] = field(default_factory=dict)  # line_id -> delivered at


class ParcelTaken(Exception):
    """The parcel (or one of its tracking numbers) already exists; `parcel_id` names the holder."""

    def __init__(self, parcel_id: str | None):
        super().__init__(parcel_id)
        self.parcel_id = parcel_id


class ParcelStore:
    def __init__(self, table_name: str, ddb: Any | None = None):
        self.table = table_name
        self.ddb = ddb or client()

    def _item(self, parcel: Parcel) -> dict[str, Any]:
        item: dict[str, Any] = {
            **keys.parcel(parcel.shop, parcel.parcel_id),
            "gsi1pk": keys.order_parcels_pk(parcel.shop, parcel.order_id),
            "gsi1sk": f"{iso(parcel.created_at)}#{parcel.parcel_id}",
            "shop": parcel.shop,
            "version": parcel.version,
            "doc": parcel.model_dump_json(),
        }
        if not parcel.final:
            item["gsi3pk"] = keys.open_parcels_pk(parcel.shop)
            item["gsi3sk"] = f"{iso(parcel.status_at or parcel.shipped_at)}#{parcel.parcel_id}"
        return item

    def save(self, change: ParcelChange) -> None:
        parcel = change.parcel
        put: dict[str, Any] = {"TableName": self.table, "Item": to_item(self._item(parcel))}
        if change.expected_version is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :v"
            put["ExpressionAttributeValues"] = to_item({":v": change.expected_version})
        items: list[dict[str, Any]] = [{"Put": put}]
        for number in change.new_numbers:
            items.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_item(
                            {**keys.shipment(number), "shop": parcel.shop, "parcel_id": parcel.parcel_id}
                        ),
                        # One number, one parcel (the same parcel may write it again).
                        "ConditionExpression": "attribute_not_exists(pk) OR parcel_id = :p",
                        "ExpressionAttributeValues": to_item({":p": parcel.parcel_id}),
                    }
                }
            )
        for n, event in enumerate(change.events):
            envelope = {
                "id": f"{parcel.parcel_id}:{parcel.version}:{n}",
                "type": event.type,
                "version": event.version,
                "occurred_at": iso(parcel.updated_at),
                "shop": parcel.shop,
                "data": event.data,
            }
            items.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_item(
                            {
                                **keys.parcel_outbox(parcel.parcel_id, parcel.version, n),
                                "type": event.type,
                                "doc": json.dumps(envelope),
                            }
                        ),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        if change.delivered_lines:
            names = {
                f"#d{i}": f"{keys.DELIVERED_PREFIX}{line}" for i, line in enumerate(change.delivered_lines)
            }
            values = {
                f":d{i}": iso(at.astimezone(UTC)) for i, at in enumerate(change.delivered_lines.values())
            }
            items.append(
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": to_item(keys.order(parcel.shop, parcel.order_id)),
                        "UpdateExpression": "SET " + ", ".join(f"#d{i} = :d{i}" for i in range(len(names))),
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": to_item(values),
                    }
                }
            )
            lane = parcel.lane
            if lane and parcel.delivered_at:
                hours = (parcel.delivered_at - parcel.shipped_at).total_seconds() / 3600
                items.append(
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": to_item(
                                {
                                    keys.PK: keys.transit_pk(parcel.shop, *lane),
                                    keys.SK: f"{iso(parcel.delivered_at)}#{parcel.parcel_id}",
                                    "hours": str(round(max(hours, 0.0), 2)),
                                }
                            ),
                        }
                    }
                )
        try:
            self.ddb.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = cancellation_reasons(exc)
            if (
                change.expected_version is None
                and "ConditionalCheckFailed" in reasons[: 1 + len(change.new_numbers)]
            ):
                raise ParcelTaken(None) from exc
            if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
                raise StaleVersion(f"Parcel {parcel.parcel_id}") from exc
            raise

    def get(self, shop: str, parcel_id: str) -> Parcel:
        got = self.ddb.get_item(
            TableName=self.table, Key=to_item(keys.parcel(shop, parcel_id)), ConsistentRead=True
        )
        if "Item" not in got:
            raise NotFound("No such parcel.", code="parcel_not_found")
        return Parcel.model_validate_json(from_item(got["Item"])["doc"])

    def find(self, tracking_number: str) -> Parcel | None:
        """The parcel a tracking number (its first leg's or its last mile's) belongs to."""
        got = self.ddb.get_item(TableName=self.table, Key=to_item(keys.shipment(tracking_number)))
        if "Item" not in got:
            return None
        held = from_item(got["Item"])
        try:
            return self.get(str(held["shop"]), str(held["parcel_id"]))
        except NotFound:
            return None

    def of_order(self, shop: str, order_id: str) -> list[Parcel]:
        got = self.ddb.query(
            TableName=self.table,
            IndexName=keys.GSI1,
            KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues=to_item({":pk": keys.order_parcels_pk(shop, order_id)}),
            Limit=100,
        )
        return readable(
            got.get("Items") or [], lambda raw: Parcel.model_validate_json(from_item(raw)["doc"]), "parcel"
        )

    def open_since_before(self, shop: str, before: datetime, limit: int = 500) -> list[Parcel]:
        """Parcels still on their way whose last news is older than `before` (the delay watch)."""
        parcels: list[Parcel] = []
        start: dict[str, Any] | None = None
        while len(parcels) < limit:
            query: dict[str, Any] = {
                "TableName": self.table,
                "IndexName": keys.GSI3,
                "KeyConditionExpression": "gsi3pk = :pk AND gsi3sk < :before",
                "ExpressionAttributeValues": to_item(
                    {":pk": keys.open_parcels_pk(shop), ":before": iso(before)}
                ),
                "Limit": min(100, limit - len(parcels)),
            }
            if start:
                query["ExclusiveStartKey"] = start
            got = self.ddb.query(**query)
            parcels += readable(
                got.get("Items") or [],
                lambda raw: Parcel.model_validate_json(from_item(raw)["doc"]),
                "parcel",
            )
            start = got.get("LastEvaluatedKey")
            if not start:
                break
        return parcels

    def open_parcels(self, shop: str, limit: int = 500) -> list[Parcel]:
        return self.open_since_before(shop, datetime.max.replace(year=9999), limit)

    def transit_times(self, shop: str, lane: tuple[str, str, str]) -> TransitTimes:
        got = self.ddb.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_item({":pk": keys.transit_pk(shop, *lane)}),
            ScanIndexForward=False,
            Limit=TRANSIT_SAMPLES,
        )
        hours = [float(from_item(raw)["hours"]) for raw in got.get("Items") or []]
        return transit_times(lane, hours)

    def put_transit_sample(
        self, shop: str, lane: tuple[str, str, str], delivered_at: datetime, ref: str, hours: float
    ) -> None:
        """A measured delivery from before Boomerang tracked the shop's parcels (imports, demo)."""
        self.ddb.put_item(
            TableName=self.table,
            Item=to_item(
                {
                    keys.PK: keys.transit_pk(shop, *lane),
                    keys.SK: f"{iso(delivered_at)}#{ref}",
                    "hours": str(round(hours, 2)),
                }
            ),
        )

    def outbox_events(self, parcel_id: str) -> list[dict[str, Any]]:
        got = self.ddb.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_item({":pk": f"OUTBOX#PARCEL#{parcel_id}"}),
        )
        return [json.loads(from_item(raw)["doc"]) for raw in got.get("Items") or []]
