"""Outbound parcels: what left the warehouse for the customer, and where each one is.

Plain Python, no AWS. Checkpoints from any tracking provider are normalized into the status set
returns already use (boomerang.carriers.tracking.TrackingStatus) and folded into one status per
parcel by `record`, which never moves a parcel backwards:

- a repeated checkpoint (same time, status and text) is nothing new;
- once delivered or returned to sender, a parcel's status is final: later news changes nothing;
- a checkpoint older than the newest one known joins the history but decides nothing;
- progress (pre_transit < in_transit < out_for_delivery/available_for_pickup < delivered) only
  goes forward; an exception is a state beside it, cleared by newer news that the parcel moves.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from boomerang.carriers.news import EXCEPTIONS, TrackingStatus
from boomerang.domain.models import Country, Identifier, UtcDatetime

T = TrackingStatus
MAX_CHECKPOINTS = 200
# How far along the way each moving status is; exceptions stand beside this scale.
RANK: dict[TrackingStatus, int] = {
    T.UNKNOWN: 0,
    T.PRE_TRANSIT: 1,
    T.IN_TRANSIT: 2,
    T.AVAILABLE_FOR_PICKUP: 3,
    T.OUT_FOR_DELIVERY: 3,
    T.DELIVERED: 4,
}
FINAL = frozenset({T.DELIVERED, T.RETURN_TO_SENDER})

TrackingNumber = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{3,63}$")]
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def carrier_key(name: str) -> str:
    """A carrier as one key, however it is spelled ("YunExpress", "yun-express" -> "yunexpress")."""
    return _NOT_SLUG.sub("", name.strip().lower())[:64]


class ExceptionKind(StrEnum):
    """Why a parcel will not arrive as planned: what the customer and support are told."""

    RETURNED_TO_SENDER = "returned_to_sender"
    CUSTOMS_HOLD = "customs_hold"
    FAILED_DELIVERY = "failed_delivery"
    ADDRESS = "address"
    OTHER = "other"


# Sub-statuses named by the providers (17TRACK's sub_status, AfterShip's subtag), then words.
_SUB_STATUS_KINDS: dict[str, ExceptionKind] = {
    "Exception_Returning": ExceptionKind.RETURNED_TO_SENDER,
    "Exception_Returned": ExceptionKind.RETURNED_TO_SENDER,
    "Exception_Security": ExceptionKind.CUSTOMS_HOLD,
    "DeliveryFailure_InvalidAddress": ExceptionKind.ADDRESS,
    "Exception_006": ExceptionKind.ADDRESS,  # AfterShip: address-related issue
    "Exception_007": ExceptionKind.CUSTOMS_HOLD,  # AfterShip: delayed (customs clearance)
    "Exception_010": ExceptionKind.RETURNED_TO_SENDER,  # AfterShip: returned to sender
    "Exception_011": ExceptionKind.RETURNED_TO_SENDER,  # AfterShip: returning to sender
}
_WORDS: tuple[tuple[tuple[str, ...], ExceptionKind], ...] = (
    (("customs", "douane", "aduana", "zoll", "海关"), ExceptionKind.CUSTOMS_HOLD),
    (("return to sender", "returned to sender", "returning to sender"), ExceptionKind.RETURNED_TO_SENDER),
    (("address",), ExceptionKind.ADDRESS),
)


def exception_kind(status: TrackingStatus, sub_status: str | None, text: str) -> ExceptionKind | None:
    """The kind of an exception checkpoint; None for a checkpoint that is no exception."""
    if status not in EXCEPTIONS:
        return None
    if status is T.RETURN_TO_SENDER:
        return ExceptionKind.RETURNED_TO_SENDER
    if sub_status and sub_status in _SUB_STATUS_KINDS:
        return _SUB_STATUS_KINDS[sub_status]
    lowered = text.lower()
    for words, kind in _WORDS:
        if any(word in lowered for word in words):
            return kind
    if status is T.FAILURE or (sub_status or "").startswith(("DeliveryFailure", "AttemptFail")):
        return ExceptionKind.FAILED_DELIVERY
    return ExceptionKind.OTHER


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Checkpoint(Strict):
    """One scan, as a provider reported it, normalized."""

    at: UtcDatetime
    status: TrackingStatus
    message: str = Field(default="", max_length=500)
    location: str | None = Field(default=None, max_length=200)
    country: Country | None = None
    carrier: str = Field(default="", max_length=64)
    tracking_number: str = Field(default="", max_length=64)  # the leg's number (last mile: its own)
    sub_status: str | None = Field(default=None, max_length=64)
    exception: ExceptionKind | None = None

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.at.isoformat(), self.status.value, self.message)


class ParcelLine(Strict):
    line_id: Identifier
    quantity: int = Field(ge=1, le=10_000)


class Parcel(Strict):
    shop: Identifier
    parcel_id: Identifier
    order_id: Identifier
    tracking_number: TrackingNumber
    carrier: str = Field(min_length=1, max_length=64)
    lines: list[ParcelLine] = Field(min_length=1, max_length=250)
    source: str = Field(default="api", max_length=32)  # api | shopify
    external_id: str | None = Field(default=None, max_length=128)  # e.g. Shopify's fulfillment id
    provider: str | None = None  # the tracking provider it is registered with
    registered: bool = False
    registration_error: str | None = Field(default=None, max_length=300)
    origin_country: Country | None = None
    destination_country: Country | None = None
    shipped_at: UtcDatetime
    status: TrackingStatus = T.PRE_TRANSIT
    progress: TrackingStatus = T.PRE_TRANSIT  # the furthest along the way it has been
    exception: ExceptionKind | None = None
    status_at: UtcDatetime | None = None  # the newest checkpoint's time
    last_mile_carrier: str | None = Field(default=None, max_length=64)
    last_mile_tracking_number: str | None = Field(default=None, max_length=64)
    handed_over_at: UtcDatetime | None = None
    delivered_at: UtcDatetime | None = None
    checkpoints: list[Checkpoint] = Field(default_factory=list)
    # Messages claimed for the customer, by kind ("delayed", "exception", "delivered"): each once.
    notices: dict[str, UtcDatetime] = Field(default_factory=dict)
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int = 1

    @property
    def final(self) -> bool:
        return self.status in FINAL

    @property
    def lane(self) -> tuple[str, str, str] | None:
        """(carrier, origin, destination): what transit times are measured by."""
        if not self.origin_country or not self.destination_country:
            return None
        return carrier_key(self.carrier), self.origin_country, self.destination_country

    def numbers(self) -> list[str]:
        return [n for n in (self.tracking_number, self.last_mile_tracking_number) if n]


class Recorded(BaseModel):
    """What `record` made of some news: the parcel after it, and what changed."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    parcel: Parcel
    changed: bool
    delivered: bool = False  # it became delivered with this news
    exception: ExceptionKind | None = None  # it entered (or changed) an exception with this news
    handed_over: bool = False  # a last-mile tracking number became known


