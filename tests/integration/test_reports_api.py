"""GET /admin/v1/reports/{name}: every report as JSON and as CSV, for the staff member's shop, from
the lake (DuckDB over Parquet files here, as `make local` serves it; Athena in AWS)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from boomerang.analytics.lake import lake_row
from boomerang.analytics.reports import REPORTS
from boomerang.auth.staff import STAFF_GROUPS
from local.apigw_events import LambdaContext, rest_event
from local.lake import LocalLake
from tests.conftest import StaffApi, staff_claims
from tests.unit.test_analytics_reports import SHOP, journeys, returns_and_orders, tickets
from tests.unit.test_shipping_performance import events as shipment_events

MARCH = {"shop": [SHOP], "from": ["2026-03-01"], "to": ["2026-03-31"]}


@pytest.fixture
def lake(admin: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalLake:
    lake = LocalLake(tmp_path)
    lake.append([*returns_and_orders(), *journeys(), *tickets(), *(lake_row(e) for e in shipment_events())])
    monkeypatch.setattr(admin, "reports", lake.engine())
    return lake


def call(staff_api: StaffApi, name: str, query: dict[str, list[str]], **kwargs: Any) -> tuple[int, Any]:
    return staff_api.call("GET", f"/admin/v1/reports/{name}", query=query, **kwargs)


@pytest.mark.parametrize("name", REPORTS)
def test_every_report_answers_json_and_csv(staff_api: StaffApi, lake: LocalLake, name: str) -> None:
    status, out = call(staff_api, name, MARCH)
    assert status == 200, out
    assert (out["report"], out["shop"], out["from"], out["to"]) == (name, SHOP, "2026-03-01", "2026-03-31")
    assert out["columns"] and all(list(row) == out["columns"] for row in out["rows"])
    if name != "exchanges":  # empty until exchanges exist
        assert out["rows"], name
    status, text = call(staff_api, name, {**MARCH, "format": ["csv"]})
    assert status == 200
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == out["columns"]
    assert len(table) == len(out["rows"]) + 1


def test_the_csv_is_a_download_named_after_the_report(
    staff_api: StaffApi, admin: ModuleType, lake: LocalLake
) -> None:
    event = rest_event("GET", "/admin/v1/reports/tickets", resource="/admin/v1/reports/{name}",
                       path_parameters={"name": "tickets"}, query={**MARCH, "format": ["csv"]})  # fmt: skip
    event["requestContext"]["authorizer"] = {"claims": staff_claims("alice", "finance")}
    result = admin.handler(event, LambdaContext(function_name="admin_api"))
    headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
    headers.update({k.lower(): v[0] for k, v in (result.get("multiValueHeaders") or {}).items()})
    assert result["statusCode"] == 200
    assert headers["content-type"].startswith("text/csv")
    assert headers["content-disposition"] == 'attachment; filename="tickets-acme-2026-03-01-2026-03-31.csv"'
    assert result["body"].startswith("category,language,tickets,first_response_in_sla,sla_share\r\n")


def test_the_numbers_are_the_lake_s(staff_api: StaffApi, lake: LocalLake) -> None:
    status, out = call(staff_api, "label_savings", MARCH)
    assert status == 200
    assert [(r["hub"], r["saved"]) for r in out["rows"]] == [("eu-pl", 1600), ("us-nj", 1500)]


@pytest.mark.parametrize("group", STAFF_GROUPS)
def test_every_staff_group_reads_reports(staff_api: StaffApi, lake: LocalLake, group: str) -> None:
    status, out = call(staff_api, "zero_touch", MARCH, groups=group)
    assert status == 200, out


def test_unknown_report_bad_ranges_and_no_shop(staff_api: StaffApi, lake: LocalLake) -> None:
    status, out = call(staff_api, "customers_to_block", MARCH)
    assert status == 404 and out["error"]["code"] == "report_not_found"
    status, out = call(staff_api, "tickets", {**MARCH, "from": ["2026-04-01"]})
    assert status == 422 and out["error"]["details"][0]["code"] == "range_reversed"
    status, out = call(staff_api, "tickets", {**MARCH, "from": ["2024-01-01"]})
    assert status == 422 and out["error"]["details"][0]["code"] == "range_too_long"
    status, out = call(staff_api, "tickets", {**MARCH, "from": ["yesterday"]})
    assert status == 422 and out["error"]["code"] == "validation_failed"
    status, out = call(staff_api, "tickets", {"from": ["2026-03-01"]})
    assert status == 422 and out["error"]["code"] == "validation_failed"
    status, out = call(staff_api, "tickets", {**MARCH, "format": ["xlsx"]})
    assert status == 422
    status, out = call(staff_api, "tickets", MARCH, anonymous=True)
    assert status == 401


def test_another_shop_sees_only_its_own(staff_api: StaffApi, lake: LocalLake) -> None:
    status, out = call(staff_api, "frequent_returners", {**MARCH, "shop": ["other"]})
    assert status == 200
    assert out["rows"] == [{"returns_per_customer": "1", "customers": 1, "returns": 1}]


def test_without_an_engine_reports_are_unavailable(
    staff_api: StaffApi, admin: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin, "reports", None)
    status, out = call(staff_api, "tickets", MARCH)
    assert status == 503 and out["error"]["code"] == "reports_unavailable"
