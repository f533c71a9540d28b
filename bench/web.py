"""The customer pages' and the staff console's server time on the local stack: each page rendered by
the web function in-process (its handler's time, median and p95 of `runs`).

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
    pages += console_pages(stack)
    rows = []
    for name, method, path, headers, body in pages:
        invoke(stack.routes, method, path, headers, body)  # warm: templates compiled, catalogs read
        status, took = _time(stack, method, path, headers, body, runs)
        took.sort()
        rows.append(
            [name, str(status), f"{statistics.median(took):.1f}", f"{took[int(0.95 * (len(took) - 1))]:.1f}"]
        )
    return rows


def console_pages(stack: Any) -> list[tuple[str, str, str, dict[str, str], str | None]]:
    """The staff console's pages, signed in on the local form as `admin` (every group)."""
    import json

    from local.cognito import PASSWORD
    from local.demo.data import DEMO_API_KEY, demo_orders

    _, answer_headers, _ = invoke(
        stack.routes, "POST", "/admin/sign-in", {"Content-Type": "application/x-www-form-urlencoded"},
        f"username=admin&password={PASSWORD}&next=/admin",
    )  # fmt: skip
    signed_in = {"Cookie": (answer_headers.get("Set-Cookie") or "").split(";")[0]}
    # A return in the review queue: the demo's headphones (electronics go to a person).
    json_headers = {"Content-Type": "application/json", "x-api-key": DEMO_API_KEY}
    for order in demo_orders():
        invoke(stack.routes, "POST", "/v1/orders", json_headers, json.dumps(order))
    _, _, opened = invoke(
        stack.routes, "POST", "/v1/sessions", json_headers,
        json.dumps({"shop": "demo", "order_number": "1002", "email": "grace@example.com"}),
    )  # fmt: skip
    bearer = {"Content-Type": "application/json", "Idempotency-Key": "bench-console-1002"}
    bearer["Authorization"] = f"Bearer {json.loads(opened)['token']}"
    item = {"line_id": "1002-1", "quantity": 1, "reason": "defective"}
    invoke(
        stack.routes, "POST", "/v1/returns", bearer,
        json.dumps({"order_id": "1002", "items": [item], "resolution": "refund"}),
    )  # fmt: skip
    _, _, queue = invoke(stack.routes, "GET", "/admin?queue=review", signed_in, None)
    found = re.search(r'href="/admin/returns/([0-9A-Z-]+)"', queue)
    pages = [
        ("GET /admin (review queue)", "GET", "/admin?queue=review", signed_in, None),
        ("GET /admin?q= (search by order number)", "GET", "/admin?q=1001", signed_in, None),
        ("GET /admin/warehouse (scan field)", "GET", "/admin/warehouse?hub=us-nj", signed_in, None),
        ("GET /admin/tickets (inbox)", "GET", "/admin/tickets", signed_in, None),
        ("GET /admin/policy (editor)", "GET", "/admin/policy?shop=demo", signed_in, None),
    ]
    if found:
        pages.insert(
            1, ("GET /admin/returns/{rma}", "GET", f"/admin/returns/{found.group(1)}", signed_in, None)
        )
    return pages


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
