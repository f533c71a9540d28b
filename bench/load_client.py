"""The client side of the load and latency benches: a separate process that talks to the local front
over HTTP, as a storefront, a returns portal or a polling integration would from outside.

It runs in its own interpreter (`python -m bench.load_client '<json>'`) so its threads never share
a GIL with the stack it measures; it prints one JSON document with what it saw.

Modes:
- `load`: `clients` threads, each walking the portal's journey over and over for `seconds`
  (JOURNEY below), every request timed with its status.
- `label`: `runs` returns one after another; each is created with the storefront key, then read
  back with GET /v1/returns/{rma} every `poll_ms` until its label is issued: the time a client
  sees from sending the request to reading the label.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

# The statuses a return reaches once its label exists (later ones included: a fast carrier scan).
LABELLED = {"label_issued", "in_transit", "delivered", "received", "inspected"}
# One customer's way through a returns portal, with the import the shop's backend sends first.
JOURNEY = (
    "import order (API key)",
    "open session",
    "get policy",
    "eligibility",
    "create return",
    "get return",
    "get return again",
)


def order(oid: str, price: str = "20.00") -> dict[str, Any]:
    delivered = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 86400))
    return {
        "order_id": oid,
        "order_number": f"#{oid}",
        "customer": {"email": f"{oid}@example.com", "country": "US"},
        "currency": "USD",
        "ordered_at": delivered,
        "lines": [
            {
                "line_id": "1",
                "sku": "TEE",
                "category": "apparel",
                "quantity": 1,
                "unit_price": {"amount": price, "currency": "USD"},
                "delivered_at": delivered,
            }
        ],
    }


class Client:
    def __init__(self, base: str, api_key: str, timeout: float = 35.0):
        self.base = base
        self.api_key = api_key
        self.timeout = timeout
        self.samples: list[tuple[str, float, int]] = []  # (operation, ms, status; 0 = no answer)

    def call(
        self, op: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        sent = {"Content-Type": "application/json", **(headers or {})}
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data, sent, method=method)
        started = time.perf_counter()
        status, text = 0, b""
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                status, text = answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read()
        except OSError:
            status = 0
        self.samples.append((op, (time.perf_counter() - started) * 1000, status))
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            return status, None

    def journey(self, shop: str) -> bool:
        """One customer's returns-portal visit; False once a step failed (the rest is skipped)."""
        key = {"x-api-key": self.api_key}
        oid = uuid.uuid4().hex[:12]
        status, _ = self.call(JOURNEY[0], "POST", "/v1/orders", order(oid), key)
        if status != 200 and status != 201:
            return False
        status, session = self.call(
            JOURNEY[1],
            "POST",
            "/v1/sessions",
            {"shop": shop, "order_number": f"#{oid}", "email": f"{oid}@example.com"},
        )
        if status != 201 or not session:
            return False
        bearer = {"Authorization": f"Bearer {session['token']}"}
        if self.call(JOURNEY[2], "GET", "/v1/policy", headers=bearer)[0] != 200:
            return False
        if self.call(JOURNEY[3], "GET", f"/v1/orders/{oid}/eligibility", headers=bearer)[0] != 200:
            return False
        body = {
            "order_id": oid,
            "items": [{"line_id": "1", "quantity": 1, "reason": "size_too_small"}],
            "resolution": "refund",
        }
        status, created = self.call(
            JOURNEY[4], "POST", "/v1/returns", body, {**bearer, "Idempotency-Key": uuid.uuid4().hex}
        )
        if status != 201 or not created:
            return False
        for op in JOURNEY[5:]:
            if self.call(op, "GET", f"/v1/returns/{created['rma']}", headers=bearer)[0] != 200:
                return False
        return True


def load(base: str, api_key: str, shop: str, clients: int, seconds: float) -> dict[str, Any]:
    deadline = time.perf_counter() + seconds
    everyone = [Client(base, api_key) for _ in range(clients)]
    journeys = [0] * clients

    def run(n: int) -> None:
        while time.perf_counter() < deadline:
            if everyone[n].journey(shop):
                journeys[n] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "wall_s": time.perf_counter() - started,
        "journeys": sum(journeys),
        "samples": [s for c in everyone for s in c.samples],
    }


def label(base: str, api_key: str, runs: int, poll_ms: float) -> dict[str, Any]:
    client = Client(base, api_key)
    key = {"x-api-key": api_key}
    seen: list[float] = []
    polls: list[int] = []
    for _ in range(runs):
        oid = uuid.uuid4().hex[:12]
        client.call("import order (API key)", "POST", "/v1/orders", order(oid), key)
        body = {
            "order_id": oid,
            "items": [{"line_id": "1", "quantity": 1, "reason": "size_too_small"}],
            "resolution": "refund",
        }
        started = time.perf_counter()
        status, created = client.call(
            "create return (API key)",
            "POST",
            "/v1/returns",
            body,
            {**key, "Idempotency-Key": uuid.uuid4().hex},
        )
        if status != 201 or not created:
            raise RuntimeError(f"POST /v1/returns answered {status}: {created}")
        n = 0
        while True:
            n += 1
            _, ret = client.call("get return (API key)", "GET", f"/v1/returns/{created['rma']}", headers=key)
            if ret and ret.get("status") in LABELLED:
                break
            if time.perf_counter() - started > 30:
                raise RuntimeError(f"{created['rma']} got no label in 30 s")
            time.sleep(poll_ms / 1000)
        seen.append((time.perf_counter() - started) * 1000)
        polls.append(n)
    return {"label_ms": seen, "polls": polls, "samples": client.samples}


def main() -> None:
    config = json.loads(sys.argv[1])
    mode = config.pop("mode")
    result = load(**config) if mode == "load" else label(**config)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
