"""Outbound parcels in the domain: the providers' documented pushes read into checkpoints, one
status per parcel that never moves backwards, exceptions by kind, transit percentiles, delays."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from boomerang.carriers.tracking import TrackingStatus as T
from boomerang.carriers.tracking import read_17track, read_aftership, update_as_dict, update_from_dict
from boomerang.domain.shipments import (
    Checkpoint,
    DelayReason,
    ExceptionKind,
    Parcel,
    ParcelLine,
    delay,
    estimate,
    exception_kind,
    percentile,
    record,
    transit_times,
)
from boomerang.services.shipments.service import _checkpoint

SAMPLES = Path(__file__).resolve().parents[2] / "events" / "samples" / "carriers"
YT = "YT2433512345678901"
USPS = "9400111899223344556677"
NOW = datetime(2026, 3, 10, tzinfo=UTC)


def sample(name: str) -> dict:
    return json.loads((SAMPLES / f"{name}.json").read_text())


def parcel(**changes: object) -> Parcel:
    at = datetime(2026, 3, 2, tzinfo=UTC)
    base = Parcel(
        shop="demo",
        parcel_id="pcl_1",
        order_id="5001",
        tracking_number=YT,
        carrier="YunExpress",
        lines=[ParcelLine(line_id="5001-1", quantity=1)],
        origin_country="CN",
        destination_country="US",
        shipped_at=at,
        created_at=at,
        updated_at=at,
    )
    return base.model_copy(update=changes)


def checkpoints_of(name: str) -> tuple[list[Checkpoint], tuple[str, str] | None]:
    body = sample(name)
    update = read_17track(body) if name.startswith("17track") else read_aftership(body)
    assert update is not None
    # What the webhook function keeps under the event's idempotency key reads back the same.
    assert update_from_dict(json.loads(json.dumps(update_as_dict(update)))) == update
    last_mile = (update.last_mile_carrier or "", update.last_mile_number) if update.last_mile_number else None
    return [_checkpoint(s) for s in update.scans], last_mile


def test_17track_push_reads_every_carriers_events_and_the_last_mile() -> None:
    update = read_17track(sample("17track_outbound_handover"))
    assert update is not None
    assert (update.last_mile_carrier, update.last_mile_number) == ("USPS", USPS)
    assert [s.status for s in update.scans] == [
        T.PRE_TRANSIT,
        T.IN_TRANSIT,
        T.IN_TRANSIT,
        T.IN_TRANSIT,
        T.IN_TRANSIT,
    ]
    last = update.scans[-1]
    assert (last.carrier, last.tracking_number, last.location, last.country) == (
        "USPS",
        USPS,
        "Los Angeles",
        "US",
    )
    assert update.scans[0].tracking_number == YT  # YunExpress's events under its own number


def test_aftership_push_reads_checkpoints_and_last_mile() -> None:
    update = read_aftership(sample("aftership_outbound_last_mile"))
    assert update is not None
    assert (update.last_mile_carrier, update.last_mile_number) == ("usps", USPS)
    assert [s.carrier for s in update.scans] == ["yunexpress", "yunexpress", "yunexpress", "usps"]
    assert update.scans[-1].tracking_number == USPS and update.scans[0].tracking_number == YT
    failed = read_aftership(sample("aftership_outbound_failed_attempt"))
    assert failed is not None and failed.status is T.FAILURE and failed.scans[-1].status is T.FAILURE


def test_handover_then_delivered_moves_forward_and_records_the_last_mile() -> None:
    cps, last_mile = checkpoints_of("17track_outbound_in_transit")
    first = record(parcel(), cps, NOW, last_mile)
    assert first.changed and first.parcel.status is T.IN_TRANSIT and not first.handed_over
    cps, last_mile = checkpoints_of("17track_outbound_handover")
    handed = record(first.parcel, cps, NOW, last_mile)
    assert handed.handed_over
    assert (handed.parcel.last_mile_carrier, handed.parcel.last_mile_tracking_number) == ("USPS", USPS)
    cps, last_mile = checkpoints_of("17track_outbound_delivered")
    done = record(handed.parcel, cps, NOW, last_mile)
    assert done.delivered and done.parcel.status is T.DELIVERED
    assert done.parcel.delivered_at == datetime(2026, 3, 9, 19, 21, tzinfo=UTC)
    assert len(done.parcel.checkpoints) == 7  # each scan once, though every push repeats the history


def test_repeated_and_late_news_never_move_a_parcel_backwards() -> None:
    cps, last_mile = checkpoints_of("17track_outbound_delivered")
    delivered = record(parcel(), cps, NOW, last_mile).parcel
    # The same push again, an older one, and a late exception: nothing changes once delivered.
    for name in (
        "17track_outbound_delivered",
        "17track_outbound_in_transit",
        "17track_outbound_customs_hold",
    ):
        again, mile = checkpoints_of(name)
        assert not record(delivered, again, NOW, mile).changed
    late = Checkpoint(at=NOW + timedelta(days=1), status=T.IN_TRANSIT, message="Sorting", carrier="USPS")
    assert not record(delivered, [late], NOW).changed


def test_an_older_checkpoint_joins_the_history_but_decides_nothing() -> None:
    newest = Checkpoint(at=NOW, status=T.OUT_FOR_DELIVERY, message="Out for delivery")
    moving = record(parcel(), [newest], NOW).parcel
    older = Checkpoint(at=NOW - timedelta(days=2), status=T.IN_TRANSIT, message="Departed")
    after = record(moving, [older], NOW)
    assert after.changed and after.parcel.status is T.OUT_FOR_DELIVERY
    assert [c.message for c in after.parcel.checkpoints] == ["Departed", "Out for delivery"]
    # A newer scan of a lower rank (back at the depot) keeps the progress made.
    depot = Checkpoint(at=NOW + timedelta(hours=5), status=T.IN_TRANSIT, message="Back at depot")
    assert record(moving, [depot], NOW).parcel.status is T.OUT_FOR_DELIVERY


def test_exception_by_kind_and_cleared_by_newer_movement() -> None:
    cps, mile = checkpoints_of("17track_outbound_customs_hold")
    held = record(parcel(), cps, NOW, mile)
    assert held.parcel.status is T.EXCEPTION and held.exception is ExceptionKind.CUSTOMS_HOLD
    released = Checkpoint(at=NOW, status=T.IN_TRANSIT, message="Released by customs")
    moving = record(held.parcel, [released], NOW)
    assert (
        moving.parcel.status is T.IN_TRANSIT and moving.parcel.exception is None and moving.exception is None
    )


@pytest.mark.parametrize(
    ("status", "sub", "text", "kind"),
    [
        (T.RETURN_TO_SENDER, None, "", ExceptionKind.RETURNED_TO_SENDER),
        (T.EXCEPTION, "Exception_Security", "", ExceptionKind.CUSTOMS_HOLD),
        (T.EXCEPTION, None, "Held at customs", ExceptionKind.CUSTOMS_HOLD),
        (T.FAILURE, "DeliveryFailure_InvalidAddress", "", ExceptionKind.ADDRESS),
        (T.FAILURE, "AttemptFail_001", "Notice left", ExceptionKind.FAILED_DELIVERY),
        (T.EXCEPTION, "Exception_Other", "Damaged", ExceptionKind.OTHER),
        (T.IN_TRANSIT, None, "customs cleared", None),
    ],
)
def test_exception_kinds(status: T, sub: str | None, text: str, kind: ExceptionKind | None) -> None:
    assert exception_kind(status, sub, text) is kind


def test_transit_percentiles_estimate_and_delay() -> None:
    assert percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 50) == 50
    assert percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 90) == 90
    lane = ("yunexpress", "CN", "US")
    assert not transit_times(lane, [100.0] * 4).known  # too few deliveries to say
    times = transit_times(lane, [d * 24.0 for d in (7, 8, 8, 9, 9, 10, 10, 11, 14, 20)])
    assert (times.p50_hours, times.p90_hours) == (9 * 24.0, 14 * 24.0)
    p = parcel()
    est = estimate(p, times)
    assert est.expected_at == p.shipped_at + timedelta(days=9) and est.latest_at == p.shipped_at + timedelta(
        days=14
    )
    moving = p.model_copy(update={"status": T.IN_TRANSIT, "status_at": p.shipped_at + timedelta(days=10)})
    assert delay(moving, times, p.shipped_at + timedelta(days=12), quiet_days=5) is None
    assert delay(moving, times, p.shipped_at + timedelta(days=15), quiet_days=5) is DelayReason.PAST_P90
    assert delay(moving, None, p.shipped_at + timedelta(days=16), quiet_days=5) is DelayReason.NO_NEWS
    assert (
        delay(moving.model_copy(update={"status": T.DELIVERED}), times, NOW + timedelta(days=60), 5) is None
    )
