""" "Where is my order": a ticket the classifier puts in the tracking category, with an order, is
linked to the order's parcels, and its suggested reply quotes each parcel's status and estimated
delivery in the customer's language. Where the shop allows it (tracking settings `auto_answer`)
and every parcel moves on time, the reply is sent at once and the ticket waits for the customer;
a late parcel or one in exception goes to a person, tagged and at high priority."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from boomerang.domain.errors import NotFound
from boomerang.domain.shipment_texts import TrackingReply, tracking_reply
from boomerang.services.shipments.service import ShipmentService

TRACKING_CATEGORY = "tracking"


@dataclass(frozen=True)
class TrackingAnswer:
    reply: TrackingReply
    parcel_ids: list[str]
    auto_answer: bool  # the shop allows answering with no person, and every parcel is on time
    problem: str | None  # "late" | "exception" | None


class TrackingAnswers:
    def __init__(self, shipments: ShipmentService):
        self.shipments = shipments

    def answer(self, shop: str, order_id: str, language: str, now: datetime) -> TrackingAnswer | None:
        """None where the order is not the shop's (the ticket stays as it is)."""
        try:
            order, tracked = self.shipments.progress_of(shop, order_id, now)
        except NotFound:
            return None
        reply = tracking_reply(
            order.order_number,
            [(t.parcel, t.estimate, t.delay is not None) for t in tracked],
            language,
            order.locale,
        )
        problem = None
        if any(t.parcel.exception is not None for t in tracked):
            problem = "exception"
        elif any(t.delay is not None for t in tracked):
            problem = "late"
        settings = self.shipments.settings(shop)
        allowed = bool(settings.tracking and settings.tracking.auto_answer)
        return TrackingAnswer(
            reply=reply,
            parcel_ids=[t.parcel.parcel_id for t in tracked],
            auto_answer=allowed and reply.on_time and bool(tracked),
            problem=problem,
        )
