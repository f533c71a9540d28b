"""`make bench`: measures and prints the figures, and writes them to docs/PERFORMANCE.md."""

from __future__ import annotations

import importlib
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from bench import cold_start
from bench.cost import Cost
from bench.dynamodb_calls import Operation, journey

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "PERFORMANCE.md"
# The operations one return costs in the usual portal flow: session, eligibility, request, two reads.
JOURNEY = (
    "open session",
    "eligibility (customer token)",
    "create return (customer token)",
    "get return (customer token)",
    "get return (customer token)",
)


def _table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _http_create_median(module: object, runs: int = 20) -> float:
    """POST /v1/returns through the local HTTP front (loopback), median of `runs`."""
    import json
    import threading
    import urllib.request
    import uuid

    from boomerang.api.routes import STOREFRONT_ROUTES
    from local.demo_data import DEMO_API_KEY
    from local.dynamodb_local import free_port
    from local.http_front import make_server

    port = free_port()
    server = make_server("127.0.0.1", port, STOREFRONT_ROUTES, module.handler)  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    headers = {"x-api-key": DEMO_API_KEY, "Content-Type": "application/json"}
    times = []
    try:
        for _ in range(runs):
            oid = uuid.uuid4().hex[:10]
            order = {
                "order_id": oid,
                "order_number": f"#{oid}",
                "customer": {"email": f"{oid}@example.com", "country": "US"},
                "currency": "USD",
                "ordered_at": "2026-11-20T10:00:00Z",
                "lines": [
                    {
                        "line_id": "1",
                        "sku": "TEE",
                        "category": "apparel",
                        "quantity": 1,
                        "unit_price": {"amount": "20.00", "currency": "USD"},
                        "delivered_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    }
                ],
            }
            urllib.request.urlopen(
                urllib.request.Request(f"{base}/v1/orders", json.dumps(order).encode(), headers)
            )
            body = {
                "order_id": oid,
                "items": [{"line_id": "1", "quantity": 1, "reason": "size_too_small"}],
                "resolution": "refund",
            }
            request = urllib.request.Request(
                f"{base}/v1/returns",
                json.dumps(body).encode(),
                {**headers, "Idempotency-Key": uuid.uuid4().hex},
            )
            started = time.perf_counter()
            with urllib.request.urlopen(request) as answer:
                assert answer.status == 201
            times.append((time.perf_counter() - started) * 1000)
    finally:
        server.shutdown()
        server.server_close()
    return statistics.median(times)


def main() -> None:
    print("Measuring cold start (fresh processes)...", flush=True)
    cold = cold_start.measure(runs=int(os.environ.get("BENCH_COLD_RUNS", "15")))

    print("Starting DynamoDB Local and moto for the per-operation counts...", flush=True)
    from local.demo_data import seed_shop
    from local.environment import LocalAws

    aws = LocalAws().start()
    try:
        os.environ.update(aws.function_environment())
        module = importlib.import_module("functions.storefront_api.handler")
        seed_shop(module.repo)
        ops = journey(module)
        e2e = _http_create_median(module)
    finally:
        aws.stop()

    failed = [op for op in ops if op.status >= 300]
    cold_rows = [
        [
            "floor: boto3 + pydantic + Powertools (Logger, Metrics, Tracer, resolver, idempotency)",
            f"{cold.floor_ms:.0f} ms",
            "1.00x",
        ],
        [
            "floor + one DynamoDB client",
            f"{cold.floor_with_client_ms:.0f} ms",
            f"{cold.floor_with_client_ms / cold.floor_ms:.2f}x",
        ],
        ["storefront handler: import and init", f"{cold.handler_ms:.0f} ms", f"{cold.ratio:.2f}x"],
    ]
    op_rows = [
        [
            op.name,
            str(op.status),
            str(len(op.calls)),
            ", ".join(op.calls),
            f"{op.read_units:g}",
            f"{op.write_units:g}",
            "-"
            if op.budget is None
            else (f"<= {op.budget} ok" if len(op.calls) <= op.budget else f"<= {op.budget} OVER"),
        ]
        for op in ops
    ]
    by_name: dict[str, Operation] = {op.name: op for op in ops}
    one = Cost(0, 0.0, 0.0, 0.0)
    for name in JOURNEY:
        op = by_name[name]
        one = Cost(
            one.requests + 1,
            one.read_units + op.read_units,
            one.write_units + op.write_units,
            one.lambda_ms + op.millis,
        )
    thousand = one.scaled(1000)
    cost_rows = [
        [
            "DynamoDB",
            f"{thousand.read_units:g} RRU + {thousand.write_units:g} WRU",
            f"${thousand.dynamodb:.4f}",
        ],
        [
            "Lambda (512 MB; local handler time as the duration)",
            f"{thousand.requests} requests, {thousand.lambda_ms / 1000:.1f} s",
            f"${thousand.lambda_:.4f}",
        ],
        ["API Gateway REST", f"{thousand.requests} requests", f"${thousand.api_gateway:.4f}"],
        ["total per 1,000 returns", "", f"${thousand.total:.4f}"],
    ]

    report = "\n\n".join(
        [
            "# Performance",
            f"Measured by `make bench` on {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}. Regenerate with `make bench`.",
            "## Cold start (median of "
            f"{cold.runs} fresh processes each; target: handler at most 1.3x the floor)",
            _table(["process", "import and init", "vs floor"], cold_rows),
            "The handler's figure includes creating its DynamoDB client (one, shared with the idempotency "
            "layer) and building its routes and models; the floor imports the same libraries and "
            "does nothing.",
            "## DynamoDB calls and consumed capacity per operation "
            "(warm container; DynamoDB Local's figures)",
            _table(["operation", "status", "calls", "which", "RCU", "WCU", "budget"], op_rows),
            "A container's first request per shop also reads the API key (once per 5 minutes) and the "
            "shop's policy (once per minute); those are cached and not in the figures above. "
            "A storefront-key return request reads order and customer separately (the customer "
            "is known only from the order); a customer token carries the customer's reference, so "
            "order and customer come in one BatchGetItem.",
            f"## End to end\n\nPOST /v1/returns through the local HTTP front on DynamoDB Local: "
            f"median {e2e:.1f} ms of 20.",
            "## Cost per 1,000 returns (from the counted operations)",
            "One return = " + ", ".join(JOURNEY) + ". Prices: bench/cost.py (us-east-1 list prices).",
            _table(["service", "usage per 1,000 returns", "cost"], cost_rows),
        ]
    )
    print()
    print(report)
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(report + "\n", encoding="utf-8")
    print(f"\nWritten to {DOC.relative_to(ROOT)}")
    if failed:
        print(
            f"bench: {len(failed)} operation(s) failed: {[(o.name, o.status) for o in failed]}",
            file=sys.stderr,
        )
        raise SystemExit(1)


if __name__ == "__main__":
    main()
