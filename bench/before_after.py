"""Before and after, side by side: the figures docs/PERFORMANCE.md showed on 2026-11-26 and issue 20
quoted (kept here, they are history), next to this run's, with issue 20's targets."""

from __future__ import annotations

from typing import Any

BEFORE = {
    "cold_ratio": "1.54x (make bench); 1.48x on a quiet machine",
    "wcu": "338 / 384",
    "transitions": "18 / 21",
    "label": "2738 ms (in the bench's process); 0.56 s seen by an outside client polling the staff API",
    "cost": "$0.82 counted (API, Step Functions, DynamoDB); about $1.68 with everything (issue's estimate)",
    "idle": "not measured",
    "api_key_calls": "5",
    "load": "not measured",
}


def section(after: dict[str, Any]) -> list[str]:
    wcu = " / ".join(f"{w:.0f}" for w in after["wcu"])
    transitions = " / ".join(str(t) for t in after["transitions"])
    cost = " / ".join(f"${c:.2f}" for c in after["cost"])
    load = "; ".join(
        f"{clients} clients: {rps:.1f} req/s, p50 {p50:.0f} ms, p99 {p99:.0f} ms, {errors} errors"
        for clients, rps, p50, p99, errors in after["load"]
    )
    rows = [
        ("storefront cold start vs floor", BEFORE["cold_ratio"], f"{after['cold_ratio']:.2f}x", "<= 1.3x"),
        ("WCU per journey (auto-approved / reviewed)", BEFORE["wcu"], wcu, "<= 120"),
        ("state transitions (auto-approved / reviewed)", BEFORE["transitions"], transitions, "<= 12"),
        (
            "request to label, median",
            BEFORE["label"],
            f"{after['label_client_ms']:.0f} ms seen by an outside client; "
            f"{after['label_in_process_ms']:.0f} ms the old way",
            "< 400 ms as a client sees it",
        ),
        (
            "cost per 1,000 returns (auto-approved / reviewed)",
            BEFORE["cost"],
            cost + " everything counted",
            "<= $1.00",
        ),
        ("idle deployment per month", BEFORE["idle"], f"${after['idle_month']:.2f}", "reported"),
        (
            "DynamoDB calls, create return with the API key",
            BEFORE["api_key_calls"],
            str(after["api_key_calls"]),
            "<= 4",
        ),
        ("load on the local front", BEFORE["load"], load or "-", "0 errors"),
    ]
    lines = ["| figure | before (2026-11-26, issue 20) | after (this run) | target |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return ["## Before and after (issue 20)", "\n".join(lines)]
