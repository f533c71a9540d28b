"""The dashboard: a shop's reports over the analytics lake as charts drawn on the server (inline SVG,
each with its table), and each report as a CSV download. The same library as the admin API's
`GET /admin/v1/reports/{name}` (boomerang.analytics.reports, never the API over HTTP), with its
permission and the same shop scoping: Athena in AWS, DuckDB over the local lake on `make local`.

    GET /admin/dashboard?shop=&from=&to=     default: the member's first shop, the last 30 days
    GET /admin/reports/{name}?shop=&from=&to= one report as CSV (a browser's session, not a bearer token)

Dates are `yyyy-mm-dd`: anything else, a reversed range or one over a report's limit answers the page
with 400 and what is wrong; another shop's data answers 404, as a shop that does not exist.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from boomerang.analytics.reports import (
    MAX_RANGE_DAYS,
    ReportQuery,
    ReportResult,
    ReportsUnavailable,
    run_report,
)
from boomerang.auth.staff import StaffMember
from boomerang.domain.errors import BadRequest, NotFound, Unprocessable
from boomerang.web import pages
from boomerang.web.console import pages as console
from boomerang.web.console.dashboard import DASHBOARD_REPORTS, GEOMETRY, Writer, charts
from boomerang.web.console.pages import N_
from boomerang.web.deps import deps
from boomerang.web.i18n import BABEL_LOCALES, translations

router = Router()  # type: ignore[no-untyped-call]
REPORT = ("GET", "/admin/v1/reports/{name}")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Athena answers each query in seconds: the reports run side by side (Athena queues what is over its
# concurrency), within API Gateway's 29 s and the function's 28 s (infra/cdk/constructs/web_pages.py).
PARALLEL = 9
BAD_DATE = N_("Write dates as yyyy-mm-dd, for example 2026-03-31.")
REVERSED = N_("The first day is after the last day.")
TOO_LONG = N_("A dashboard covers at most %(days)s days.")


class BadRange(Exception):
    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.message, self.field = message, field


def _day(text: str | None, field: str) -> date | None:
    if not text:
        return None
    if not DAY.fullmatch(text.strip()):
        raise BadRange(BAD_DATE, field)
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadRange(BAD_DATE, field) from None


def _query(member: StaffMember, name: str, wanted: dict[str, str], today: date) -> ReportQuery:
    """A checked report query for a shop the member reaches (404 otherwise) and the asked range."""
    console.require_group(member, *REPORT)
    shop = wanted.get("shop", "") or next(iter(console.shops_of(member)), "")
    if not shop:
        raise NotFound("No shop to show.", code="shop_not_found")
    console.reach(member, shop[:128], code="shop_not_found")
    start, end = _day(wanted.get("from"), "from"), _day(wanted.get("to"), "to")
    try:
        return ReportQuery.of(name, shop, start, end, today)
    except Unprocessable as exc:
        code = (exc.details or [{}])[0].get("code")
        if code == "range_reversed":
            raise BadRange(REVERSED, "from") from None
        if code == "range_too_long":
            raise BadRange(TOO_LONG, "from") from None
        raise NotFound("No such shop.", code="shop_not_found") from None  # not a shop id


def run_all(query: ReportQuery) -> dict[str, ReportResult]:
    """Every report of the dashboard for the query's shop and range, side by side."""
    engine = deps().console.reports
    if engine is None:
        raise ReportsUnavailable("Reports are not configured in this deployment (no Athena workgroup).")
    queries = [ReportQuery(name, query.shop, query.start, query.end) for name in DASHBOARD_REPORTS]
    scoped = getattr(engine, "scoped", None)
    if scoped is not None:  # DuckDB on this machine (local/lake.py): the shop's rows read once for all
        with scoped(query.shop, query.start.isoformat()) as one:
            return {q.name: run_report(one, q) for q in queries}
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        results = list(pool.map(lambda q: run_report(engine, q), queries))
    return {r.name: r for r in results}


@router.get("/admin/dashboard")
def get_dashboard() -> Response[str]:
    found = console.signed_in(router)
    if isinstance(found, Response):
        return found
    d = deps()
    wanted = pages.query(router)
    page = console.page_of(router, found, "dashboard")
    shops = console.shops_of(found.member)
    form: dict[str, Any] = {
        "shop": wanted.get("shop", ""),
        "start": wanted.get("from", ""),
        "end": wanted.get("to", ""),
    }
    try:
        query = _query(found.member, DASHBOARD_REPORTS[0], wanted, d.clock().date())
    except BadRange as bad:
        d.logger.info("dashboard range refused", extra={"field": bad.field})
        return console.html(
            page, "dashboard.html", status=400, shops=shops, form=form, charts=[], error=bad.message,
            error_field=bad.field, days=MAX_RANGE_DAYS,
        )  # fmt: skip
    started = time.perf_counter()
    results = run_all(query)
    d.logger.append_keys(shop=query.shop)
    d.logger.info("dashboard shown", extra={"ms": round((time.perf_counter() - started) * 1000)})
    writer = Writer(BABEL_LOCALES.get(page.language, "en_US"), translations(page.language, "console").gettext)
    form = {"shop": query.shop, "start": query.start.isoformat(), "end": query.end.isoformat()}
    downloads = {
        name: page.url(f"/reports/{name}", shop=query.shop, **{"from": form["start"], "to": form["end"]})
        for name in DASHBOARD_REPORTS
    }
    return console.html(
        page, "dashboard.html", shops=shops, form=form, charts=charts(results, writer), downloads=downloads,
        days=MAX_RANGE_DAYS, geometry=GEOMETRY,
    )  # fmt: skip


@router.get("/admin/reports/<name>")
def get_report_csv(name: str) -> Response[str]:
    found = console.signed_in(router)
    if isinstance(found, Response):
        return found
    d = deps()
    try:
        query = _query(found.member, name[:64], pages.query(router), d.clock().date())
    except BadRange as bad:
        raise BadRequest(bad.message, code="validation_failed") from None
    engine = d.console.reports
    if engine is None:
        raise ReportsUnavailable("Reports are not configured in this deployment (no Athena workgroup).")
    result = run_report(engine, query)
    d.logger.info("report downloaded", extra={"report": query.name, "shop": query.shop})
    filename = f"{query.name}-{query.shop}-{query.start}-{query.end}.csv"
    return Response(
        status_code=200,
        content_type="text/csv; charset=utf-8",
        body=result.as_csv(),
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
