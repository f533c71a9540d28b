"""The dashboard's charts (boomerang.web.console.dashboard) without a lake: bars in proportion to the
largest value, nothing drawn for zero or a negative value, long labels cut, colours at WCAG AA
contrast on white, figures written as each language writes them."""

from __future__ import annotations

import pytest

from boomerang.analytics.reports import ReportResult
from boomerang.web.console.dashboard import (
    BAR_AREA,
    COLOURS,
    DASHBOARD_REPORTS,
    LABEL_CHARS,
    Bar,
    Chart,
    Writer,
    charts,
    label_savings,
)


def luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


@pytest.mark.parametrize("colour", COLOURS)
def test_every_series_colour_has_aa_contrast_on_white(colour: str) -> None:
    assert (1.05) / (luminance(colour) + 0.05) >= 4.5


def test_bars_are_in_proportion_and_zero_or_negative_draws_nothing() -> None:
    bars = [
        Bar("big", [10.0, 5.0], ["10", "5"]),
        Bar("none", [0.0, -3.0], ["0", "-3"]),
        Bar("y" * 80, [1.0, 0.0], ["1", "0"]),
    ]
    chart = Chart("x", "t", "s", ["a", "b"], bars, [], [])
    drawn = chart.drawn()
    assert [r["width"] for r in drawn[0]["rects"]] == [BAR_AREA, BAR_AREA / 2]
    assert [r["width"] for r in drawn[1]["rects"]] == [0.0, 0.0]
    assert drawn[2]["label"] == "y" * (LABEL_CHARS - 1) + "…"
    assert [r["colour"] for r in drawn[0]["rects"]] == list(COLOURS[:2])
    assert chart.height > 3 * 2 * 16


def test_figures_are_written_as_the_language_writes_them() -> None:
    en, de = Writer("en_US", lambda s: s), Writer("de_DE", lambda s: s)
    assert (en.share(0.1667), de.share(0.1667)) == ("16.7%", "16,7\xa0%")
    assert (en.decimal(1234.26), de.decimal(1234.26)) == ("1,234.3", "1.234,3")
    assert (en.money(1600, "EUR"), de.money(1600, "EUR")) == ("€16.00", "16,00\xa0€")
    assert en.money(500, "JPY") == "¥500"  # no minor digits
    assert en.money(1600, None) == "1,600"  # no currency on the events: minor units as they are
    assert en.share(None) == "\N{EN DASH}"


def test_a_label_row_without_currency_is_named_by_its_hub_alone() -> None:
    result = ReportResult(
        "label_savings",
        ["hub", "currency", "labels", "label_cost", "origin_cost", "saved", "saved_share"],
        [["eu-pl", None, 1, 900, 2500, 1600, 0.64]],
    )
    bars, table = label_savings(result, Writer("en_US", lambda s: s))
    assert bars[0].label == "eu-pl" and table[0] == ["eu-pl", "1", "900", "2,500", "1,600", "64.0%"]


def test_every_report_of_the_dashboard_draws_from_no_rows() -> None:
    empty = {name: ReportResult(name, [], []) for name in DASHBOARD_REPORTS}
    drawn = charts(empty, Writer("ja_JP", lambda s: s))
    assert [c.report for c in drawn] == list(DASHBOARD_REPORTS) and all(not c.bars for c in drawn)
