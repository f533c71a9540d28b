"""Every report's SQL on DuckDB over Parquet files in the lake's layout, on constructed events whose
answers are worked out by hand below. Another shop's events, and events outside the range, are in
the same files: no report may count them."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from boomerang.analytics.lake import empty_row, partition_of
from boomerang.analytics.reports import (
    REPORTS,
    ReportQuery,
    ReportResult,
    bind,
    report_sql,
    run_report,
)
from boomerang.domain.errors import NotFound, Unprocessable
from boomerang.domain.tickets import SLA, Priority
from local.lake import LocalLake

SHOP = "acme"
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def at(day: int, hour: float = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, tzinfo=UTC) + timedelta(hours=hour)


def ev(kind: str, when: datetime, shop: str = SHOP, **columns: Any) -> dict[str, Any]:
    row = empty_row()
    row.update(event_id=str(uuid.uuid4()), type=kind, occurred_at=when, **columns)
    row.update(partition_of(shop, when))
    return row


def line(
    sku: str, quantity: int, category: str, reason: str | None = None, amount: int = 1000
) -> dict[str, Any]:
    return {
        "line_id": sku,
        "sku": sku,
        "product": f"Product {sku}",
        "category": category,
        "reason": reason,
        "quantity": quantity,
        "amount": amount * quantity,
    }


def returns_and_orders() -> list[dict[str, Any]]:
    r = "return.requested"
    return [
        # Sold in March: A 10 (US 4, DE 6), B 5 (US 1, DE 4).
        ev(
            "order.imported",
            at(1),
            order_id="o1",
            country="US",
            lines=[line("A", 4, "apparel"), line("B", 1, "electronics")],
        ),
        ev(
            "order.imported",
            at(1, 5),
            order_id="o2",
            country="DE",
            lines=[line("A", 6, "apparel"), line("B", 4, "electronics")],
        ),
        # Not counted: another shop's order on the same day, and one of ours in April.
        ev(
            "order.imported",
            at(1),
            shop="other",
            order_id="x1",
            country="US",
            lines=[line("A", 100, "apparel")],
        ),
        ev("order.imported", at(2, month=4), order_id="o9", country="US", lines=[line("A", 50, "apparel")]),
        # Returned: A 2, B 2.
        ev(
            r,
            at(2),
            rma="R1",
            customer_ref="c1",
            country="US",
            lines=[line("A", 1, "apparel", "size_too_small")],
        ),
        ev(
            r,
            at(3),
            rma="R2",
            customer_ref="c2",
            country="DE",
            lines=[line("A", 1, "apparel", "size_too_small"), line("B", 1, "electronics", "defective")],
        ),
        ev(
            r,
            at(4),
            rma="R3",
            customer_ref="c2",
            country="DE",
            lines=[line("B", 1, "electronics", "defective")],
        ),
        ev(r, at(10), rma="R4", customer_ref="c2", lines=[]),
        ev(r, at(11), rma="R5", customer_ref="c3", lines=[]),
        ev(r, at(12), rma="R6", customer_ref="c4", lines=[]),
        ev(r, at(12), shop="other", rma="X1", customer_ref="c9", lines=[line("A", 9, "apparel", "unwanted")]),
    ]


def journeys() -> list[dict[str, Any]]:
    """What happened to R1..R6 after their requests."""
    ok, staff = {"actor": "policy"}, {"actor": "staff"}
    return [
        # R1: decided by the policy at once, label 1 h, received 72 h, refunded 84 h: no person.
        ev("return.approved", at(2), rma="R1", outcome="approve", **ok),
        ev(
            "return.label_issued",
            at(2, 1),
            rma="R1",
            hub="us-nj",
            label_cost=800,
            origin_cost=1500,
            currency="USD",
        ),
        ev("return.received", at(5), rma="R1", hub="us-nj"),
        ev("refund.succeeded", at(5, 12), rma="R1", amount=4500, currency="USD", method="card"),
        # R2: held for review by a rule, approved by staff at 10 h, paid in store credit.
        ev("return.pending_review", at(3), rma="R2", outcome="review", rules=["high_value_review"], **ok),
        ev("return.approved", at(3, 10), rma="R2", outcome="approve", **staff),
        ev(
            "return.label_issued",
            at(3, 11),
            rma="R2",
            hub="eu-pl",
            label_cost=900,
            origin_cost=2500,
            currency="EUR",
        ),
        ev("return.received", at(7), rma="R2", hub="eu-pl"),
        ev("return.credited", at(7, 6), rma="R2", amount=3000, currency="EUR", method="store_credit"),
        # R3: approved at 2 h, the card refund failed, paid by card in April (696 h).
        ev("return.approved", at(4, 2), rma="R3", outcome="approve", **ok),
        ev(
            "return.label_issued",
            at(4, 3),
            rma="R3",
            hub="us-nj",
            label_cost=700,
            origin_cost=1500,
            currency="USD",
        ),
        ev("refund.failed", at(6), rma="R3", reason="expired_card", method="card"),
        ev("refund.succeeded", at(2, month=4), rma="R3", amount=2000, currency="USD", method="card"),
        # R4: rejected by the policy: no person. R5: its refund failed and was never paid. R6: open.
        ev("return.rejected", at(10), rma="R4", outcome="reject", **ok),
        ev("return.approved", at(11), rma="R5", outcome="approve", **ok),
        ev("refund.failed", at(13), rma="R5", reason="account_closed", method="card"),
        ev("return.approved", at(12), rma="R6", outcome="approve", **ok),
        # Another shop's label and failure: never counted.
        ev(
            "return.label_issued",
            at(12),
            shop="other",
            rma="X1",
            hub="us-nj",
            label_cost=1,
            origin_cost=99999,
        ),
        ev("refund.failed", at(13), shop="other", rma="X1", reason="expired_card"),
    ]


def tickets() -> list[dict[str, Any]]:
    high = {"category": "damaged_item", "language": "en", "priority": "high"}
    return [
        ev("ticket.opened", at(1), ticket_id="T1", **high),
        ev("ticket.replied", at(1, 3), ticket_id="T1", actor="staff"),  # within high's 4 h
        ev("ticket.opened", at(1), ticket_id="T2", **high),
        ev("ticket.replied", at(1, 5), ticket_id="T2", actor="staff"),  # 5 h: late
        ev("ticket.opened", at(2), ticket_id="T3", category="other", language="de", priority="low"),
        ev("ticket.replied", at(2, 1), ticket_id="T3", actor="customer"),  # not a first response
        ev(
            "ticket.opened",
            at(2),
            shop="other",
            ticket_id="X",
            category="other",
            language="fr",
            priority="low",
        ),
    ]


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> LocalLake:
    lake = LocalLake(tmp_path_factory.mktemp("lake"))
    lake.append(returns_and_orders())
    lake.append(journeys())  # a second batch: files are appended, as Firehose does
    lake.append(tickets())
    return lake


def report(lake: LocalLake, name: str, start: date = MARCH[0], end: date = MARCH[1]) -> list[dict[str, Any]]:
    query = ReportQuery.of(name, SHOP, start, end, today=end)
    return run_report(lake.engine(), query).as_json(query)["rows"]


def test_the_files_are_in_firehose_s_layout(lake: LocalLake) -> None:
    dirs = {str(p.parent.relative_to(lake.events_dir)) for p in lake.files()}
    assert "shop=acme/dt=2026-03-01" in dirs
    assert "shop=other/dt=2026-03-12" in dirs
    assert all(re.fullmatch(r"shop=[a-z]+/dt=\d{4}-\d{2}-\d{2}", d) for d in dirs)


def test_return_rate(lake: LocalLake) -> None:
    rows = {
        (r["dimension"], r["value"]): (r["units_sold"], r["units_returned"], r["return_rate"])
        for r in report(lake, "return_rate")
    }
    assert rows == {
        ("sku", "A"): (10, 2, 0.2),
        ("sku", "B"): (5, 2, 0.4),
        ("product", "Product A"): (10, 2, 0.2),
        ("product", "Product B"): (5, 2, 0.4),
        ("category", "apparel"): (10, 2, 0.2),
        ("category", "electronics"): (5, 2, 0.4),
        ("country", "US"): (5, 1, 0.2),
        ("country", "DE"): (10, 3, 0.3),
        # A reason's units over all 15 units sold.
        ("reason", "size_too_small"): (15, 2, 0.1333),
        ("reason", "defective"): (15, 2, 0.1333),
    }


def test_time_to_resolution(lake: LocalLake) -> None:
    rows = report(lake, "time_to_resolution")
    assert [r["stage"] for r in rows] == ["decision", "label", "receipt", "refund"]
    got = {r["stage"]: (r["returns"], r["p50_hours"], r["p90_hours"]) for r in rows}
    # Decision: R1 0 h, R2 10 h, R3 2 h, R4 0 h (rejected), R5 0 h, R6 0 h.
    assert got["decision"] == (6, 0.0, 10.0)
    assert got["label"] == (3, 3.0, 11.0)  # 1, 11, 3
    assert got["receipt"][0] == 2 and got["receipt"][2] == 96.0  # 72, 96
    # R3's refund came in April, after the range: a stage is counted when it comes.
    assert got["refund"] == (3, 102.0, 696.0)  # 84, 102, 696


def test_zero_touch(lake: LocalLake) -> None:
    rows = report(lake, "zero_touch")
    assert rows[0]["reason"] == "zero_touch"
    got = {r["reason"]: (r["returns"], r["share"]) for r in rows}
    assert got == {
        "zero_touch": (2, 0.3333),  # R1 paid, R4 rejected, both by the policy alone
        "refund_failed": (2, 0.3333),  # R3, R5
        "rule:high_value_review": (1, 0.1667),  # R2 ...
        "staff_decision": (1, 0.1667),  # ... which staff then approved
        "open": (1, 0.1667),  # R6
    }


def test_label_savings(lake: LocalLake) -> None:
    rows = report(lake, "label_savings")
    keys = ("hub", "currency", "labels", "label_cost", "origin_cost", "saved", "saved_share")
    assert [tuple(r[k] for k in keys) for r in rows] == [
        ("eu-pl", "EUR", 1, 900, 2500, 1600, 0.64),
        ("us-nj", "USD", 2, 1500, 3000, 1500, 0.5),
    ]


def test_refund_failures_and_how_each_was_paid(lake: LocalLake) -> None:
    rows = report(lake, "refund_failures")
    assert [(r["reason"], r["paid_in_the_end"], r["returns"]) for r in rows] == [
        ("account_closed", "unpaid", 1),
        ("expired_card", "card", 1),
    ]


def test_exchanges_is_empty_until_an_exchange(lake: LocalLake, tmp_path: Path) -> None:
    assert report(lake, "exchanges") == []
    own = LocalLake(tmp_path)
    own.append([*returns_and_orders(), *journeys()])
    own.append([ev("return.exchanged", at(20), rma="R7", amount=5000, currency="USD", method="exchange")])
    rows = report(own, "exchanges")
    # USD only (EUR had no exchange); R3's April refund is outside the range.
    assert rows == [
        {
            "currency": "USD",
            "exchanges": 1,
            "kept_by_exchanges": 5000,
            "refunds": 1,
            "refunded": 4500,
            "credits": 0,
            "credited": 0,
            "kept_share": 0.5263,
        }
    ]


def test_frequent_returners_counts_only(lake: LocalLake) -> None:
    rows = report(lake, "frequent_returners")
    assert rows == [
        {"returns_per_customer": "1", "customers": 3, "returns": 3},  # c1, c3, c4
        {"returns_per_customer": "3-4", "customers": 1, "returns": 3},  # c2
    ]
    assert "customer_ref" not in report_sql("frequent_returners").split("SELECT")[-1]


def test_tickets_volume_and_sla(lake: LocalLake) -> None:
    rows = report(lake, "tickets")
    keys = ("category", "language", "tickets", "first_response_in_sla", "sla_share")
    assert [tuple(r[k] for k in keys) for r in rows] == [
        ("damaged_item", "en", 2, 1, 0.5),
        ("other", "de", 1, 0, 0.0),
    ]


def test_the_ticket_sla_hours_are_the_domain_s() -> None:
    case = re.search(r"CASE o\.priority (.*?) END", report_sql("tickets"), re.S)
    assert case is not None
    in_sql = dict(re.findall(r"WHEN '(\w+)' THEN (\d+)", case.group(1)))
    in_sql["low"] = re.search(r"ELSE (\d+)", case.group(1)).group(1)  # type: ignore[union-attr]
    assert {name: int(hours) for name, hours in in_sql.items()} == {
        p.value: int(SLA[p][0].total_seconds() // 3600) for p in Priority
    }


def test_every_report_runs_on_an_empty_lake(tmp_path: Path) -> None:
    empty = LocalLake(tmp_path)
    for name in REPORTS:
        query = ReportQuery.of(name, SHOP, *MARCH, today=MARCH[1])
        result = run_report(empty.engine(), query)
        assert result.rows == [] and result.columns, name


def test_a_range_limits_what_is_counted(lake: LocalLake) -> None:
    rows = report(lake, "frequent_returners", date(2026, 3, 10), date(2026, 3, 11))
    assert rows == [{"returns_per_customer": "1", "customers": 2, "returns": 2}]  # R4 (c2), R5 (c3)


def test_bind_turns_names_into_positions() -> None:
    sql, values = bind(
        "a = :shop AND b BETWEEN :from AND :to AND c >= :from", {"shop": "s", "from": "1", "to": "2"}
    )
    assert sql == "a = ? AND b BETWEEN ? AND ? AND c >= ?"
    assert values == ["s", "1", "2", "1"]


def test_queries_are_checked() -> None:
    today = date(2026, 3, 31)
    with pytest.raises(NotFound):
        ReportQuery.of("customers_to_block", SHOP, None, None, today)
    with pytest.raises(Unprocessable):
        ReportQuery.of("tickets", SHOP, date(2026, 3, 2), date(2026, 3, 1), today)
    with pytest.raises(Unprocessable):
        ReportQuery.of("tickets", SHOP, date(2025, 1, 1), date(2026, 3, 1), today)
    with pytest.raises(Unprocessable):
        ReportQuery.of("tickets", "a'b", None, None, today)
    earliest = ReportQuery.of("tickets", SHOP, None, date(1, 1, 5), today)  # no day before the first
    assert (earliest.start, earliest.end) == (date(1, 1, 1), date(1, 1, 5))
    default = ReportQuery.of("tickets", SHOP, None, None, today)
    assert (default.start, default.end) == (date(2026, 3, 2), today)


def test_csv_neutralizes_formulas() -> None:
    result = ReportResult("x", ["value", "n"], [["=HYPERLINK(1)", -3], [None, 0.5]])
    assert result.as_csv() == "value,n\r\n'=HYPERLINK(1),-3\r\n,0.5\r\n"
