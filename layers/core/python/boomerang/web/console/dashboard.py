"""The dashboard's charts, from the reports' rows (boomerang.analytics.reports): what each report shows
a merchant, as horizontal bars drawn on the server (templates/chart.html, inline SVG, no script) and
the same figures as a table for screen readers and for reading exact values.

Plain data in, plain data out: the route runs the reports, this turns their rows into `Chart`s with
every number already written as the page's language writes it (babel).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from copy import copy
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel import Locale
from babel.numbers import format_currency, format_decimal, get_currency_precision

from boomerang.analytics.reports import ReportResult
from boomerang.web.console.pages import N_

MAX_BARS = 12  # the chart shows the first rows; the table and the CSV hold them all
MAX_TABLE_ROWS = 200
# The charts' geometry, in the SVG's own units (it scales to the page's width).
WIDTH, LABEL_WIDTH, VALUE_WIDTH, BAR_HEIGHT, GAP, TOP = 720, 250, 100, 16, 12, 8
BAR_AREA = WIDTH - LABEL_WIDTH - VALUE_WIDTH
# Series colours: each at least 4.5:1 on white (WCAG 1.4.11 asks 3:1 of graphics; the legend's text
# beside them is the console's own colour). Blue, brown, green.
COLOURS = ("#1f4e79", "#8a4500", "#1e6b32")
LABEL_CHARS = 30  # about 240 units of 13-unit text: a longer label is cut (the table has it whole)
NONE = "\N{EN DASH}"  # a cell with no value
GEOMETRY = {"width": WIDTH, "label_x": LABEL_WIDTH - 8, "bar_x": LABEL_WIDTH, "bar_height": BAR_HEIGHT}


@dataclass(frozen=True)
class Bar:
    label: str
    values: list[float]
    texts: list[str]


@dataclass(frozen=True)
class Chart:
    report: str
    title: str  # an N_ message: the template translates it
    summary: str  # an N_ message: what the bars measure
    series: list[str]  # N_ messages, one per value of a bar
    bars: list[Bar]
    headers: list[str]  # N_ messages: the table's columns
    rows: list[list[str]]  # the table's cells, written out
    more: int = 0  # rows the chart leaves out (the table has them)

    def drawn(self) -> list[dict[str, Any]]:
        """Each bar's rectangles and texts, in SVG units: one band per bar, one row per series."""
        top = max((v for bar in self.bars for v in bar.values), default=0.0)
        band = BAR_HEIGHT * len(self.series) + GAP
        out = []
        for i, bar in enumerate(self.bars):
            y = TOP + i * band
            rects = []
            for j, (value, text) in enumerate(zip(bar.values, bar.texts, strict=True)):
                width = 0.0 if top <= 0 or value <= 0 else max(1.0, round(BAR_AREA * value / top, 1))
                rects.append({"y": y + j * BAR_HEIGHT, "width": width, "text": text, "colour": COLOURS[j]})
            label = bar.label if len(bar.label) <= LABEL_CHARS else bar.label[: LABEL_CHARS - 1] + "…"
            out.append({"label": label, "y": y, "mid": y + band / 2 - GAP / 2 + 4, "rects": rects})
        return out

    @property
    def height(self) -> int:
        return TOP * 2 + len(self.bars) * (BAR_HEIGHT * len(self.series) + GAP)

    @property
    def legend(self) -> list[tuple[str, str]]:
        return [(name, COLOURS[i]) for i, name in enumerate(self.series)]