def record(
    parcel: Parcel,
    checkpoints: list[Checkpoint],
    now: datetime,
    last_mile: tuple[str, str] | None = None,
) -> Recorded:
    """Fold checkpoints (any order, repeats allowed) and a last-mile (carrier, number) into the
    parcel. A final parcel takes nothing more."""
    if parcel.final:
        return Recorded(parcel=parcel, changed=False)
    known = {c.identity for c in parcel.checkpoints}
    fresh = sorted(
        {c.identity: c for c in checkpoints if c.identity not in known}.values(), key=lambda c: c.at
    )
    if last_mile is None:
        # A checkpoint under another number than the parcel's is the last mile's hand-over.
        leg = next(
            (c for c in reversed(fresh) if c.tracking_number and _other(parcel, c.tracking_number)), None
        )
        if leg is not None:
            last_mile = (leg.carrier or parcel.carrier, leg.tracking_number)
    handed_over = bool(
        last_mile
        and last_mile[1]
        and _other(parcel, last_mile[1])
        and last_mile[1].upper() != (parcel.last_mile_tracking_number or "").upper()
    )
    if not fresh and not handed_over:
        return Recorded(parcel=parcel, changed=False)

    status, progress, exception = parcel.status, parcel.progress, parcel.exception
    status_at, delivered_at = parcel.status_at, parcel.delivered_at
    entered: ExceptionKind | None = None
    for c in fresh:
        if c.status is T.UNKNOWN or (status_at is not None and c.at < status_at) or status in FINAL:
            continue  # late news joins the history, decides nothing
        status_at = c.at
        if c.status in EXCEPTIONS:
            kind = c.exception or exception_kind(c.status, c.sub_status, c.message) or ExceptionKind.OTHER
            if kind is not exception or status not in EXCEPTIONS:
                entered = kind
            status, exception = (T.RETURN_TO_SENDER if c.status is T.RETURN_TO_SENDER else c.status), kind
            continue
        if RANK[c.status] >= RANK[progress]:
            progress = c.status
        status, exception = progress, None
        if progress is T.DELIVERED:
            delivered_at = c.at
    history = sorted([*parcel.checkpoints, *fresh], key=lambda c: c.at)[-MAX_CHECKPOINTS:]
    updates: dict[str, object] = {
        "checkpoints": history,
        "status": status,
        "progress": progress,
        "exception": exception,
        "status_at": status_at,
        "delivered_at": delivered_at,
        "updated_at": now,
        "version": parcel.version + 1,
    }
    if handed_over and last_mile:
        updates |= {
            "last_mile_carrier": last_mile[0] or parcel.last_mile_carrier,
            "last_mile_tracking_number": last_mile[1],
            "handed_over_at": parcel.handed_over_at or now,
        }
    became_delivered = status is T.DELIVERED and parcel.status is not T.DELIVERED
    return Recorded(
        parcel=parcel.model_copy(update=updates),
        changed=True,
        delivered=became_delivered,
        exception=entered if status in EXCEPTIONS else None,
        handed_over=handed_over,
    )


