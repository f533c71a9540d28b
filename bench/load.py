"""Load and client-seen latency on the local front, as `make local` serves it: the API functions in
WORKERS worker processes (local/workers.py), the state machine, pollers and moto in the coordinator.

The clients run in another process (bench/load_client.py) and speak HTTP, so what is measured is
what a client outside sees: the front, a worker's handler, DynamoDB Local, and (for the label) the
state machine's steps up to the label, read back through the API.

Lengths: BENCH_SHORT=1 (tests, development) runs every level for a few seconds with few clients;
otherwise the issue's levels (10, 50 and 100 clients, 60 s each; BENCH_LOAD_SECONDS overrides).
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.demo.data import DEMO_API_KEY, DEMO_SHOP
from local.dynamodb_local import free_port
from local.http_front import LocalApiServer, make_server
from local.stack import LocalStack

ROOT = Path(__file__).resolve().parent.parent


def short() -> bool:
    return os.environ.get("BENCH_SHORT", "") not in ("", "0")


@dataclass(frozen=True)
class Plan:
    clients: tuple[int, ...]  # concurrent clients, one level after another
    seconds: float  # per level
    workers: int  # worker processes for the levels (make local's WORKERS)
    worker_counts: tuple[int, ...]  # throughput vs workers, at `scaling_clients`
    scaling_clients: int
    label_runs: int


def plan() -> Plan:
    workers = int(os.environ.get("WORKERS", "4"))
    if short():
        return Plan((2, 4), float(os.environ.get("BENCH_LOAD_SECONDS", "3")), 2, (1, 2), 4, 3)
    return Plan(
        (10, 50, 100),
        float(os.environ.get("BENCH_LOAD_SECONDS", "60")),
        workers,
        tuple(sorted({1, 2, workers})),
        50,
        int(os.environ.get("BENCH_LABEL_RUNS", "20")),
    )


@dataclass
class Level:
    clients: int
    workers: int
    seconds: float
    requests: int
    journeys: int
    errors: int  # no answer, or an answer that is not the 2xx the step expects
    p50_ms: float
    p99_ms: float
    by_op: dict[str, tuple[int, float, float]]  # operation -> (requests, p50, p99)

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class ClientLabel:
    label_ms: float  # median, POST /v1/returns sent -> a GET that shows the label
    p90_ms: float
    runs: int
    polls: float  # median GETs per return
    create_ms: float  # median POST /v1/returns


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


class Front:
    """The local front on a free port, serving `stack` through `workers` worker processes."""

    def __init__(self, stack: LocalStack):
        self.stack = stack
        self.port = free_port()
        self.server: LocalApiServer = make_server("127.0.0.1", self.port)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.workers = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def use_workers(self, count: int) -> None:
        """Serve through `count` fresh worker processes (every one imported before it returns)."""
        if self.stack.workers is not None:
            self.stack.workers.close()
            self.stack.workers = None
        self.stack.start_workers(count).wait_ready()
        self.stack.serve_on(self.server)
        self.workers = count
        if not self.thread.is_alive():
            self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def run_client(config: dict[str, Any]) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bench.load_client", json.dumps(config)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"load client failed: {done.stderr[-2000:]}")
    return dict(json.loads(done.stdout))


def _expected(op: str, status: int) -> bool:
    if op in ("open session", "create return"):
        return status == 201
    if op == "import order (API key)":
        return status in (200, 201)
    return status == 200


def level(front: Front, clients: int, seconds: float) -> Level:
    got = run_client(
        {
            "mode": "load",
            "base": front.base,
            "api_key": DEMO_API_KEY,
            "shop": DEMO_SHOP,
            "clients": clients,
            "seconds": seconds,
        }
    )
    samples = [(str(op), float(ms), int(status)) for op, ms, status in got["samples"]]
    times = [ms for _, ms, _ in samples] or [0.0]
    by_op: dict[str, tuple[int, float, float]] = {}
    for op in dict.fromkeys(op for op, _, _ in samples):
        mine = [ms for o, ms, _ in samples if o == op]
        by_op[op] = (len(mine), statistics.median(mine), percentile(mine, 99))
    return Level(
        clients,
        front.workers,
        float(got["wall_s"]),
        len(samples),
        int(got["journeys"]),
        sum(1 for op, _, status in samples if not _expected(op, status)),
        statistics.median(times),
        percentile(times, 99),
        by_op,
    )


def client_label(front: Front, runs: int, poll_ms: float = 10.0) -> ClientLabel:
    got = run_client(
        {"mode": "label", "base": front.base, "api_key": DEMO_API_KEY, "runs": runs, "poll_ms": poll_ms}
    )
    seen = [float(ms) for ms in got["label_ms"]]
    creates = [float(ms) for op, ms, _ in got["samples"] if op == "create return (API key)"]
    return ClientLabel(
        statistics.median(seen),
        percentile(seen, 90),
        len(seen),
        statistics.median(got["polls"]),
        statistics.median(creates),
    )


@dataclass
class LoadReport:
    label: ClientLabel
    levels: list[Level]
    scaling: list[Level]
    plan: Plan


def measure(stack: LocalStack, chosen: Plan | None = None) -> LoadReport:
    """The client-seen label latency, the load levels, then throughput per worker count."""
    chosen = chosen or plan()
    front = Front(stack)
    try:
        front.use_workers(chosen.workers)
        client_label(front, 2)  # warms every worker's first paths (API key, policy) out of the figure
        label = client_label(front, chosen.label_runs)
        levels = [level(front, clients, chosen.seconds) for clients in chosen.clients]
        scaling: list[Level] = []
        for count in chosen.worker_counts:
            if count == chosen.workers and chosen.scaling_clients in chosen.clients:
                scaling.append(next(x for x in levels if x.clients == chosen.scaling_clients))
                continue
            front.use_workers(count)
            level(front, 2, 1.0)  # warm-up
            scaling.append(level(front, chosen.scaling_clients, chosen.seconds))
    finally:
        front.close()
    return LoadReport(label, levels, scaling, chosen)


def section(report: LoadReport, in_process_label_ms: float | None = None) -> list[str]:
    label = report.label
    rows = [
        f"| {x.clients} | {x.workers} | {x.seconds:.0f} s | {x.requests} | {x.throughput:.1f} | "
        f"{x.journeys / x.seconds:.2f} | {x.p50_ms:.0f} ms | {x.p99_ms:.0f} ms | {x.errors} |"
        for x in report.levels
    ]
    scale_rows = [
        f"| {x.workers} | {x.clients} | {x.throughput:.1f} | {x.p50_ms:.0f} ms | "
        f"{x.p99_ms:.0f} ms | {x.errors} |"
        for x in report.scaling
    ]
    ops = report.levels[-1].by_op if report.levels else {}
    op_rows = [f"| {op} | {n} | {p50:.0f} ms | {p99:.0f} ms |" for op, (n, p50, p99) in ops.items()]
    head = "| clients | workers | length | requests | requests/s | journeys/s | p50 | p99 | errors |"
    out = [
        "## Request to label, as a client sees it",
        f"A client in another process creates a return with the storefront key (POST /v1/returns) and "
        f"reads it back (GET /v1/returns/{{rma}}) every 10 ms until its status shows the label: median "
        f"**{label.label_ms:.0f} ms**, 90th percentile {label.p90_ms:.0f} ms, of {label.runs} returns "
        f"({label.polls:g} reads each, median); the POST alone: median {label.create_ms:.0f} ms. "
        f"Served as `make local` serves it: {report.plan.workers} worker processes, the state machine "
        "on moto in the coordinator.",
    ]
    if in_process_label_ms is not None:
        out.append(
            f"The old figure measured in the bench's own process (its own front with the handlers "
            f"in-process, a read of the table every 5 ms from the same interpreter): median "
            f"{in_process_label_ms:.0f} ms in this run."
        )
    out += [
        "## Load on the local front",
        f"Concurrent clients in another process, each walking a returns-portal visit over and over: "
        f"import the order (the shop's backend, API key), open a session, the policy, eligibility, "
        f"create the return, read it twice (7 requests). {report.plan.workers} worker processes; "
        "every return created runs its workflow in the coordinator (label, notifications) while the "
        "load goes on. Errors: no answer, or not the status the step expects.",
        "\n".join([head, "|---|---|---|---|---|---|---|---|---|", *rows]),
        "Per operation at the highest level:",
        "\n".join(["| operation | requests | p50 | p99 |", "|---|---|---|---|", *op_rows]),
        f"### Throughput and workers ({report.plan.scaling_clients} clients, {os.cpu_count()} cores)",
        "\n".join(
            [
                "| workers | clients | requests/s | p50 | p99 | errors |",
                "|---|---|---|---|---|---|",
                *scale_rows,
            ]
        ),
    ]
    return out