class Writer:
    """Numbers, shares and amounts as the page's language writes them."""

    def __init__(self, locale: str, gettext: Callable[[str], str]):
        self.locale = Locale.parse(locale)
        self.gettext = gettext

    def count(self, value: Any) -> str:
        return str(format_decimal(int(value or 0), locale=self.locale))

    def decimal(self, value: Any) -> str:
        if value is None:
            return NONE
        return str(self._tenths(self.locale.decimal_formats[None]).apply(float(value), self.locale))

    def share(self, value: Any) -> str:
        """0.4 -> "40.0%" (en), "40,0 %" (de): the language's own percent pattern, to a tenth."""
        if value is None:
            return NONE
        return str(self._tenths(self.locale.percent_formats[None]).apply(float(value), self.locale))

    @staticmethod
    def _tenths(pattern: Any) -> Any:
        tenths = copy(pattern)
        tenths.frac_prec = (1, 1)
        return tenths

    def money(self, minor: Any, currency: str | None) -> str:
        if not currency or not re.fullmatch(r"[A-Z]{3}", currency):
            return self.count(minor)  # no currency on the events: their minor units, as they are
        try:
            digits = get_currency_precision(currency)
            amount = Decimal(int(minor or 0)).scaleb(-digits)
            return str(format_currency(amount, currency, locale=self.locale))
        except Exception:  # a currency babel does not know: the minor units as they are
            return f"{self.count(minor)} {currency}"


def _rows(result: ReportResult) -> list[dict[str, Any]]:
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def _num(value: Any) -> float:
    return float(value) if value is not None else 0.0


def _words(value: Any) -> str:
    return str(value if value is not None else NONE).replace("_", " ")


STAGES = {"decision": N_("Decision"), "label": N_("Label"), "receipt": N_("Receipt"), "refund": N_("Refund")}
WHY = {
    "zero_touch": N_("No person involved"),
    "review": N_("Sent to review"),
    "staff_decision": N_("Staff decision"),
    "refund_failed": N_("Refund failed"),
    "open": N_("Still open"),
}


def return_rate(result: ReportResult, w: Writer) -> tuple[list[Bar], list[list[str]]]:
    rows = [r for r in _rows(result) if r["dimension"] == "category"]
    rows.sort(key=lambda r: (-_num(r["return_rate"]), str(r["value"])))
    bars = [Bar(str(r["value"]), [_num(r["return_rate"])], [w.share(r["return_rate"])]) for r in rows]
    table = [
        [str(r["value"]), w.count(r["units_sold"]), w.count(r["units_returned"]), w.share(r["return_rate"])]
        for r in rows
    ]
    return bars, table


def time_to_resolution(result: ReportResult, w: Writer) -> tuple[list[Bar], list[list[str]]]:
    rows = _rows(result)

    def stage(r: dict[str, Any]) -> str:
        return w.gettext(STAGES.get(str(r["stage"]), str(r["stage"])))

    bars = [
        Bar(
            stage(r),
            [_num(r["p50_hours"]), _num(r["p90_hours"])],
            [w.decimal(r["p50_hours"]), w.decimal(r["p90_hours"])],
        )
        for r in rows
    ]
    table = [
        [stage(r), w.count(r["returns"]), w.decimal(r["p50_hours"]), w.decimal(r["p90_hours"])] for r in rows
    ]
    return bars, table


def zero_touch(result: ReportResult, w: Writer) -> tuple[list[Bar], list[list[str]]]:
    def why(reason: str) -> str:
        if reason.startswith("rule:"):
            return w.gettext(N_("Rule: %(rule)s")) % {"rule": reason[5:]}
        return w.gettext(WHY.get(reason, reason))

    rows = _rows(result)
    bars = [Bar(why(str(r["reason"])), [_num(r["share"])], [w.share(r["share"])]) for r in rows]
    table = [[why(str(r["reason"])), w.count(r["returns"]), w.share(r["share"])] for r in rows]
    return bars, table


