"""`make bench`'s load and client-seen latency, in their short mode (issue 20): clients in another
process drive the local front served by worker processes, and every request answers as it should."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

from bench import load
from local.demo.data import seed_shop
from local.stack import LocalStack


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    # The stack runs in this process: the environment and the function modules are put back
    # afterwards, so the tests that run next see their own.
    environment = dict(os.environ)
    # The stack imports the functions afresh, bound to its own tables (the tests before it import
    # them bound to theirs); theirs are put back afterwards.
    theirs = {name: sys.modules.pop(name) for name in list(sys.modules) if name.startswith("functions.")}
    modules = set(sys.modules)
    started = LocalStack().start()
    assert started.storefront is not None
    seed_shop(started.storefront.repo)
    try:
        yield started
    finally:
        started.stop()
        os.environ.clear()
        os.environ.update(environment)
        for name in set(sys.modules) - modules:
            if name.startswith("functions."):
                del sys.modules[name]
        sys.modules.update(theirs)


def test_the_short_load_runs_every_step_of_the_portal_without_an_error(stack: LocalStack) -> None:
    plan = load.Plan(
        clients=(2,), seconds=2.0, workers=1, worker_counts=(1, 2), scaling_clients=2, label_runs=2
    )
    report = load.measure(stack, plan)

    assert report.label.runs == 2 and report.label.label_ms > report.label.create_ms > 0
    (level,) = report.levels
    assert level.errors == 0 and level.journeys >= 1 and level.throughput > 0
    assert set(level.by_op) == set(load_client_journey())
    assert level.p99_ms >= level.p50_ms > 0
    assert [x.workers for x in report.scaling] == [1, 2]
    assert all(x.errors == 0 for x in report.scaling)
    text = "\n".join(load.section(report, 1000.0))
    assert "| 2 | 1 |" in text and "### Throughput and workers" in text


def load_client_journey() -> tuple[str, ...]:
    from bench.load_client import JOURNEY

    return JOURNEY
