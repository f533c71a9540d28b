"""Outbound parcels: a fulfilment in makes a parcel (registered with the shop's tracking provider),
carrier news moves it, and what the customer must hear is claimed, published and sent once.

- fulfil: from `POST /v1/orders/{order_id}/fulfillments` or Shopify's fulfillment webhooks. A
  parcel is one tracking number of one order: the same fulfilment sent again finds it (its id is
  derived from the order and the number), and a number another order holds is refused.
- apply: a carrier push (17TRACK, AfterShip, EasyPost) for a number that is no return's. Its
  checkpoints are folded in by domain/shipments.record, which never moves a parcel backwards.
  Delivered sets the parcel's lines' delivered_at on the order (the return window counts from
  it) and measures the lane's transit time; an exception is published and told to the customer.
- notify: each message is a `shipment.*` event and a claim on the parcel in one transaction; the
  mail follows (notify/shipments.py). A failed send is logged, never fails the carrier's push.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from boomerang.carriers.news import Scan, TrackingUpdate
from boomerang.carriers.tracking_providers import Registration, TrackingRegistrar
from boomerang.domain.errors import Conflict, Forbidden, NotFound, Unprocessable
from boomerang.domain.models import Order
from boomerang.domain.providers import ProviderSettings
from boomerang.domain.shipment_texts import eta_sentence, exception_label, status_label
from boomerang.domain.shipments import (
    Checkpoint,
    DelayReason,
    Estimate,
    ExceptionKind,
    Parcel,
    ParcelLine,
    TransitTimes,
    estimate,
    exception_kind,
    record,
)
from boomerang.notify.shipments import ShipmentNotifier, compose
from boomerang.services.retry import retry_stale
from boomerang.services.shipments.progress import ShipmentProgress, Tracked
from boomerang.store.parcels import ParcelChange, ParcelStore, ParcelTaken
from boomerang.store.records import Event, Repository

log = logging.getLogger(__name__)

# (shop, its settings) -> the registrar for its parcels; None: no provider configured.
RegistrarFor = Callable[[str, ProviderSettings], TrackingRegistrar | None]
# (shop, order_id) -> the customer's link to the order's tracking (notify/links).
LinkFor = Callable[[str, str], str]


@dataclass(frozen=True)
class Fulfilment:
    tracking_number: str
    carrier: str
    lines: list[tuple[str, int]]  # (line_id, quantity)
    origin_country: str | None = None
    shipped_at: datetime | None = None
    source: str = "api"
    external_id: str | None = None


@dataclass(frozen=True)
class ParcelOutcome:
    result: str  # moved, ignored, unknown_tracking
    parcel_id: str | None = None
    status: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"result": self.result, "parcel_id": self.parcel_id, "status": self.status}


def parcel_id_for(order_id: str, tracking_number: str) -> str:
    digest = hashlib.sha256(f"{order_id}|{tracking_number.strip().upper()}".encode()).hexdigest()
    return f"pcl_{digest[:24]}"


def _ids(parcel: Parcel) -> dict[str, str | None]:
    """What every shipment.* event names: the parcel, its order and its lane's countries (the
    analytics lake measures lanes from them)."""
    return {
        "parcel_id": parcel.parcel_id,
        "order_id": parcel.order_id,
        "origin_country": parcel.origin_country,
        "destination_country": parcel.destination_country,
    }


def _delivered(parcel: Parcel) -> dict[str, str | float | None]:
    assert parcel.delivered_at is not None
    hours = (parcel.delivered_at - parcel.shipped_at).total_seconds() / 3600
    return {
        **_ids(parcel),
        "delivered_at": parcel.delivered_at.isoformat(),
        "carrier": parcel.carrier,
        "last_mile_carrier": parcel.last_mile_carrier,
        "shipped_at": parcel.shipped_at.isoformat(),
        "transit_hours": round(max(hours, 0.0), 2),
    }


class ShipmentService:
    def __init__(
        self,
        repo: Repository,
        parcels: ParcelStore,
        settings: Callable[[str], ProviderSettings],
        registrar_for: RegistrarFor,
        notifier: ShipmentNotifier,
        clock: Callable[[], datetime],
        link_for: LinkFor | None = None,
    ):
        self.repo = repo
        self.parcels = parcels
        self.settings = settings
        self.registrar_for = registrar_for
        self.notifier = notifier
        self.clock = clock
        self.link_for = link_for or (lambda shop, order_id: "")

    # --- fulfilments in ------------------------------------------------------------------------------

    def fulfil(self, shop: str, order_id: str, fulfilment: Fulfilment) -> tuple[Parcel, bool]:
        """(the parcel, made just now). An order the shop does not have answers 404."""
        order = self.repo.get_order(shop, order_id)
        _check_lines(order, fulfilment.lines)
        parcel_id = parcel_id_for(order_id, fulfilment.tracking_number)
        try:
            return self.parcels.get(shop, parcel_id), False
        except NotFound:
            pass
        settings = self.settings(shop)
        registrar = self.registrar_for(shop, settings)
        registration = (
            registrar.register(fulfilment.tracking_number, fulfilment.carrier, order_id, parcel_id)
            if registrar is not None
            else Registration("none", False, "No tracking provider is configured for the shop.")
        )
        if not registration.registered:
            log.warning("parcel not registered", extra={"parcel_id": parcel_id, "reason": registration.error})
        now = self.clock()
        destination = order.shipping_address.country if order.shipping_address else order.customer_country
        origin = fulfilment.origin_country or (
            settings.tracking.origin_country if settings.tracking else None
        )
        parcel = Parcel(
            shop=shop,
            parcel_id=parcel_id,
            order_id=order_id,
            tracking_number=fulfilment.tracking_number.strip(),
            carrier=fulfilment.carrier.strip(),
            lines=[ParcelLine(line_id=line_id, quantity=quantity) for line_id, quantity in fulfilment.lines],
            source=fulfilment.source,
            external_id=fulfilment.external_id,
            provider=registration.provider if registration.provider != "none" else None,
            registered=registration.registered,
            registration_error=(registration.error or None) and str(registration.error)[:300],
            origin_country=origin,
            destination_country=destination,
            shipped_at=(fulfilment.shipped_at or now).astimezone(UTC),
            created_at=now,
            updated_at=now,
        )
        event = Event(
            "shipment.created",
            {
                **_ids(parcel),
                "carrier": parcel.carrier,
                "tracking_number": parcel.tracking_number,
                "lines": len(parcel.lines),
                "registered": parcel.registered,
            },
        )
        try:
            self.parcels.save(ParcelChange(parcel, None, [event], new_numbers=[parcel.tracking_number]))
        except ParcelTaken as exc:
            try:  # the same fulfilment, made by a concurrent request
                return self.parcels.get(shop, parcel_id), False
            except NotFound:
                raise Conflict(
                    "Another order's parcel has this tracking number.", code="tracking_number_taken"
                ) from exc
        return parcel, True

    # --- carrier news --------------------------------------------------------------------------------

    @retry_stale
    def apply(self, update: TrackingUpdate) -> ParcelOutcome:
        parcel = self.parcels.find(update.tracking_number)
        if parcel is None:
            return ParcelOutcome("unknown_tracking")
        now = self.clock()
        checkpoints = [_checkpoint(s) for s in update.scans] or _latest(update)
        last_mile = (
            (update.last_mile_carrier or "", update.last_mile_number) if update.last_mile_number else None
        )
        done = record(parcel, checkpoints, now, last_mile)
        if not done.changed:
            return ParcelOutcome("ignored", parcel.parcel_id, parcel.status.value)
        moved = done.parcel
        events: list[Event] = []
        new_numbers: list[str] = []
        delivered_lines: dict[str, datetime] = {}
        notices: list[tuple[str, str, dict[str, str]]] = []  # (notice, template, values)
        if done.handed_over and moved.last_mile_tracking_number:
            new_numbers.append(moved.last_mile_tracking_number)
            events.append(
                Event(
                    "shipment.handed_over",
                    {
                        **_ids(moved),
                        "carrier": moved.carrier,
                        "last_mile_carrier": moved.last_mile_carrier or "",
                        "last_mile_tracking_number": moved.last_mile_tracking_number,
                    },
                )
            )
        if done.delivered and moved.delivered_at:
            delivered_lines = {line.line_id: moved.delivered_at for line in moved.lines}
            events.append(Event("shipment.delivered", _delivered(moved)))
            notices.append(("delivered", "shipment.delivered", {}))
        if done.exception is not None and f"exception:{done.exception.value}" not in moved.notices:
            events.append(
                Event(
                    "shipment.exception",
                    {
                        **_ids(moved),
                        "carrier": moved.last_mile_carrier or moved.carrier,
                        "tracking_number": moved.last_mile_tracking_number or moved.tracking_number,
                        "exception": done.exception.value,
                        "status": moved.status.value,
                        "first_leg_carrier": moved.carrier,
                    },
                )
            )
            notices.append((f"exception:{done.exception.value}", "shipment.exception", {}))
        claimed = {**moved.notices, **{notice: now for notice, _, _ in notices}}
        moved = moved.model_copy(update={"notices": claimed})
        self.parcels.save(ParcelChange(moved, parcel.version, events, new_numbers, delivered_lines))
        self._send(moved, notices, None)
        return ParcelOutcome("moved", moved.parcel_id, moved.status.value)

    # --- what the customer sees ----------------------------------------------------------------------

    def progress_of(self, shop: str, order_id: str, now: datetime) -> tuple[Order, list[Tracked]]:
        """The order and each of its parcels with its estimate and whether it is late now."""
        return ShipmentProgress(self.repo, self.parcels, self.settings).of_order(shop, order_id, now)

    # --- the delay watch -----------------------------------------------------------------------------

    @retry_stale
    def tell_delay(self, shop: str, parcel_id: str, reason: DelayReason, times: TransitTimes | None) -> bool:
        """Claim, publish and send the delay message once per parcel; False if told already."""
        parcel = self.parcels.get(shop, parcel_id)
        if "delayed" in parcel.notices or parcel.final:
            return False
        now = self.clock()
        est = estimate(parcel, times)
        moved = parcel.model_copy(
            update={
                "notices": {**parcel.notices, "delayed": now},
                "version": parcel.version + 1,
                "updated_at": now,
            }
        )
        event = Event(
            "shipment.delayed",
            {
                **_ids(moved),
                "carrier": moved.carrier,
                "reason": reason.value,
                "status": moved.status.value,
                "latest_expected_at": est.latest_at.isoformat() if est.latest_at else None,
            },
        )
        self.parcels.save(ParcelChange(moved, parcel.version, [event]))
        self._send(moved, [("delayed", "shipment.delayed", {})], est)
        return True

    # --- the customer's messages ---------------------------------------------------------------------

    def _send(
        self, parcel: Parcel, notices: list[tuple[str, str, dict[str, str]]], est: Estimate | None
    ) -> None:
        if not notices:
            return
        try:
            order = self.repo.get_order(parcel.shop, parcel.order_id)
        except NotFound:
            return
        for notice, template, values in notices:
            language = _language(order)
            filled = {
                "carrier": parcel.last_mile_carrier or parcel.carrier,
                "tracking_number": parcel.last_mile_tracking_number or parcel.tracking_number,
                "status": status_label(language, parcel.status),
                "reason": exception_label(language, parcel.exception or ExceptionKind.OTHER),
                "eta": eta_sentence(language, est) if est else "",
                "track_url": self.link_for(parcel.shop, parcel.order_id),
                **values,
            }
            message = compose(order, template, f"{parcel.shop}:{parcel.parcel_id}:{notice}", filled)
            try:
                self.notifier.send(order, message)
            except Exception:  # a side channel: logged and counted, never fails the news
                log.exception("shipment message not sent", extra={**_ids(parcel), "notice": notice})


def _language(order: Order) -> str:
    # The email's own language (notify/templates: no Japanese yet), so the status words filled into
    # it match the text around them; the tracking page and the tickets speak every language of
    # domain/shipment_texts.json.
    from boomerang.notify.templates import language_for

    return language_for(order.locale)


def _check_lines(order: Order, lines: list[tuple[str, int]]) -> None:
    details = []
    seen: set[str] = set()
    for n, (line_id, quantity) in enumerate(lines):
        line = order.line(line_id)
        if line is None:
            details.append(
                {"field": f"lines.{n}.line_id", "code": "unknown_line", "message": "Not a line of the order."}
            )
        elif quantity > line.quantity:
            details.append(
                {
                    "field": f"lines.{n}.quantity",
                    "code": "too_many",
                    "message": f"The line has {line.quantity}.",
                }
            )
        if line_id in seen:
            details.append({"field": f"lines.{n}.line_id", "code": "duplicate", "message": "Named twice."})
        seen.add(line_id)
    if details:
        raise Unprocessable(
            "The fulfilment's lines do not match the order.", code="validation_failed", details=details
        )


def _checkpoint(scan: Scan) -> Checkpoint:
    return Checkpoint(
        at=scan.at.astimezone(UTC),
        status=scan.status,
        message=scan.message[:500],
        location=(scan.location or None) and str(scan.location)[:200],
        country=scan.country,
        carrier=scan.carrier[:64],
        tracking_number=scan.tracking_number[:64],
        sub_status=(scan.sub_status or None) and str(scan.sub_status)[:64],
        exception=exception_kind(scan.status, scan.sub_status, scan.message),
    )


def _latest(update: TrackingUpdate) -> list[Checkpoint]:
    """A push that lists no history: its latest status is the one checkpoint."""
    if update.occurred_at is None:
        return []
    return [
        Checkpoint(
            at=update.occurred_at.astimezone(UTC),
            status=update.status,
            message=update.detail[:500],
            carrier=update.carrier[:64],
            tracking_number=update.tracking_number[:64],
            sub_status=update.sub_status,
            exception=exception_kind(update.status, update.sub_status, update.detail),
        )
    ]


def require_api_key(is_customer: bool) -> None:
    if is_customer:
        raise Forbidden("Only the storefront's server may report fulfilments.", code="api_key_required")