def label_savings(result: ReportResult, w: Writer) -> tuple[list[Bar], list[list[str]]]:
    rows = _rows(result)

    def name(r: dict[str, Any]) -> str:
        return f"{r['hub'] or NONE} ({r['currency']})" if r["currency"] else str(r["hub"] or NONE)

    bars = [
        Bar(
            name(r),
            [_num(r["label_cost"]), _num(r["origin_cost"])],
            [w.money(r["label_cost"], r["currency"]), w.money(r["origin_cost"], r["currency"])],
        )
        for r in rows
    ]
    table = [
        [
            str(r["hub"] or NONE),
            w.count(r["labels"]),
            w.money(r["label_cost"], r["currency"]),
            w.money(r["origin_cost"], r["currency"]),
            w.money(r["saved"], r["currency"]),
            w.share(r["saved_share"]),
        ]
        for r in rows
    ]
    return bars, table


def refund_failures(result: ReportResult, w: Writer) -> tuple[list[Bar], list[list[str]]]:
    rows = _rows(result)

    def name(r: dict[str, Any]) -> str:
        return f"{_words(r['reason'])} → {_words(r['paid_in_the_end'])}"

    bars = [Bar(name(r), [_num(r["returns"])], [w.count(r["returns"])]) for r in rows]
    table = [[_words(r["reason"]), _words(r["paid_in_the_end"]), w.count(r["returns"])] for r in rows]
    return bars, table


def exchanges(result: ReportResult, w: Writer) -> tuple[list[Bar], list[list[str]]]:
    rows = _rows(result)
    keys = ("kept_by_exchanges", "refunded", "credited")
    bars = [
        Bar(
            str(r["currency"] or NONE),
            [_num(r[k]) for k in keys],
            [w.money(r[k], r["currency"]) for k in keys],
        )
        for r in rows
    ]
    table = [
        [
            str(r["currency"] or NONE),
            w.count(r["exchanges"]),
            w.money(r["kept_by_exchanges"], r["currency"]),
            w.count(r["refunds"]),
            w.money(r["refunded"], r["currency"]),
            w.count(r["credits"]),
            w.money(r["credited"], r["currency"]),
            w.share(r["kept_share"]),
        ]
        for r in rows
    ]
    return bars, table


def frequent_returners(result: ReportResult, w: Writer) -> tuple[list[Bar], list[list[str]]]:
    rows = _rows(result)
    bars = [
        Bar(str(r["returns_per_customer"]), [_num(r["customers"])], [w.count(r["customers"])]) for r in rows
    ]
    table = [[str(r["returns_per_customer"]), w.count(r["customers"]), w.count(r["returns"])] for r in rows]
    return bars, table


def tickets(result: ReportResult, w: Writer) -> tuple[list[Bar], list[list[str]]]:
    rows = _rows(result)

    def name(r: dict[str, Any]) -> str:
        return f"{_words(r['category'])} ({r['language']})"

    bars = [
        Bar(
            name(r),
            [_num(r["tickets"]), _num(r["first_response_in_sla"])],
            [w.count(r["tickets"]), w.count(r["first_response_in_sla"])],
        )
        for r in rows
    ]
    table = [
        [
            _words(r["category"]),
            str(r["language"]),
            w.count(r["tickets"]),
            w.count(r["first_response_in_sla"]),
            w.share(r["sla_share"]),
        ]
        for r in rows
    ]
    return bars, table


def shipping_performance(result: ReportResult, w: Writer) -> tuple[list[Bar], list[list[str]]]:
    rows = _rows(result)

    def name(r: dict[str, Any]) -> str:
        return f"{r['carrier']} {r['origin_country']} → {r['destination_country']}"

    keys = ("shipped", "delivered", "delayed")
    bars = [Bar(name(r), [_num(r[k]) for k in keys], [w.count(r[k]) for k in keys]) for r in rows]
    table = [
        [
            str(r["carrier"]),
            str(r["origin_country"]),
            str(r["destination_country"]),
            w.count(r["shipped"]),
            w.count(r["delivered"]),
            w.decimal(r["p50_transit_days"]),
            w.decimal(r["p90_transit_days"]),
            w.count(r["delayed"]),
            w.count(r["exceptions"]),
        ]
        for r in rows
    ]
    return bars, table


