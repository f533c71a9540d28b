"""Carrier tracking news applied to returns: the tracking number finds the return; moving scans
and delivery go through the workflow (which resumes its carrier wait); exceptions are recorded on
the return with a `return.carrier_exception` event that support's tickets are opened from.

A late or repeated scan never moves a return backwards: the workflow's carrier_update only moves
forward along the status table, and an exception reported after the parcel reached the hub is
history, not news.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from boomerang.carriers.news import EXCEPTIONS, MOVING, TrackingStatus, TrackingUpdate
from boomerang.domain.models import CarrierException, TimelineEntry
from boomerang.domain.status import ReturnStatus
from boomerang.services.retry import retry_stale
from boomerang.services.workflow import ReturnWorkflow
from boomerang.store.records import Event, ReturnChange
from boomerang.store.tracking import rma_for_tracking

S = ReturnStatus
log = logging.getLogger(__name__)

# Where a return may still be when carrier news about its parcel is news.
EN_ROUTE = frozenset({S.LABEL_ISSUED, S.IN_TRANSIT})


@dataclass(frozen=True)
class TrackingOutcome:
    result: str  # moved, exception_recorded, ignored, unknown_tracking
    rma: str | None = None
    status: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"result": self.result, "rma": self.rma, "status": self.status}


class TrackingService:
    def __init__(self, workflow: ReturnWorkflow, clock: Callable[[], datetime]):
        self.workflow = workflow
        self.repo = workflow.repo
        self.clock = clock

    def apply(self, update: TrackingUpdate) -> TrackingOutcome:
        rma = rma_for_tracking(self.repo, update.tracking_number)
        if rma is None:
            return TrackingOutcome("unknown_tracking")
        source = f"carrier:{update.provider}"
        if update.status is TrackingStatus.DELIVERED or update.status in MOVING:
            target = S.DELIVERED if update.status is TrackingStatus.DELIVERED else S.IN_TRANSIT
            ret, moved = self.workflow.carrier_news(rma, target, source)
            return TrackingOutcome("moved" if moved else "ignored", rma, ret.status.value)
        if update.status in EXCEPTIONS:
            return self._exception(rma, update, source)
        return TrackingOutcome("ignored", rma)

    @retry_stale
    def _exception(self, rma: str, update: TrackingUpdate, source: str) -> TrackingOutcome:
        ret = self.repo.get_return(rma)[0]
        known = ret.carrier_exception
        if ret.status not in EN_ROUTE or (
            known is not None and (known.status, known.detail) == (update.status.value, update.detail[:500])
        ):
            return TrackingOutcome("ignored", rma, ret.status.value)
        now = self.clock()
        exception = CarrierException(
            status=update.status.value,
            detail=update.detail[:500],
            carrier=update.carrier or (ret.label.carrier if ret.label else ""),
            tracking_number=update.tracking_number,
            at=update.occurred_at or now,
        )
        entry = TimelineEntry(
            version=ret.version + 1,
            at=now,
            status=ret.status,
            event="return.carrier_exception",
            message=(
                f"Carrier reports {exception.status.replace('_', ' ')}: {exception.detail}. "
                "Support will follow up."
            ),
            actor=source,
        )
        noted = ret.model_copy(
            update={"carrier_exception": exception, "version": ret.version + 1, "updated_at": now}
        )
        data = {
            "rma": rma,
            "order_id": ret.order_id,
            "tracking_number": exception.tracking_number,
            "carrier": exception.carrier,
            "status": exception.status,
            "detail": exception.detail,
        }
        self.repo.save(ReturnChange(noted, ret.version, [entry], [Event("return.carrier_exception", data)]))
        return TrackingOutcome("exception_recorded", rma, ret.status.value)
