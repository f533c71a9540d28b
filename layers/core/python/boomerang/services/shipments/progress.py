"""What the customer sees of an order's parcels: each with its estimated delivery (the lane's p50
and p90) and whether it is late now. Read only: the tracking endpoint, the tracking page and the
"where is my order" answers use it, and none of them registers, records or sends anything."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from boomerang.domain.models import Order
from boomerang.domain.providers import ProviderSettings
from boomerang.domain.shipments import DelayReason, Estimate, Parcel, TransitTimes, delay, estimate
from boomerang.store.parcels import ParcelStore
from boomerang.store.records import Repository

DEFAULT_QUIET_DAYS = 5


@dataclass(frozen=True)
class Tracked:
    parcel: Parcel
    estimate: Estimate
    delay: DelayReason | None


class ShipmentProgress:
    def __init__(self, repo: Repository, parcels: ParcelStore, settings: Callable[[str], ProviderSettings]):
        self.repo = repo
        self.parcels = parcels
        self.settings = settings

    def of_order(self, shop: str, order_id: str, now: datetime) -> tuple[Order, list[Tracked]]:
        """The order and each of its parcels with its estimate and whether it is late now. Another
        shop's order answers 404 (order_not_found)."""
        order = self.repo.get_order(shop, order_id)
        settings = self.settings(shop)
        quiet_days = settings.tracking.quiet_days if settings.tracking else DEFAULT_QUIET_DAYS
        tracked = []
        lanes: dict[tuple[str, str, str], TransitTimes] = {}
        for parcel in self.parcels.of_order(shop, order_id):
            lane = parcel.lane
            times = None
            if lane is not None:
                times = lanes.get(lane) or self.parcels.transit_times(shop, lane)
                lanes[lane] = times
            tracked.append(Tracked(parcel, estimate(parcel, times), delay(parcel, times, now, quiet_days)))
        return order, tracked
