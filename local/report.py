"""`make report NAME=return_rate` (SHOP=, FROM=, TO=, FORMAT=csv): a report from the local lake,
printed in the terminal. `make demo` fills the lake first."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime

from boomerang.analytics.reports import REPORTS, ReportQuery, run_report
from local.lake import LocalLake


def table(columns: list[str], rows: list[list[object]]) -> str:
    cells = [columns, *[["" if v is None else str(v) for v in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Print a report from the local lake")
    parser.add_argument("name", choices=REPORTS)
    parser.add_argument("--shop", default="demo")
    parser.add_argument("--from", dest="start", type=date.fromisoformat, default=None)
    parser.add_argument("--to", dest="end", type=date.fromisoformat, default=None)
    parser.add_argument("--format", choices=("table", "csv"), default="table")
    args = parser.parse_args()
    lake = LocalLake()
    if not lake.files():
        raise SystemExit(f"The lake at {lake.root} is empty: run `make demo` first.")
    query = ReportQuery.of(args.name, args.shop, args.start, args.end, today=datetime.now(UTC).date())
    result = run_report(lake.engine(), query)
    if args.format == "csv":
        print(result.as_csv(), end="")
        return
    print(f"{query.name} for {query.shop}, {query.start} to {query.end}\n")
    print(table(result.columns, result.rows) if result.rows else "(no rows)")


if __name__ == "__main__":
    main()
