"""The delay watch (functions/shipment_watch, on a schedule): every parcel still on its way is
looked at; one with no checkpoint for the shop's quiet days, or later than nine in ten of its lane's
parcels (p90), is late. Its customer is told once (ShipmentService.tell_delay: the claim, the
`shipment.delayed` event and the mail)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from boomerang.domain.shipments import TransitTimes, delay
from boomerang.services.shipments.progress import DEFAULT_QUIET_DAYS
from boomerang.services.shipments.service import ShipmentService


@dataclass
class WatchReport:
    looked_at: int = 0
    told: int = 0
    late_already_told: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)


def watch(service: ShipmentService, shops: Iterable[str], now: datetime) -> WatchReport:
    report = WatchReport()
    for shop in shops:
        settings = service.settings(shop)
        quiet_days = settings.tracking.quiet_days if settings.tracking else DEFAULT_QUIET_DAYS
        lanes: dict[tuple[str, str, str], TransitTimes] = {}
        for parcel in service.parcels.open_parcels(shop):
            report.looked_at += 1
            times = None
            if parcel.lane is not None:
                times = lanes.get(parcel.lane) or service.parcels.transit_times(shop, parcel.lane)
                lanes[parcel.lane] = times
            reason = delay(parcel, times, now, quiet_days)
            if reason is None:
                continue
            if "delayed" in parcel.notices:
                report.late_already_told += 1
                continue
            if service.tell_delay(shop, parcel.parcel_id, reason, times):
                report.told += 1
                report.by_reason[reason.value] = report.by_reason.get(reason.value, 0) + 1
    return report
