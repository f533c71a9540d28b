"""The workflow through the local stack: time from POST /v1/returns to the label being issued
(the state machine's first steps, run by moto with the task functions in-process), and the state
transitions a journey takes, counted from the execution history (Step Functions bills per transition)."""

from __future__ import annotations

import json
import statistics
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

from bench.dynamodb_calls import Counter
from boomerang.domain.models import Grade, Wait
from boomerang.domain.status import ReturnStatus as S
from boomerang.services.workflow import Grading
from local.demo.data import DEMO_API_KEY
from local.dynamodb_local import free_port
from local.http_front import make_server
from local.stack import LocalStack


@dataclass
class LabelTiming:
    create_ms: float
    label_ms: float
    runs: int


def _order(oid: str, price: str) -> dict[str, Any]:
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {
        "order_id": oid,
        "order_number": f"#{oid}",
        "customer": {"email": f"{oid}@example.com", "country": "US"},
        "currency": "USD",
        "ordered_at": now,
        "lines": [
            {
                "line_id": "1",
                "sku": "TEE",
                "category": "apparel",
                "quantity": 1,
                "unit_price": {"amount": price, "currency": "USD"},
                "delivered_at": now,
            }
        ],
    }


def _post(url: str, body: Any, headers: dict[str, str]) -> Any:
    request = urllib.request.Request(url, json.dumps(body).encode(), headers)
    with urllib.request.urlopen(request) as answer:
        return json.loads(answer.read())


def label_timing(stack: LocalStack, runs: int = 20) -> LabelTiming:
    port = free_port()
    server = make_server("127.0.0.1", port, stack.routes)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    headers = {"x-api-key": DEMO_API_KEY, "Content-Type": "application/json"}
    assert stack.storefront is not None
    repo = stack.storefront.repo
    created, labelled = [], []
    try:
        for _ in range(runs):
            oid = uuid.uuid4().hex[:10]
            _post(f"{base}/v1/orders", _order(oid, "20.00"), headers)
            body = {
                "order_id": oid,
                "items": [{"line_id": "1", "quantity": 1, "reason": "size_too_small"}],
                "resolution": "refund",
            }
            started = time.perf_counter()
            ret = _post(f"{base}/v1/returns", body, {**headers, "Idempotency-Key": uuid.uuid4().hex})
            created.append((time.perf_counter() - started) * 1000)
            deadline = started + 30
            while repo.get_return(ret["rma"])[0].status is not S.LABEL_ISSUED:
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"{ret['rma']} got no label in 30 s")
                time.sleep(0.005)
            labelled.append((time.perf_counter() - started) * 1000)
    finally:
        server.shutdown()
        server.server_close()
    return LabelTiming(statistics.median(created), statistics.median(labelled), runs)


def _wait_for(stack: LocalStack, rma: str, wait: Wait) -> None:
    assert stack.storefront is not None
    deadline = time.monotonic() + 30
    while stack.storefront.repo.get_return(rma)[0].waiting_for is not wait:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{rma} never waited for {wait}")
        time.sleep(0.01)


@dataclass
class JourneyCost:
    transitions: int  # states entered (Step Functions Standard bills these)
    tasks: int  # Lambda invocations by the state machine
    read_units: float  # DynamoDB capacity of the workflow's steps and news
    write_units: float


def transitions(stack: LocalStack) -> dict[str, JourneyCost]:
    """Whole journeys: state transitions and task invocations from the execution history, and the
    DynamoDB capacity the workflow's functions and its news used (counted on their client)."""
    assert stack.workflow is not None and stack.machine is not None and stack.storefront is not None
    flow = stack.workflow.workflow
    definition = json.loads(stack.machine.definition)
    task_states = {name for name, state in definition["States"].items() if state["Type"] == "Task"}
    counter = Counter()
    flow.repo.ddb.meta.events.register("provide-client-params.dynamodb.*", lambda **kw: counter.before(**kw))
    flow.repo.ddb.meta.events.register("after-call.dynamodb.*", lambda **kw: counter.after(**kw))
    api = stack.storefront
    from local.http_front import invoke

    def start(price: str, reason: str) -> str:
        oid = uuid.uuid4().hex[:10]
        headers = {"x-api-key": DEMO_API_KEY, "Content-Type": "application/json"}
        invoke(stack.routes, "POST", "/v1/orders", headers, json.dumps(_order(oid, price)))
        body = {
            "order_id": oid,
            "items": [{"line_id": "1", "quantity": 1, "reason": reason}],
            "resolution": "refund",
        }
        _, _, text = invoke(
            stack.routes,
            "POST",
            "/v1/returns",
            {**headers, "Idempotency-Key": uuid.uuid4().hex},
            json.dumps(body),
        )
        return str(json.loads(text)["rma"])

    def finish(rma: str) -> JourneyCost:
        nonlocal counter
        arn = stack.machine.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{rma}"  # type: ignore[union-attr]
        stack.machine.wait_for(arn, "SUCCEEDED", timeout=30)  # type: ignore[union-attr]
        entered = stack.machine.states_entered(arn)  # type: ignore[union-attr]
        cost = JourneyCost(
            len(entered),
            sum(1 for name in entered if name in task_states),
            counter.read_units,
            counter.write_units,
        )
        counter = Counter()
        return cost

    counts: dict[str, JourneyCost] = {}
    counter = Counter()
    rma = start("20.00", "size_too_small")  # approved at once, refunded on delivery
    _wait_for(stack, rma, Wait.CARRIER)
    flow.carrier_update(rma, S.IN_TRANSIT, "bench")
    _wait_for(stack, rma, Wait.CARRIER)
    flow.carrier_update(rma, S.DELIVERED, "bench")
    _wait_for(stack, rma, Wait.SETTLEMENT)
    flow.settlement(rma, True, "bench")
    counts["auto-approved, in transit, delivered, refunded on delivery"] = finish(rma)

    counter = Counter()
    rma = start("40.00", "defective")  # reviewed, inspected, refunded
    _wait_for(stack, rma, Wait.REVIEW)
    flow.approve(rma, "staff:bench")
    _wait_for(stack, rma, Wait.CARRIER)
    flow.carrier_update(rma, S.DELIVERED, "bench")
    _wait_for(stack, rma, Wait.INSPECTION)
    flow.scan(rma, "us-nj", "staff:bench")
    flow.inspect(rma, [Grading("1", Grade.RESELLABLE)], "staff:bench")
    _wait_for(stack, rma, Wait.SETTLEMENT)
    flow.settlement(rma, True, "bench")
    counts["reviewed, delivered, inspected, refunded"] = finish(rma)
    del api
    return counts
