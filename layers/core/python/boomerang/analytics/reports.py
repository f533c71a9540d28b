"""The reports: one SQL file each (analytics/sql/<name>.sql), for a shop and a date range.

The same files run on Athena (the lake in S3, analytics/athena.py) and on DuckDB (the same Parquet
layout on this machine, local/lake.py). They are written in Athena's dialect (Trino) within what
DuckDB also reads; the one function DuckDB lacks, `approx_percentile`, it gets as a macro.

A file names its parameters `:shop`, `:from` and `:to` (dates, `yyyy-mm-dd`, both included); `bind`
turns them into positional `?` with their values in order, which both engines take.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any, Protocol

from boomerang.domain.errors import DomainError, NotFound, Unprocessable

REPORTS: tuple[str, ...] = (
    "return_rate",
    "time_to_resolution",
    "zero_touch",
    "label_savings",
    "refund_failures",
    "exchanges",
    "frequent_returners",
    "tickets",
    "shipping_performance",
)
# Bounds a query's scan (and Athena's bill): a report covers at most a year and a few days.
MAX_RANGE_DAYS = 370
_PARAMETER = re.compile(r":(shop|from|to)\b")
SHOP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class ReportsUnavailable(DomainError):
    """The query engine failed, timed out or is not configured: the caller may retry."""

    code = "reports_unavailable"
    http_status = 503


@dataclass(frozen=True)
class ReportQuery:
    name: str
    shop: str
    start: date
    end: date

    @classmethod
    def of(cls, name: str, shop: str, start: date | None, end: date | None, today: date) -> ReportQuery:
        """A checked query: a known report, a shop id, and a range (by default the last 30 days)."""
        if name not in REPORTS:
            raise NotFound(f"No report named {name!r}.", code="report_not_found")
        if not SHOP_ID.fullmatch(shop):
            raise _invalid("query.shop", "invalid_shop", "Not a shop id.")
        end = end or today
        start = start or date.fromordinal(max(1, end.toordinal() - 29))
        if start > end:
            raise _invalid("query.from", "range_reversed", "`from` is after `to`.")
        if (end - start).days >= MAX_RANGE_DAYS:
            raise _invalid("query.from", "range_too_long", f"A report covers at most {MAX_RANGE_DAYS} days.")
        return cls(name, shop, start, end)

    def parameters(self) -> dict[str, str]:
        return {"shop": self.shop, "from": self.start.isoformat(), "to": self.end.isoformat()}


def _invalid(field: str, code: str, message: str) -> Unprocessable:
    return Unprocessable(
        message, code="validation_failed", details=[{"field": field, "code": code, "message": message}]
    )


def report_sql(name: str) -> str:
    if name not in REPORTS:
        raise KeyError(name)
    return resources.files("boomerang.analytics").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")


def bind(sql: str, values: dict[str, str]) -> tuple[str, list[str]]:
    """`:shop`, `:from`, `:to` -> `?`, with the values in the order they appear."""
    ordered: list[str] = []

    def take(match: re.Match[str]) -> str:
        ordered.append(values[match.group(1)])
        return "?"

    return _PARAMETER.sub(take, sql), ordered


@dataclass(frozen=True)
class ReportResult:
    name: str
    columns: list[str]
    rows: list[list[Any]]

    def as_json(self, query: ReportQuery) -> dict[str, Any]:
        return {
            "report": self.name,
            "shop": query.shop,
            "from": query.start.isoformat(),
            "to": query.end.isoformat(),
            "columns": self.columns,
            "rows": [dict(zip(self.columns, row, strict=True)) for row in self.rows],
        }

    def as_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow(_csv_cell(v) for v in row)
        return out.getvalue()


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    # Spreadsheets run a cell starting with these as a formula (CSV injection): quote it as text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _number(text) else text


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class ReportEngine(Protocol):
    """Runs one report's SQL with positional parameters: Athena in AWS, DuckDB on this machine."""

    def run(self, sql: str, parameters: list[str]) -> tuple[list[str], list[list[Any]]]: ...


def run_report(engine: ReportEngine, query: ReportQuery) -> ReportResult:
    sql, values = bind(report_sql(query.name), query.parameters())
    columns, rows = engine.run(sql, values)
    return ReportResult(query.name, columns, rows)
