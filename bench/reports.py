"""`make bench` (after the main bench): each report's time on DuckDB over a year of activity (about
100,000 returns across three shops, local/demo/lake.py), for the busiest shop and the whole year,
written into docs/ANALYTICS.md between its bench markers.

The lake is generated once into .boomerang/bench-lake (minutes on a busy 2-core machine) and reused."""

from __future__ import annotations

import os
import platform
import re
import shutil
import time
from datetime import date
from pathlib import Path

from boomerang.analytics.reports import REPORTS, ReportQuery, run_report
from local.demo.lake import DAYS, YEAR_START, fill, has_parcels
from local.lake import LocalLake

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "ANALYTICS.md"
LAKE_DIR = ROOT / ".boomerang" / "bench-lake"
BEGIN, END = "<!-- bench:reports -->", "<!-- /bench:reports -->"
TARGET_SECONDS = 2.0
RUNS = 3


def year_lake() -> LocalLake:
    lake = LocalLake(LAKE_DIR)
    if lake.files() and not has_parcels(lake):  # written before the outbound parcels: write it anew
        shutil.rmtree(lake.events_dir)
    if not lake.files():
        print(f"Generating a year of activity into {LAKE_DIR} ...", flush=True)
        fill(lake)
    return lake


def measure(lake: LocalLake, shop: str = "demo") -> list[tuple[str, float, float, int]]:
    start = YEAR_START.date()
    end = date.fromordinal(start.toordinal() + DAYS - 1)
    engine = lake.engine()
    out = []
    for name in REPORTS:
        query = ReportQuery.of(name, shop, start, end, today=end)
        times, cpu, rows = [], [], 0
        for _ in range(RUNS):
            began, began_cpu = time.perf_counter(), time.process_time()
            rows = len(run_report(engine, query).rows)
            times.append(time.perf_counter() - began)
            cpu.append(time.process_time() - began_cpu)
        out.append((name, sorted(times)[len(times) // 2], sorted(cpu)[len(cpu) // 2], rows))
    return out


def main() -> None:
    lake = year_lake()
    counts = lake.engine().run(
        "SELECT shop, COUNT(DISTINCT rma) FROM events WHERE type = 'return.requested' "
        "GROUP BY shop ORDER BY shop",
        [],
    )[1]
    returns = sum(int(n) for _, n in counts)
    results = measure(lake)
    lines = [
        BEGIN,
        f"Measured by `make bench` on {os.cpu_count()} cores ({platform.machine()}, load average "
        f"{os.getloadavg()[0]:.1f}): DuckDB over {len(lake.files())} Parquet files, {returns:,} returns "
        f"across {len(counts)} shops ({', '.join(f'{s} {n:,}' for s, n in counts)}), a year, the largest "
        f"shop. Median of {RUNS} runs, each opening its own connection as a request does. CPU is the "
        "process's CPU time, all of DuckDB's threads: what the query costs whatever else the machine runs "
        "(on an idle machine the wall time is at most about that); wall time grows with the load.",
        "",
        "| report | wall s | CPU s | rows | CPU under 2 s |",
        "|---|---|---|---|---|",
        *(
            f"| `{n}` | {t:.2f} | {c:.2f} | {r} | {'yes' if c < TARGET_SECONDS else 'no'} |"
            for n, t, c, r in results
        ),
        END,
    ]
    block = "\n".join(lines)
    print(block)
    text = DOC.read_text(encoding="utf-8")
    DOC.write_text(
        re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S), encoding="utf-8"
    )


if __name__ == "__main__":
    main()
