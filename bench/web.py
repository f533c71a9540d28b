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
from urllib.parse import urlencode, urlsplit

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
    number, email, link = _tracked_order(stack)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    lookup = urlencode({"order_number": number, "email": email})
    pages = [
        ("GET /{shop}/policy (zh)", "GET", "/northwind/policy?lang=zh", {}, None),
        ("GET /{shop}/returns (lookup form)", "GET", "/northwind/returns", {}, None),
        ("GET /{shop}/returns (the order's lines)", "GET", "/northwind/returns", with_session, None),
        ("GET /{shop}/track (form)", "GET", "/demo/track", {}, None),
        ("POST /{shop}/track (number and email: 303 to the link)", "POST", "/demo/track", form, lookup),
        ("GET /{shop}/track?link= (a parcel, 7 checkpoints, delivered)", "GET", link, {}, None),
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
        # Nine reports on DuckDB over the lake's Parquet files (a year, about 100,000 returns).
        (
            "GET /admin/dashboard (9 reports, last 30 days)",
            "GET",
            "/admin/dashboard?shop=demo",
            signed_in,
            None,
        ),
        (
            "GET /admin/dashboard (9 reports, a year)",
            "GET",
            "/admin/dashboard?shop=demo&from=2025-12-01&to=2026-11-30",
            signed_in,
            None,
        ),
    ]
    if found:
        pages.insert(
            1, ("GET /admin/returns/{rma}", "GET", f"/admin/returns/{found.group(1)}", signed_in, None)
        )
    return pages


def _tracked_order(stack: Any) -> tuple[str, str, str]:
    """A demo order shipped by YunExpress, handed over to USPS and delivered (17TRACK's pushes):
    its number, email and the tracking page's path with the signed link."""
    import json
    from datetime import UTC, datetime, timedelta

    from local.carrier_signing import WEBHOOK_SECRETS, signed_headers
    from local.demo.data import DEMO_API_KEY
    from local.outbound_samples import new_numbers, outbound_sample

    key = {"x-api-key": DEMO_API_KEY, "Content-Type": "application/json"}
    order_id = f"bench-track-{int(time.time())}"
    now = datetime.now(UTC)
    order = {
        "order_id": order_id,
        "order_number": f"#{order_id}",
        "customer": {"email": f"{order_id}@example.com", "country": "US", "locale": "en-US"},
        "currency": "USD",
        "ordered_at": (now - timedelta(days=12)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "payment_reference": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
        "lines": [
            {"line_id": f"{order_id}-1", "sku": "DRESS-SUMMER-M", "title": "Summer dress, M",
             "category": "apparel", "quantity": 1, "unit_price": {"amount": "39.00", "currency": "USD"}}
        ],
    }  # fmt: skip
    invoke(stack.routes, "POST", "/v1/orders", key, json.dumps(order))
    first, last = new_numbers()
    start = now - timedelta(days=9)
    body = {
        "tracking_number": first,
        "carrier": "YunExpress",
        "lines": [{"line_id": f"{order_id}-1", "quantity": 1}],
    }
    _, _, answer = invoke(
        stack.routes, "POST", f"/v1/orders/{order_id}/fulfillments",
        {**key, "Idempotency-Key": f"{order_id}-ship"}, json.dumps(body),
    )  # fmt: skip
    sent = urlsplit(json.loads(answer)["tracking_link"])  # absolute where a base URL is configured
    link = f"{sent.path}?{sent.query}"
    for name in ("17track_outbound_in_transit", "17track_outbound_handover", "17track_outbound_delivered"):
        raw = outbound_sample(name, first, last, start)
        signed = {
            "Content-Type": "application/json",
            **signed_headers("17track", raw, WEBHOOK_SECRETS["17track"][1]),
        }
        invoke(stack.routes, "POST", "/webhooks/carriers/17track", signed, raw.decode())
    return str(order["order_number"]), f"{order_id}@example.com", link


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


def lake_with_a_year() -> None:
    """The dashboard reads the local lake (`make demo` fills it): without one, `make bench`'s year
    (bench/reports.py, .boomerang/bench-lake, written once and reused)."""
    from bench.reports import year_lake
    from local.lake import LocalLake

    if LocalLake().files():
        return
    os.environ["LAKE_DIR"] = str(year_lake().root)


def main() -> None:
    from local.demo.data import seed_shop
    from local.stack import LocalStack

    runs = int(os.environ.get("BENCH_WEB_RUNS", "20"))
    lake_with_a_year()
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
