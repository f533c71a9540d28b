"""The customer pages' server time on the local stack: each page rendered by the web function
in-process (its handler's time, median and p95 of `runs`), and the portal's first page's weight.

    .venv/bin/python -m bench.web          (also run by `make bench`; writes docs/WEB.md's figures)
"""

from __future__ import annotations

import os
import re
import statistics
import time
from pathlib import Path
from typing import Any

from local.http_front import invoke

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "WEB.md"
MARK = "<!-- bench:web -->"


def _time(
    stack: Any, method: str, path: str, headers: dict[str, str], body: str | None, runs: int
) -> tuple[int, list[float]]:
    took, status = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        status, _, _ = invoke(stack.routes, method, path, headers, body)
        took.append((time.perf_counter() - start) * 1000)
    return status, took


def page_times(stack: Any, runs: int = 20) -> list[list[str]]:
    """Rows: page, status, median ms, p95 ms (the first call, a template's compile, left out)."""
    from local.demo.data import BRANDED_API_KEY, branded_orders, seed_branded_shops

    repo = stack.storefront.repo
    seed_branded_shops(repo)
    import json

    for order in branded_orders():
        invoke(
            stack.routes,
            "POST",
            "/v1/orders",
            {"x-api-key": BRANDED_API_KEY, "Content-Type": "application/json"},
            json.dumps(order),
        )
    _, answer_headers, _ = invoke(
        stack.routes, "POST", "/northwind/returns", {"Content-Type": "application/x-www-form-urlencoded"},
        "order_number=NW-7001&email=kenji%40example.com",
    )  # fmt: skip
    cookie = (answer_headers.get("Set-Cookie") or "").split(";")[0]
    with_session = {"Cookie": cookie}
    pages = [
        ("GET /{shop}/policy (zh)", "GET", "/northwind/policy?lang=zh", {}, None),
        ("GET /{shop}/returns (lookup form)", "GET", "/northwind/returns", {}, None),
        ("GET /{shop}/returns (the order's lines)", "GET", "/northwind/returns", with_session, None),
    ]
    rows = []
    for name, method, path, headers, body in pages:
        invoke(stack.routes, method, path, headers, body)  # warm: templates compiled, catalogs read
        status, took = _time(stack, method, path, headers, body, runs)
        took.sort()
        rows.append(
            [name, str(status), f"{statistics.median(took):.1f}", f"{took[int(0.95 * (len(took) - 1))]:.1f}"]
        )
    return rows


def table(rows: list[list[str]]) -> str:
    headers = ["page", "status", "median ms", "p95 ms"]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def write(rows: list[list[str]], runs: int) -> None:
    text = DOC.read_text(encoding="utf-8")
    block = (
        f"{MARK}\nServer time of each page on the local stack (`make bench`; the web function in-process, "
        f"{runs} runs after one warm-up, DynamoDB Local on this machine):\n\n{table(rows)}\n{MARK}"
    )
    if MARK in text:
        text = re.sub(f"{re.escape(MARK)}.*?{re.escape(MARK)}", lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n## Measured\n\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")


def main() -> None:
    from local.demo.data import seed_shop
    from local.stack import LocalStack

    runs = int(os.environ.get("BENCH_WEB_RUNS", "20"))
    stack = LocalStack()
    try:
        stack.start()
        seed_shop(stack.storefront.repo)
        rows = page_times(stack, runs)
    finally:
        stack.stop()
    print(table(rows))
    write(rows, runs)


if __name__ == "__main__":
    main()
