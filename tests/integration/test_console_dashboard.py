"""The console's dashboard (/admin/dashboard) and its CSV downloads (/admin/reports/{name}), through
the web handler, signed in as in test_console.py, over a lake of Parquet files read by DuckDB (as
`make local` serves it) seeded with the hand-checked events of tests/unit/test_analytics_reports.py.
The figures on the page are the reports' (the same library as GET /admin/v1/reports/{name})."""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from boomerang.analytics.lake import lake_row
from boomerang.analytics.reports import ReportQuery, run_report
from local.lake import LocalLake
from tests.integration.test_console import (  # the fixtures, by name
    TokenEndpoint,
    endpoint,
    header,
    location,
    staff,
    web,
)
from tests.unit.test_analytics_reports import SHOP, journeys, returns_and_orders, tickets
from tests.unit.test_shipping_performance import events as shipment_events

MARCH = "from=2026-03-01&to=2026-03-31"
_ = (endpoint, web)  # fixtures


@pytest.fixture
def lake(
    web: ModuleType, endpoint: TokenEndpoint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> LocalLake:
    lake = LocalLake(tmp_path)
    lake.append([*returns_and_orders(), *journeys(), *tickets(), *(lake_row(e) for e in shipment_events())])
    monkeypatch.setattr(web.console, "reports", lake.engine())
    return lake


def section(page: str, report: str) -> str:
    """One chart's section of the page."""
    found = re.search(rf'<section class="chart" aria-labelledby="{report}-title">(.*?)</section>', page, re.S)
    assert found, f"no {report} chart"
    return found.group(1)


def table(part: str) -> list[list[str]]:
    """A section's table, cell by cell, as text."""
    body = part.split("<tbody>")[1].split("</tbody>")[0]
    return [
        [html.unescape(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def report(lake: LocalLake, name: str, shop: str = SHOP) -> list[dict[str, object]]:
    query = ReportQuery.of(name, shop, date(2026, 3, 1), date(2026, 3, 31), today=date(2026, 3, 31))
    return run_report(lake.engine(), query).as_json(query)["rows"]


def test_the_dashboard_shows_every_report_as_a_chart_with_its_table(
    web: ModuleType, endpoint: TokenEndpoint, lake: LocalLake
) -> None:
    browser = staff(web, endpoint, shops=SHOP, groups=["support"])
    answer = browser.get(f"/admin/dashboard?shop={SHOP}&{MARCH}")
    assert answer["statusCode"] == 200, answer["body"]
    page = answer["body"]
    assert page.count('<section class="chart"') == 9
    assert 'href="/admin/dashboard" aria-current="page"' in page  # in the navigation
    main = page.split('<main id="main"')[1]
    assert "<script" not in main and main.count('role="img"') == 8  # exchanges: no data yet

    rates = [r for r in report(lake, "return_rate") if r["dimension"] == "category"]
    assert (
        table(section(page, "return_rate"))
        == [
            [
                r["value"],
                str(r["units_sold"]),
                str(r["units_returned"]),
                f"{100 * float(r['return_rate']):.1f}%",
            ]
            for r in sorted(rates, key=lambda r: -float(r["return_rate"]))
        ]
        == [["electronics", "5", "2", "40.0%"], ["apparel", "10", "2", "20.0%"]]
    )

    stages = {r["stage"]: r for r in report(lake, "time_to_resolution")}
    names = {"decision": "Decision", "label": "Label", "receipt": "Receipt", "refund": "Refund"}
    assert table(section(page, "time_to_resolution")) == [
        [
            name,
            str(stages[key]["returns"]),
            f"{stages[key]['p50_hours']:.1f}",
            f"{stages[key]['p90_hours']:.1f}",
        ]
        for key, name in names.items()
    ]
    assert table(section(page, "time_to_resolution"))[3] == ["Refund", "3", "102.0", "696.0"]

    zero = table(section(page, "zero_touch"))
    assert zero[0] == ["No person involved", "2", "33.3%"]
    assert ["Rule: high_value_review", "1", "16.7%"] in zero and len(zero) == len(report(lake, "zero_touch"))

    savings = section(page, "label_savings")
    assert table(savings) == [
        ["eu-pl", "1", "€9.00", "€25.00", "€16.00", "64.0%"],
        ["us-nj", "2", "$15.00", "$30.00", "$15.00", "50.0%"],
    ]
    assert 'fill="#1f4e79"' in savings and 'fill="#8a4500"' in savings  # label cost, cost to the origin

    assert table(section(page, "refund_failures")) == [
        ["account closed", "unpaid", "1"],
        ["expired card", "card", "1"],
    ]
    assert "No data in this range." in section(page, "exchanges")
    assert table(section(page, "frequent_returners")) == [["1", "3", "3"], ["3-4", "1", "3"]]
    assert table(section(page, "tickets")) == [
        ["damaged item", "en", "2", "1", "50.0%"],
        ["other", "de", "1", "0", "0.0%"],
    ]
    lanes = report(lake, "shipping_performance")
    shipping = table(section(page, "shipping_performance"))
    assert len(shipping) == len(lanes) and lanes
    assert [row[:5] for row in shipping] == [
        [r["carrier"], r["origin_country"], r["destination_country"], str(r["shipped"]), str(r["delivered"])]
        for r in lanes
    ]


def test_each_chart_has_a_text_alternative_and_a_csv_link(
    web: ModuleType, endpoint: TokenEndpoint, lake: LocalLake
) -> None:
    browser = staff(web, endpoint, shops=SHOP, groups=["finance"])
    page = browser.get(f"/admin/dashboard?shop={SHOP}&{MARCH}")["body"]
    part = section(page, "tickets")
    assert 'aria-labelledby="tickets-title tickets-summary tickets-note"' in part
    assert 'id="tickets-summary"' in part and 'id="tickets-note"' in part
    link = html.unescape(re.search(r'<a href="([^"]+)" download', part).group(1))  # type: ignore[union-attr]
    assert link == f"/admin/reports/tickets?shop={SHOP}&from=2026-03-01&to=2026-03-31"
    csv = browser.get(link)
    assert csv["statusCode"] == 200
    assert header(csv, "Content-Type").startswith("text/csv")
    name = f"tickets-{SHOP}-2026-03-01-2026-03-31.csv"
    assert header(csv, "Content-Disposition") == f'attachment; filename="{name}"'
    query = ReportQuery.of("tickets", SHOP, date(2026, 3, 1), date(2026, 3, 31), today=date(2026, 3, 31))
    assert csv["body"] == run_report(lake.engine(), query).as_csv()


def test_the_page_speaks_the_staff_member_s_language(
    web: ModuleType, endpoint: TokenEndpoint, lake: LocalLake
) -> None:
    browser = staff(web, endpoint, shops=SHOP)
    page = browser.get(f"/admin/dashboard?shop={SHOP}&{MARCH}&lang=de")["body"]
    assert "Retourenquote nach Kategorie" in page
    assert table(section(page, "return_rate"))[0] == ["electronics", "5", "2", "40,0\xa0%"]
    assert ["eu-pl", "1", "9,00\xa0€", "25,00\xa0€", "16,00\xa0€", "64,0\xa0%"] in table(
        section(page, "label_savings")
    )


def test_a_member_sees_only_the_shops_they_work_for(
    web: ModuleType, endpoint: TokenEndpoint, lake: LocalLake
) -> None:
    browser = staff(web, endpoint, shops=SHOP)
    page = browser.get(f"/admin/dashboard?{MARCH}")["body"]  # no shop: their first
    assert f'<option value="{SHOP}" selected>' in page and 'value="other"' not in page
    for path in (f"/admin/dashboard?shop=other&{MARCH}", f"/admin/reports/tickets?shop=other&{MARCH}"):
        refused = browser.get(path)
        assert refused["statusCode"] == 404 and header(refused, "X-Error-Code") == "shop_not_found", path
    assert browser.get(f"/admin/reports/customers_to_block?shop={SHOP}&{MARCH}")["statusCode"] == 404
    # Staff of every shop read the other shop's figures, and only its own.
    everyone = staff(web, endpoint, shops="*")
    other = everyone.get(f"/admin/dashboard?shop=other&{MARCH}")
    assert other["statusCode"] == 200
    assert table(section(other["body"], "frequent_returners")) == [["1", "1", "1"]]
    assert table(section(other["body"], "return_rate")) == [["apparel", "100", "9", "9.0%"]]  # x1 and X1


@pytest.mark.parametrize(
    "query, field",
    [
        ("from=yesterday&to=2026-03-31", "from"),
        ("from=2026-03-01&to=2026-02-30", "to"),
        ("from=2026-04-01&to=2026-03-31", "from"),  # reversed
        ("from=2024-01-01&to=2026-03-31", "from"),  # over a report's 370 days
    ],
)
def test_bad_dates_answer_400_and_say_what_is_wrong(
    web: ModuleType, endpoint: TokenEndpoint, lake: LocalLake, query: str, field: str
) -> None:
    browser = staff(web, endpoint, shops=SHOP)
    answer = browser.get(f"/admin/dashboard?shop={SHOP}&{query}")
    assert answer["statusCode"] == 400
    page = answer["body"]
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page)
    assert 'role="alert"' in page and '<section class="chart"' not in page
    assert browser.get(f"/admin/reports/tickets?shop={SHOP}&{query}")["statusCode"] == 400


def test_the_default_range_is_the_last_30_days(
    web: ModuleType, endpoint: TokenEndpoint, lake: LocalLake
) -> None:
    browser = staff(web, endpoint, shops=SHOP)
    page = browser.get(f"/admin/dashboard?shop={SHOP}")["body"]
    today = web.clock().date()
    start = date.fromordinal(today.toordinal() - 29)
    assert f'id="from" name="from" value="{start.isoformat()}"' in page
    assert f'id="to" name="to" value="{today.isoformat()}"' in page


def test_signed_out_goes_to_sign_in_and_no_engine_is_503(
    web: ModuleType, endpoint: TokenEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.integration.test_console import Browser

    out = Browser(web).get(f"/admin/dashboard?shop={SHOP}")
    assert out["statusCode"] == 303 and "/admin/sign-in?next=" in location(out)
    monkeypatch.setattr(web.console, "reports", None)
    browser = staff(web, endpoint, shops=SHOP)
    unavailable = browser.get(f"/admin/dashboard?shop={SHOP}&{MARCH}")
    assert unavailable["statusCode"] == 503 and header(unavailable, "X-Error-Code") == "reports_unavailable"


class RunOnly:
    """An engine with `run` only, as Athena's: the reports run side by side, each on its own."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def run(self, sql: str, parameters: list[str]) -> tuple[list[str], list[list[Any]]]:
        return self.engine.run(sql, parameters)  # type: ignore[no-any-return]


def test_side_by_side_reports_show_the_same_page_as_the_shop_s_rows_read_once(
    web: ModuleType, endpoint: TokenEndpoint, lake: LocalLake, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = staff(web, endpoint, shops=SHOP)
    path = f"/admin/dashboard?shop={SHOP}&{MARCH}"
    once = browser.get(path)["body"]
    monkeypatch.setattr(web.console, "reports", RunOnly(lake.engine()))
    side_by_side = browser.get(path)["body"]
    main = lambda page: page.split('<main id="main"')[1].split('<section class="chart"', 1)[1]  # noqa: E731
    assert main(side_by_side) == main(once)