Builder = Callable[[ReportResult, Writer], tuple[list[Bar], list[list[str]]]]
# (report, its builder, title, what the bars measure, the series, the table's columns)
CHARTS: tuple[tuple[str, Builder, str, str, list[str], list[str]], ...] = (
    (
        "return_rate",
        return_rate,
        N_("Return rate by category"),
        N_("Units returned per unit sold, by category."),
        [N_("Return rate")],
        [N_("Category"), N_("Units sold"), N_("Units returned"), N_("Return rate")],
    ),
    (
        "time_to_resolution",
        time_to_resolution,
        N_("Time to resolution"),
        N_("Hours from the request to each stage: median and 90th percentile."),
        [N_("Median (hours)"), N_("90th percentile (hours)")],
        [N_("Stage"), N_("Returns"), N_("Median (hours)"), N_("90th percentile (hours)")],
    ),
    (
        "zero_touch",
        zero_touch,
        N_("Zero-touch returns"),
        N_("The share of returns no person touched, and why the others needed one."),
        [N_("Share of returns")],
        [N_("Reason"), N_("Returns"), N_("Share of returns")],
    ),
    (
        "label_savings",
        label_savings,
        N_("Label savings through regional hubs"),
        N_("What the return labels cost by hub, against labels to the origin."),
        [N_("Label cost"), N_("Cost to the origin")],
        [N_("Hub"), N_("Labels"), N_("Label cost"), N_("Cost to the origin"), N_("Saved"), N_("Saved share")],
    ),
    (
        "refund_failures",
        refund_failures,
        N_("Refund failures"),
        N_("Failed refunds by reason, and how each return was paid in the end."),
        [N_("Returns")],
        [N_("Reason"), N_("Paid in the end"), N_("Returns")],
    ),
    (
        "exchanges",
        exchanges,
        N_("Exchanges"),
        N_("Revenue kept by exchanges against money paid back."),
        [N_("Kept by exchanges"), N_("Refunded"), N_("Store credit")],
        [
            N_("Currency"),
            N_("Exchanges"),
            N_("Kept by exchanges"),
            N_("Refunds"),
            N_("Refunded"),
            N_("Credits"),
            N_("Store credit"),
            N_("Kept share"),
        ],
    ),
    (
        "frequent_returners",
        frequent_returners,
        N_("Frequent returners"),
        N_("How many customers returned how often: counts only, never a list of people."),
        [N_("Customers")],
        [N_("Returns per customer"), N_("Customers"), N_("Returns")],
    ),
    (
        "tickets",
        tickets,
        N_("Support tickets"),
        N_("Tickets by category and language, and how many had a first reply within the SLA."),
        [N_("Tickets"), N_("First reply within the SLA")],
        [N_("Category"), N_("Language"), N_("Tickets"), N_("First reply within the SLA"), N_("SLA share")],
    ),
    (
        "shipping_performance",
        shipping_performance,
        N_("Shipping performance"),
        N_("Outbound parcels by lane: shipped, delivered and late."),
        [N_("Shipped"), N_("Delivered"), N_("Late")],
        [
            N_("Carrier"),
            N_("From"),
            N_("To"),
            N_("Shipped"),
            N_("Delivered"),
            N_("Median transit (days)"),
            N_("90th percentile transit (days)"),
            N_("Late"),
            N_("Exceptions"),
        ],
    ),
)
DASHBOARD_REPORTS = tuple(spec[0] for spec in CHARTS)


def charts(results: dict[str, ReportResult], writer: Writer) -> list[Chart]:
    out = []
    for report, build, title, summary, series, headers in CHARTS:
        bars, table = build(results[report], writer)
        out.append(
            Chart(
                report,
                title,
                summary,
                series,
                bars[:MAX_BARS],
                headers,
                table[:MAX_TABLE_ROWS],
                more=max(0, len(bars) - MAX_BARS),
            )
        )
    return out
