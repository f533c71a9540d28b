"""The shipping_performance report: outbound parcels' shipment.* events as the service publishes
them, turned into lake rows (lake_row) and written as Parquet in the lake's layout, then the report's
SQL on DuckDB. The answer is worked out by hand below; another shop's events and events outside the
range are in the same files and must not count."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from boomerang.analytics.lake import lake_row
from boomerang.analytics.reports import ReportQuery, run_report
from boomerang.events.catalogue import CATALOGUE
from local.lake import LocalLake

SHOP = "acme"
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def at(day: int, hour: float = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, tzinfo=UTC) + timedelta(hours=hour)


def envelope(kind: str, when: datetime, data: dict[str, Any], shop: str = SHOP) -> dict[str, Any]:
    CATALOGUE[kind][1].model_validate(data)  # shaped as the catalogue documents it
    return {
        "id": str(uuid.uuid4()),
        "type": kind,
        "version": 1,
        "occurred_at": when.isoformat().replace("+00:00", "Z"),
        "shop": shop,
        "data": data,
    }


def lane(parcel: str, origin: str = "CN", destination: str = "US") -> dict[str, Any]:
    return {
        "parcel_id": parcel,
        "order_id": f"o-{parcel}",
        "origin_country": origin,
        "destination_country": destination,
    }


def created(parcel: str, carrier: str, when: datetime, **where: str) -> dict[str, Any]:
    data = {
        **lane(parcel, **where),
        "carrier": carrier,
        "tracking_number": f"T{parcel}",
        "lines": 1,
        "registered": True,
    }
    return envelope("shipment.created", when, data)


def delivered(parcel: str, shipped: datetime, hours: float) -> dict[str, Any]:
    done = shipped + timedelta(hours=hours)
    data = {
        **lane(parcel),
        "delivered_at": done.isoformat(),
        "carrier": "YunExpress",
        "last_mile_carrier": "USPS",
        "shipped_at": shipped.isoformat(),
        "transit_hours": hours,
    }
    return envelope("shipment.delivered", done, data)


def events() -> list[dict[str, Any]]:
    out = [created(p, "YunExpress", at(1 + n)) for n, p in enumerate(("p1", "p2", "p3", "p4"))]
    # Door to door: 200, 240 and 300 hours.
    out += [delivered("p1", at(1), 200), delivered("p2", at(2), 240), delivered("p3", at(3), 300)]
    out.append(
        envelope(
            "shipment.delayed",
            at(20),
            {**lane("p4"), "carrier": "YunExpress", "reason": "past_p90", "status": "in_transit"},
        )
    )
    # Reported by the last mile (USPS) after the hand-over: the lane stays YunExpress's.
    out.append(
        envelope(
            "shipment.exception",
            at(22),
            {
                **lane("p4"),
                "carrier": "USPS",
                "tracking_number": "9400111899223344556677",
                "exception": "customs_hold",
                "status": "exception",
                "first_leg_carrier": "YunExpress",
            },
        )
    )
    out.append(created("p5", "4PX", at(5), destination="DE"))
    out.append(
        envelope(
            "shipment.exception",
            at(15),
            {
                **lane("p5", destination="DE"),
                "carrier": "4PX",
                "tracking_number": "Tp5",
                "exception": "failed_delivery",
                "status": "failure",
            },
        )
    )
    # Not counted: another shop's parcel, and one of ours shipped in April.
    other = created("x1", "YunExpress", at(3))
    out.append({**other, "shop": "other"})
    out.append(created("p6", "YunExpress", at(2, month=4)))
    return out


def test_transit_times_delays_and_exceptions_per_carrier_and_lane(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    rows = [lake_row(e) for e in events()]
    lake.append(rows)
    query = ReportQuery.of("shipping_performance", SHOP, *MARCH, today=MARCH[1])
    answer = run_report(lake.engine(), query).as_json(query)["rows"]
    assert answer == [
        {
            "carrier": "yunexpress",
            "origin_country": "CN",
            "destination_country": "US",
            "shipped": 4,
            "delivered": 3,
            "p50_transit_days": 10.0,  # 240 h
            "p90_transit_days": 12.5,  # 300 h
            "delayed": 1,
            "past_p90": 1,
            "exceptions": 1,
            "customs_holds": 1,
            "failed_deliveries": 0,
            "returned_to_sender": 0,
        },
        {
            "carrier": "4px",
            "origin_country": "CN",
            "destination_country": "DE",
            "shipped": 1,
            "delivered": 0,
            "p50_transit_days": None,
            "p90_transit_days": None,
            "delayed": 0,
            "past_p90": 0,
            "exceptions": 1,
            "customs_holds": 0,
            "failed_deliveries": 1,
            "returned_to_sender": 0,
        },
    ]


def test_a_shipment_row_holds_the_lane_and_no_tracking_number_or_person() -> None:
    row = lake_row(events()[4])  # p1 delivered
    assert (row["carrier"], row["origin_country"], row["destination_country"]) == ("yunexpress", "CN", "US")
    assert row["transit_hours"] == 200.0 and row["order_id"] == "o-p1"
    text = repr(row)
    assert "USPS" not in text and "shipped_at" not in row
    numbers = {
        str(v) for e in events() for k, v in e["data"].items() if "tracking_number" in k and v
    }  # the first leg's and the last mile's
    assert numbers
    for e in events():
        for value in lake_row(e).values():
            assert not (isinstance(value, str) and any(n in value for n in numbers)), (e["type"], value)
    # Nonsense from an event never reaches the lake: a country that is not one, hours out of range.
    odd = envelope("shipment.delivered", at(9), {**lane("p9"), "delivered_at": at(9).isoformat()})
    odd["data"].update(origin_country="China", transit_hours=-3)
    row = lake_row(odd)
    assert row["origin_country"] is None and row["transit_hours"] is None


def test_files_written_before_the_shipment_columns_still_read(tmp_path: Path) -> None:
    import duckdb

    lake = LocalLake(tmp_path)
    lake.append([lake_row(e) for e in events()])
    old = lake.events_dir / "shop=acme" / "dt=2026-03-28"
    old.mkdir(parents=True)
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT 'e-old' AS event_id, 'order.imported' AS type, TIMESTAMP '2026-03-28 10:00:00' AS "
        f"occurred_at, 'o-old' AS order_id) TO '{old}/part_old.parquet' (FORMAT parquet)"
    )
    con.close()
    query = ReportQuery.of("shipping_performance", SHOP, *MARCH, today=MARCH[1])
    assert run_report(lake.engine(), query).rows[0][:5] == ["yunexpress", "CN", "US", 4, 3]
