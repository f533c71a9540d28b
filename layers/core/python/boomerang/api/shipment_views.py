"""The tracking view (TrackingOut) of an order's parcels, in the reader's language: the `lang`
query, else the browser's Accept-Language, else the order's language."""

from __future__ import annotations

from collections.abc import Mapping

from boomerang.api.schemas import utc
from boomerang.api.shipment_schemas import (
    CheckpointOut,
    EstimateOut,
    ParcelLineOut,
    ParcelTrackingOut,
    TrackingOut,
    _last_mile,
    at,
)
from boomerang.carriers.news import TrackingStatus
from boomerang.domain.models import Order
from boomerang.domain.shipment_texts import eta_sentence, exception_label, language_of, status_label
from boomerang.services.shipments.progress import Tracked


def _accept_language(headers: Mapping[str, str] | None) -> list[str]:
    raw = next((v for k, v in (headers or {}).items() if k.lower() == "accept-language"), "") or ""
    tags = [part.split(";")[0].strip() for part in raw.split(",")[:8]]
    return [t for t in tags if t and t != "*" and len(t) <= 35]


def tracking_out(
    order: Order, tracked: list[Tracked], lang: str | None, headers: Mapping[str, str] | None
) -> TrackingOut:
    language = language_of(lang, *_accept_language(headers), order.locale)
    parcels = []
    for item in tracked:
        p, est = item.parcel, item.estimate
        parcels.append(
            ParcelTrackingOut(
                parcel_id=p.parcel_id,
                carrier=p.carrier,
                tracking_number=p.tracking_number,
                status=p.status.value,
                status_label=status_label(language, p.status),
                exception=p.exception.value if p.exception else None,
                exception_label=exception_label(language, p.exception) if p.exception else None,
                delayed=item.delay is not None,
                last_mile=_last_mile(p),
                shipped_at=utc(p.shipped_at),
                delivered_at=at(p.delivered_at),
                estimated_delivery=EstimateOut(
                    expected_at=at(est.expected_at),
                    latest_at=at(est.latest_at),
                    basis=est.basis,
                    text=eta_sentence(language, est),
                ),
                lines=[ParcelLineOut(line_id=line.line_id, quantity=line.quantity) for line in p.lines],
                checkpoints=[
                    CheckpointOut(
                        at=utc(c.at),
                        status=c.status.value,
                        status_label=status_label(language, c.status),
                        message=c.message,
                        location=c.location,
                        carrier=c.carrier or p.carrier,
                        tracking_number=c.tracking_number or p.tracking_number,
                    )
                    for c in reversed(p.checkpoints)
                ],
            )
        )
    delivered = any(t.parcel.status is TrackingStatus.DELIVERED for t in tracked)
    return TrackingOut(
        shop=order.shop,
        order_id=order.order_id,
        order_number=order.order_number,
        language=language,
        parcels=parcels,
        returns_path=f"/{order.shop}/returns" if delivered else None,
    )
