"""What the tracking page shows of an order's parcels, in the page's language: each parcel's step
on the way, its status and any problem in the words of domain/shipment_texts.json (the same words
as the tracking endpoint and the emails), the estimated delivery (the lane's p50 and p90), the
carrier's checkpoints newest first, and the order's lines in it. Plain Python."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from boomerang.carriers.news import EXCEPTIONS, TrackingStatus
from boomerang.domain.models import Order
from boomerang.domain.shipment_texts import exception_label, language_of, status_label
from boomerang.domain.shipments import ExceptionKind
from boomerang.services.shipments.progress import Tracked

T = TrackingStatus
# The steps a customer sees on a parcel's progress bar; a status maps onto the furthest it reached.
STEPS = ("shipped", "in_transit", "out_for_delivery", "delivered")
STEP_OF = {
    T.UNKNOWN: 0,
    T.PRE_TRANSIT: 0,
    T.IN_TRANSIT: 1,
    T.RETURN_TO_SENDER: 1,
    T.EXCEPTION: 1,
    T.FAILURE: 2,
    T.OUT_FOR_DELIVERY: 2,
    T.AVAILABLE_FOR_PICKUP: 2,
    T.DELIVERED: 3,
}


@dataclass(frozen=True)
class CheckpointView:
    at: datetime
    status: str
    message: str
    location: str | None
    carrier: str


@dataclass(frozen=True)
class ParcelView:
    parcel_id: str
    carrier: str
    tracking_number: str
    last_mile_carrier: str | None
    last_mile_tracking_number: str | None
    status: str  # the code, for styling and tests
    status_text: str
    problem: str | None  # an exception in words
    step: int  # index into STEPS
    delayed: bool
    shipped_at: datetime
    delivered_at: datetime | None
    expected_at: datetime | None  # the lane's p50 after shipping
    latest_at: datetime | None  # its p90
    items: list[tuple[str, int]]  # (title, quantity)
    checkpoints: list[CheckpointView]


@dataclass(frozen=True)
class TrackingView:
    order_number: str
    parcels: list[ParcelView]
    delivered: bool  # at least one parcel delivered: a return may be started

    @property
    def live(self) -> bool:
        """Some parcel may still change: the page refreshes itself (htmx)."""
        return any(p.status != T.DELIVERED.value for p in self.parcels)


def tracking_view(order: Order, tracked: list[Tracked], language: str) -> TrackingView:
    words = language_of(language)
    titles = {line.line_id: line.title or line.sku for line in order.lines}
    parcels = []
    for item in tracked:
        p, est = item.parcel, item.estimate
        problem = None
        if p.status in EXCEPTIONS:
            problem = exception_label(words, p.exception or ExceptionKind.OTHER)
        parcels.append(
            ParcelView(
                parcel_id=p.parcel_id,
                carrier=p.carrier,
                tracking_number=p.tracking_number,
                last_mile_carrier=p.last_mile_carrier,
                last_mile_tracking_number=p.last_mile_tracking_number,
                status=p.status.value,
                status_text=status_label(words, p.status),
                problem=problem,
                step=max(STEP_OF[p.status], STEP_OF[p.progress]),
                delayed=item.delay is not None,
                shipped_at=p.shipped_at,
                delivered_at=p.delivered_at,
                expected_at=est.expected_at if est.basis == "lane" else None,
                latest_at=est.latest_at if est.basis == "lane" else None,
                items=[(titles.get(line.line_id, line.line_id), line.quantity) for line in p.lines],
                checkpoints=[
                    CheckpointView(
                        at=c.at,
                        status=status_label(words, c.status),
                        message=c.message,
                        location=c.location,
                        carrier=c.carrier or p.carrier,
                    )
                    for c in reversed(p.checkpoints)
                ],
            )
        )
    delivered = any(p.status == T.DELIVERED.value for p in parcels)
    return TrackingView(order_number=order.order_number, parcels=parcels, delivered=delivered)
