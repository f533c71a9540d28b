"""DynamoDB calls and consumed capacity per storefront operation, counted with botocore events
on the handler's own client while it runs against DynamoDB Local."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from boomerang.api.routes import STOREFRONT_ROUTES
from local.demo.data import DEMO_API_KEY
from local.http_front import invoke, routes_for


@dataclass
class Counter:
    calls: list[str] = field(default_factory=list)
    read_units: float = 0.0
    write_units: float = 0.0

    def before(self, params: dict[str, Any], **_: Any) -> None:
        params.setdefault("ReturnConsumedCapacity", "TOTAL")

    def after(self, http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append(model.name)
        capacity = parsed.get("ConsumedCapacity") or []
        for entry in capacity if isinstance(capacity, list) else [capacity]:
            self.read_units += float(entry.get("ReadCapacityUnits") or 0)
            self.write_units += float(entry.get("WriteCapacityUnits") or 0)
            if not entry.get("ReadCapacityUnits") and not entry.get("WriteCapacityUnits"):
                # DynamoDB Local reports only CapacityUnits for some calls; book them by call type.
                units = float(entry.get("CapacityUnits") or 0)
                if model.name in ("GetItem", "BatchGetItem", "Query", "TransactGetItems"):
                    self.read_units += units
                else:
                    self.write_units += units


@dataclass
class Operation:
    name: str
    status: int
    calls: list[str]
    read_units: float
    write_units: float
    millis: float
    budget: int | None = None


class Probe:
    def __init__(self, module: ModuleType):
        self.module = module
        self.client = module.repo.ddb
        self.counter = Counter()
        self.routes = routes_for(module.handler, STOREFRONT_ROUTES, "storefront_api")
        self.client.meta.events.register("provide-client-params.dynamodb.*", self._before)
        self.client.meta.events.register("after-call.dynamodb.*", self._after)

    def call(
        self, name: str, method: str, path: str, body: Any = None, budget: int | None = None, **headers: str
    ) -> tuple[Operation, Any]:
        self.counter = Counter()
        sent = {"Content-Type": "application/json", **{k.replace("_", "-"): v for k, v in headers.items()}}
        started = time.perf_counter()
        status, _, text = invoke(
            self.routes,
            method,
            path,
            sent,
            json.dumps(body) if body is not None else None,
        )
        millis = (time.perf_counter() - started) * 1000
        op = Operation(
            name,
            status,
            list(self.counter.calls),
            self.counter.read_units,
            self.counter.write_units,
            millis,
            budget,
        )
        return op, json.loads(text) if text else None

    def _before(self, params: dict[str, Any], **kw: Any) -> None:
        self.counter.before(params, **kw)

    def _after(self, **kw: Any) -> None:
        self.counter.after(**kw)


def _order(oid: str, currency: str = "USD", price: str = "20.00", country: str = "US") -> dict[str, Any]:
    delivered = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 86400))
    line = {
        "line_id": "1",
        "sku": "TEE",
        "category": "apparel",
        "quantity": 2,
        "unit_price": {"amount": price, "currency": currency},
        "delivered_at": delivered,
    }
    return {
        "order_id": oid,
        "order_number": f"#{oid}",
        "customer": {"email": f"{oid}@example.com", "country": country},
        "currency": currency,
        "ordered_at": delivered,
        "lines": [line],
    }


def journey(module: ModuleType) -> list[Operation]:
    """One customer's way through the API, each step measured with warm caches (the second round)."""
    probe = Probe(module)
    key = {"x_api_key": DEMO_API_KEY}
    ops: list[Operation] = []
    for _round in range(2):  # the first round fills the per-container caches (API key, policy)
        ops.clear()
        oid = uuid.uuid4().hex[:10]

        def step(
            name: str, method: str, path: str, body: Any = None, budget: int | None = None, **headers: str
        ) -> Any:
            op, answer = probe.call(name, method, path, body, budget, **headers)
            ops.append(op)
            return answer

        step("import order (API key)", "POST", "/v1/orders", _order(oid), **key)
        step(
            "open session, wrong order number",
            "POST",
            "/v1/sessions",
            {"shop": "demo", "order_number": f"#{oid}-typo", "email": f"{oid}@example.com"},
            3,
        )
        session = step(
            "open session",
            "POST",
            "/v1/sessions",
            {"shop": "demo", "order_number": f"#{oid}", "email": f"{oid}@example.com"},
            4,
        )
        bearer = {"authorization": f"Bearer {session['token']}"}
        step("eligibility (customer token)", "GET", f"/v1/orders/{oid}/eligibility", budget=2, **bearer)
        body = {
            "order_id": oid,
            "items": [{"line_id": "1", "quantity": 1, "reason": "size_too_small"}],
            "resolution": "refund",
        }
        replay = uuid.uuid4().hex
        created = step(
            "create return (customer token)", "POST", "/v1/returns", body, 4, idempotency_key=replay, **bearer
        )
        step(
            "create return, same Idempotency-Key again",
            "POST",
            "/v1/returns",
            body,
            idempotency_key=replay,
            **bearer,
        )
        step(
            "create return (API key)", "POST", "/v1/returns", body, 4, idempotency_key=uuid.uuid4().hex, **key
        )
        # A currency with no pinned threshold: the reference rates are read (once per container and hour).
        cny = f"{oid}c"
        step("import order in CNY (API key)", "POST", "/v1/orders", _order(cny, "CNY", "149.00", "CN"), **key)
        opened = step(
            "open session, number typed without '#'",
            "POST",
            "/v1/sessions",
            {"shop": "demo", "order_number": cny, "email": f"{cny}@example.com"},
        )
        step(
            "create return in CNY, rates converted (customer token)",
            "POST",
            "/v1/returns",
            {**body, "order_id": cny},
            4,
            idempotency_key=uuid.uuid4().hex,
            authorization=f"Bearer {opened['token']}",
        )
        step("get return (customer token)", "GET", f"/v1/returns/{created['rma']}", budget=1, **bearer)
        step("get return (API key)", "GET", f"/v1/returns/{created['rma']}", budget=1, **key)
        step("cancel return", "POST", f"/v1/returns/{created['rma']}/cancel", **bearer)
        step("get policy", "GET", "/v1/policy", **bearer)
        step("sign out everywhere", "POST", "/v1/sessions/revoke", **bearer)
    return ops
