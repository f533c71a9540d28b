"""`make bench`: measures and prints the figures, and writes them to docs/PERFORMANCE.md."""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

from bench import automation, cold_start
from bench import events as bench_events
from bench.cost import SFN_PER_THOUSAND_TRANSITIONS, Cost
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


def main() -> None:
    print("Measuring cold start (fresh processes)...", flush=True)
    cold = cold_start.measure(runs=int(os.environ.get("BENCH_COLD_RUNS", "15")))

    print("Timing make local to its first request...", flush=True)
    from bench import local_startup

    startup = local_startup.measure()

    print("Starting the local stack (DynamoDB Local, moto, the synthesized state machine)...", flush=True)
    from bench.refunds import refunds_per_return, webhook_latency
    from bench.refunds import report as refunds_report
    from bench.workflow import label_timing, transitions
    from local.demo.data import seed_shop
    from local.stack import LocalStack

    stack = LocalStack()
    try:
        stack.start()
        module = stack.storefront
        assert module is not None
        seed_shop(module.repo)
        ops = journey(module)
        print("Timing returns to their label through the local stack...", flush=True)
        labels = label_timing(stack, runs=int(os.environ.get("BENCH_LABEL_RUNS", "20")))
        journeys = transitions(stack)
        print("Timing events out: a return's request to its webhook delivery...", flush=True)
        event_timing = bench_events.through_stack(stack)
        print("Counting refunds over the demo journeys; timing the Stripe webhook...", flush=True)
        refunds = refunds_report(refunds_per_return(stack), webhook_latency(stack))
        print("Timing the customer pages (docs/WEB.md)...", flush=True)
        from bench import web as bench_web

        bench_web.write(bench_web.page_times(stack), runs=20)
    finally:
        stack.stop()

    print("Walking the demo journeys for the label cost by hub...", flush=True)
    from bench import label_costs

    demo_passed, hub_rows = label_costs.measure_in_own_process()
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
    ]
    # The workflow of the longer journey: its transitions, task invocations and table capacity.
    longest = max(journeys.values(), key=lambda j: j.transitions)
    flow_cost = Cost(longest.tasks, longest.read_units, longest.write_units, 0.0).scaled(1000)
    sfn_cost = longest.transitions * 1000 * SFN_PER_THOUSAND_TRANSITIONS / 1000
    cost_rows += [
        [
            "Step Functions Standard (the longer journey below)",
            f"{longest.transitions * 1000} transitions",
            f"${sfn_cost:.4f}",
        ],
        [
            "Workflow task Lambdas (requests only; their run time is not measured here)",
            f"{flow_cost.requests} requests",
            f"${flow_cost.lambda_:.4f}",
        ],
        [
            "DynamoDB for the workflow's steps and news",
            f"{flow_cost.read_units:g} RRU + {flow_cost.write_units:g} WRU",
            f"${flow_cost.dynamodb:.4f}",
        ],
        [
            "total per 1,000 returns",
            "",
            f"${thousand.total + sfn_cost + flow_cost.lambda_ + flow_cost.dynamodb:.4f}",
        ],
    ]
    journey_rows = [
        [name, str(j.transitions), str(j.tasks), f"{j.read_units:g}", f"{j.write_units:g}"]
        for name, j in journeys.items()
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
            "shop's policy document (once per version: documents are cached by version); those are not "
            "in the figures above. Which version is current is a 100-byte pointer read with every request "
            "that uses the policy, so a new version applies from the next request: it rides in the "
            "BatchGetItem of eligibility and of a return request, and is the one GetItem of `get policy` "
            "and the second call of eligibility (whose answer names the version). "
            "A storefront-key return request reads order and customer separately (the customer "
            "is known only from the order); a customer token carries the customer's reference, so "
            "order and customer come in one BatchGetItem.",
            "## End to end through the local stack",
            f"POST /v1/returns through the local HTTP front: median {labels.create_ms:.1f} ms; from the "
            f"request to the label issued by the state machine (moto executing the synthesized definition, "
            f"task functions in-process, DynamoDB Local): median {labels.label_ms:.1f} ms, of {labels.runs}.",
            "## make local",
            f"From `make local` (virtualenv already built, template cached) to the first request served: "
            f"{startup.first_request_s:.1f} s (target: under 20 s). Memory at rest after a few requests: "
            f"{startup.python_mb:.0f} MB for the Python process (workflow, pollers, moto), "
            f"{startup.workers_mb:.0f} MB for its {startup.workers} API worker processes and "
            f"{startup.java_mb:.0f} MB for DynamoDB Local. From a fresh clone (virtualenv, npm packages and "
            "the first synthesis included): see docs/LOCAL.md.",
            "## State transitions per journey (from the execution history)",
            _table(
                ["journey", "transitions", "task invocations", "workflow RCU", "workflow WCU"], journey_rows
            ),
            "## Cost per 1,000 returns (from the counted operations)",
            "One return = " + ", ".join(JOURNEY) + ". Prices: bench/cost.py (us-east-1 list prices).",
            _table(["service", "usage per 1,000 returns", "cost"], cost_rows),
            label_costs.section(hub_rows),
            *bench_events.section(event_timing, bench_events.cold()),
            *refunds,
            automation.section(*automation.measure()),
        ]
    )
    print()
    print(report)
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(report + "\n", encoding="utf-8")
    print(f"\nWritten to {DOC.relative_to(ROOT)}")
    if not demo_passed:
        print("bench: a demo journey failed; the label costs cover the returns it made", file=sys.stderr)
    from bench import tickets  # classifier accuracy and the ticket handler's cold start

    tickets.main()
    from bench import layers  # the built layers: sizes per function, cold start from them

    layers.main()
    if failed:
        print(
            f"bench: {len(failed)} operation(s) failed: {[(o.name, o.status) for o in failed]}",
            file=sys.stderr,
        )
        raise SystemExit(1)


if __name__ == "__main__":
    main()
