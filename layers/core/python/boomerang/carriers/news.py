"""Tracking news, normalized: the status set (EasyPost's, the widest of the providers'), one scan,
one provider update, and their JSON form. No provider SDK is imported here, so every function that
reads parcels or returns' news may import it (boomerang.carriers.tracking reads the webhooks)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class TrackingStatus(StrEnum):
    UNKNOWN = "unknown"
    PRE_TRANSIT = "pre_transit"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    DELIVERED = "delivered"
    RETURN_TO_SENDER = "return_to_sender"
    FAILURE = "failure"
    EXCEPTION = "exception"


T = TrackingStatus
# Statuses that mean the parcel will not reach the hub as planned: support must follow them up.
EXCEPTIONS = frozenset({T.RETURN_TO_SENDER, T.FAILURE, T.EXCEPTION})
# Statuses that mean the parcel is moving towards the hub.
MOVING = frozenset({T.IN_TRANSIT, T.OUT_FOR_DELIVERY, T.AVAILABLE_FOR_PICKUP})


@dataclass(frozen=True)
class Scan:
    """One checkpoint of the parcel's history, as the provider lists it (outbound parcels keep
    them: boomerang.domain.shipments)."""

    at: datetime
    status: TrackingStatus
    message: str
    location: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2 where the provider gives it so
    carrier: str = ""
    tracking_number: str = ""
    sub_status: str | None = None


@dataclass(frozen=True)
class TrackingUpdate:
    provider: str
    event_id: str  # the provider's id of this delivery's event: what duplicates share
    tracking_number: str
    carrier: str
    status: TrackingStatus
    detail: str
    occurred_at: datetime | None
    # The history the provider sent with it (oldest first), its latest sub-status, and the
    # last-mile carrier and number once the parcel was handed over (17TRACK misc_info.local_*,
    # AfterShip last_mile).
    scans: tuple[Scan, ...] = ()
    sub_status: str | None = None
    last_mile_carrier: str | None = None
    last_mile_number: str | None = None


def update_as_dict(update: TrackingUpdate) -> dict[str, Any]:
    """JSON-safe: what the webhook function keeps under the event's idempotency key."""
    fields = dataclasses.asdict(update)
    fields["status"] = update.status.value
    fields["occurred_at"] = update.occurred_at.isoformat() if update.occurred_at else None
    fields["scans"] = [{**s, "at": s["at"].isoformat(), "status": s["status"].value} for s in fields["scans"]]
    return fields


def update_from_dict(fields: Mapping[str, Any]) -> TrackingUpdate:
    data = dict(fields)
    at = data.pop("occurred_at", None)
    scans = tuple(
        Scan(**{**s, "at": datetime.fromisoformat(s["at"]), "status": TrackingStatus(s["status"])})
        for s in data.pop("scans", ())
    )
    return TrackingUpdate(
        **{**data, "status": TrackingStatus(data["status"])},
        occurred_at=datetime.fromisoformat(at) if at else None,
        scans=scans,
    )