def _other(parcel: Parcel, number: str) -> bool:
    return number.strip().upper() != parcel.tracking_number.upper()


# --- transit times and estimates ----------------------------------------------------------------

MIN_SAMPLES = 5


class TransitTimes(BaseModel):
    """A lane's measured door-to-door times (hours), from the shop's own delivered parcels."""

    model_config = ConfigDict(frozen=True)

    carrier: str
    origin: str
    destination: str
    samples: int
    p50_hours: float | None
    p90_hours: float | None

    @property
    def known(self) -> bool:
        return self.p50_hours is not None and self.p90_hours is not None


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil(n * p / 100)
    return ordered[int(rank) - 1]


def transit_times(lane: tuple[str, str, str], hours: list[float]) -> TransitTimes:
    carrier, origin, destination = lane
    enough = len(hours) >= MIN_SAMPLES
    return TransitTimes(
        carrier=carrier,
        origin=origin,
        destination=destination,
        samples=len(hours),
        p50_hours=percentile(hours, 50) if enough else None,
        p90_hours=percentile(hours, 90) if enough else None,
    )


class Estimate(BaseModel):
    model_config = ConfigDict(frozen=True)

    expected_at: datetime | None  # p50 of the lane after shipping
    latest_at: datetime | None  # p90
    basis: str  # delivered | lane | unknown


def estimate(parcel: Parcel, times: TransitTimes | None) -> Estimate:
    if parcel.delivered_at is not None:
        return Estimate(expected_at=parcel.delivered_at, latest_at=parcel.delivered_at, basis="delivered")
    if times is None or not times.known or parcel.final:
        return Estimate(expected_at=None, latest_at=None, basis="unknown")
    assert times.p50_hours is not None and times.p90_hours is not None
    return Estimate(
        expected_at=parcel.shipped_at + timedelta(hours=times.p50_hours),
        latest_at=parcel.shipped_at + timedelta(hours=times.p90_hours),
        basis="lane",
    )


class DelayReason(StrEnum):
    NO_NEWS = "no_news"  # no checkpoint for the shop's quiet days
    PAST_P90 = "past_p90"  # later than nine in ten of the lane's parcels


def delay(parcel: Parcel, times: TransitTimes | None, now: datetime, quiet_days: int) -> DelayReason | None:
    """Why a parcel counts as late now, if it does. A final parcel is never late."""
    if parcel.final:
        return None
    est = estimate(parcel, times)
    if est.latest_at is not None and now > est.latest_at:
        return DelayReason.PAST_P90
    last_news = parcel.status_at or parcel.shipped_at
    if now - last_news > timedelta(days=quiet_days):
        return DelayReason.NO_NEWS
    return None
