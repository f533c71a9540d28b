"""The local front serves concurrent requests as Lambda does (issue 13, item 7): `make local`'s API
functions run in worker processes, one request per worker at a time, so a race sent over HTTP
races as it would on AWS, and a burst of connections queues instead of being reset."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from local.cognito import PASSWORD
from local.demo.data import DEMO_API_KEY
from local.dynamodb_local import free_port

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4


class Http:
    def __init__(self, base: str):
        self.base = base

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int | str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        sent = {"Content-Type": "application/json", **(headers or {})}
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=120) as answer:
                return answer.status, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")
        except OSError as error:  # a reset or refused connection: what this test is about
            return type(error).__name__, None


@pytest.fixture(scope="module")
def http() -> Iterator[Http]:
    """`make local` with its workers, as a developer starts it; stopped as a supervisor would."""
    port = free_port()
    env = {**os.environ, "PORT": str(port), "WORKERS": str(WORKERS), "PYTHONUNBUFFERED": "1"}
    for name in ("TABLE_NAME", "IDEMPOTENCY_TABLE_NAME", "SESSION_SECRET_NAME"):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "local"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True, start_new_session=True,
    )  # fmt: skip
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            if line.startswith("Ready in"):
                break
        else:
            raise AssertionError("make local did not get ready:\n" + "\n".join(lines[-20:]))
        assert lines and lines[-1].startswith("Ready in"), "\n".join(lines[-20:])
        assert f"served by {WORKERS} worker processes" in "\n".join(lines)
        threading.Thread(target=process.stdout.read, daemon=True).start()  # keep its pipe drained
        http = Http(f"http://127.0.0.1:{port}")
        while http.call("POST", "/local/workers", {})[1]["ready"] < WORKERS:  # ready with the first
            assert time.monotonic() < deadline, "the workers did not all start"
            time.sleep(0.5)
        yield http
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _at_once(count: int, call: Any) -> list[Any]:
    """`count` calls released together (a barrier), each on its own connection."""
    barrier = threading.Barrier(count)

    def one(_: int) -> Any:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def _return_in_review(http: Http) -> str:
    key = {"x-api-key": DEMO_API_KEY}
    oid = uuid.uuid4().hex[:12]
    now = datetime.now(UTC)
    line = {
        "line_id": "l1",
        "sku": "HP-1",
        "category": "electronics",  # the default policy sends electronics to a person
        "quantity": 1,
        "unit_price": {"amount": "79.00", "currency": "EUR"},
        "delivered_at": (now - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    order = {
        "order_id": oid,
        "order_number": f"#{oid}",
        "customer": {"email": f"{oid}@example.com", "country": "DE"},
        "currency": "EUR",
        "ordered_at": (now - timedelta(days=6)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "lines": [line],
    }
    assert http.call("POST", "/v1/orders", order, key)[0] == 201
    body = {
        "order_id": oid,
        "items": [{"line_id": "l1", "quantity": 1, "reason": "defective"}],
        "resolution": "refund",
    }
    status, ret = http.call("POST", "/v1/returns", body, {**key, "Idempotency-Key": uuid.uuid4().hex})
    assert (status, ret["status"]) == (201, "pending_review"), ret
    return str(ret["rma"])


def test_twenty_concurrent_approvals_over_http_one_wins_nineteen_get_409(http: Http) -> None:
    rma = _return_in_review(http)
    status, login = http.call("POST", "/local/login", {"username": "support", "password": PASSWORD})
    assert status == 200
    staff = {"Authorization": login["id_token"]}
    before = http.call("POST", "/local/workers", {})[1]

    answers = _at_once(20, lambda: http.call("POST", f"/admin/v1/returns/{rma}/approve", {}, staff))

    assert Counter(status for status, _ in answers) == Counter({200: 1, 409: 19}), answers
    assert {b["error"]["code"] for s, b in answers if s == 409} <= {"stale_version", "illegal_transition"}
    winner = next(b for s, b in answers if s == 200)
    assert winner["status"] in ("approved", "label_issued")
    # They ran side by side in separate workers (containers), not one after another.
    after = http.call("POST", "/local/workers", {})[1]
    assert after["served"] - before["served"] >= 20
    assert after["most_in_flight"] >= 2, after
    status, read = http.call("GET", f"/admin/v1/returns/{rma}", headers=staff)
    assert status == 200
    approvals = [
        e for e in read["timeline"] if e["event"] == "return.approved" and e["actor"].startswith("staff:")
    ]
    assert len(approvals) == 1


def test_a_burst_of_200_connections_is_served_without_resets(http: Http) -> None:
    key = {"x-api-key": DEMO_API_KEY}
    started = time.monotonic()
    answers = _at_once(200, lambda: http.call("GET", "/v1/policy", headers=key))
    elapsed = time.monotonic() - started
    assert Counter(status for status, _ in answers) == Counter({200: 200}), Counter(s for s, _ in answers)
    print(f"200 concurrent GET /v1/policy: all 200 in {elapsed:.2f} s ({200 / elapsed:.0f} requests/s)")
    workers = http.call("POST", "/local/workers", {})[1]
    assert workers["workers"] == WORKERS and len(set(workers["pids"])) == WORKERS
