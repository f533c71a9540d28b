"""Refunds: how many refunds each return asked of the payment provider over the `make demo`
journeys (run in-process against the local stack; exactly 1 wherever one was due), and the Stripe
webhook handler's latency on the local stack (DynamoDB Local for the tables, moto for Secrets
Manager and the state machine), per kind of delivery: median and p99."""

from __future__ import annotations

import json
import statistics
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from boomerang.domain.models import Wait
from boomerang.domain.status import ReturnStatus as S
from local.apigw_events import LambdaContext, rest_event
from local.demo.data import DEMO_API_KEY, seed_hurried_shop
from local.dynamodb_local import free_port
from local.http_front import invoke, make_server
from local.shopify import seed_shopify
from local.stack import LocalStack
from local.stripe_local import LOCAL_WEBHOOK_SECRET, sample_event, stripe_signature


@dataclass
class RefundCount:
    journeys: int
    journeys_passed: int
    returns: int
    due: int  # returns that asked for a card refund (their resolution is a refund and it was due)
    per_return: Counter[int]  # refunds asked -> how many returns asked that many
    paid_another_way: int  # refunds that failed and finance paid another way (a later attempt)


@dataclass
class Latency:
    kind: str
    runs: int
    median_ms: float
    p99_ms: float


def _provider_keys(stack: LocalStack) -> set[str]:
    """The idempotency keys the providers (the local fakes, local/payment_fakes.py) were asked with."""
    assert stack.payments is not None, "the stack is not started"
    return {c.key for c in stack.payments.calls if c.key and ":refund:" in c.key}


def refunds_per_return(stack: LocalStack) -> RefundCount:
    """Every `make demo` journey but the slow expiry one, then the refund requests the payment
    providers (the local fakes) received, per return (keys: boomerang:<rma>:refund:<n>)."""
    from local.demo.harness import Api
    from local.demo.journeys import JOURNEYS, SLOW
    from local.demo.runner import run_journey

    assert stack.workflow is not None and stack.admin is not None and stack.storefront is not None
    seed_hurried_shop(stack.storefront.repo)
    seed_shopify(stack.storefront.repo)  # the Shopify journey's shop domain and app secret
    port = free_port()
    server = make_server("127.0.0.1", port, stack.routes)
    stack.serve_on(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # Only what these journeys ask: other measurements may have refunded on the same stack before.
    before = _provider_keys(stack)
    api = Api(f"http://127.0.0.1:{port}")
    run_id = "bench" + uuid.uuid4().hex[:4]
    done = []
    try:
        for n, (title, walk) in enumerate(JOURNEYS, start=1):
            if walk.__name__ in SLOW:
                continue
            done.append(run_journey(api, run_id, n, title, walk))
    finally:
        server.shutdown()
        server.server_close()
    keys = _provider_keys(stack) - before
    asked: Counter[str] = Counter(key.split(":")[1] for key in keys)
    tracked = [t for j in done for t in j.tracked]
    # Due: a card refund was owed (resolution refund) and the return got as far as asking for it.
    due = [
        t
        for t in tracked
        if t.final
        and t.final.get("resolution") == "refund"
        and any(e["event"] == "return.refund_pending" for e in t.final.get("timeline") or [])
    ]
    retried = sum(1 for t in due if ((t.final or {}).get("refund") or {}).get("attempt", 1) > 1)
    per_return: Counter[int] = Counter(asked.get(t.rma, 0) for t in due)
    stray = [rma for rma in asked if rma not in {t.rma for t in due}]
    if stray:
        per_return[-1] += len(stray)  # asked without a refund due: reported, never expected
    return RefundCount(
        len(done), sum(1 for j in done if j.passed), len(tracked), len(due), per_return, retried
    )


def _post(module: Any, event: dict[str, Any]) -> tuple[int, float]:
    body = json.dumps(event)
    request = rest_event(
        "POST",
        "/webhooks/stripe",
        resource="/webhooks/stripe",
        headers={"Stripe-Signature": stripe_signature(body, LOCAL_WEBHOOK_SECRET)},
        body=body,
    )
    started = time.perf_counter()
    answer = module.handler(request, LambdaContext(function_name="webhooks_stripe"))
    return int(answer["statusCode"]), (time.perf_counter() - started) * 1000


def _summary(kind: str, samples: list[float]) -> Latency:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return Latency(kind, len(ordered), statistics.median(ordered), p99)


def webhook_latency(stack: LocalStack, settle_runs: int = 30, other_runs: int = 100) -> list[Latency]:
    module = next(m for m in stack.modules.values() if m.__name__ == "functions.webhooks_stripe.handler")
    assert stack.workflow is not None
    flow = stack.workflow.workflow
    headers = {"x-api-key": DEMO_API_KEY, "Content-Type": "application/json"}
    rmas = []
    for _ in range(settle_runs):
        oid = "bench-" + uuid.uuid4().hex[:10]
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        order = {
            "order_id": oid,
            "order_number": f"#{oid}",
            "customer": {"email": f"{oid}@example.com", "country": "US"},
            "currency": "USD",
            "ordered_at": now,
            "payment_reference": f"pi_{oid}",
            "lines": [{"line_id": "1", "sku": "TEE", "category": "apparel", "quantity": 1,
                       "unit_price": {"amount": "20.00", "currency": "USD"}, "delivered_at": now}],
        }  # fmt: skip
        invoke(stack.routes, "POST", "/v1/orders", headers, json.dumps(order))
        body = {"order_id": oid, "items": [{"line_id": "1", "quantity": 1, "reason": "size_too_small"}],
                "resolution": "refund"}  # fmt: skip
        _, _, text = invoke(
            stack.routes, "POST", "/v1/returns", {**headers, "Idempotency-Key": oid}, json.dumps(body)
        )
        rmas.append(str(json.loads(text)["rma"]))

    def wait_for(rma: str, wait: Wait) -> Any:
        deadline = time.monotonic() + 30
        while (ret := flow.repo.get_return(rma)[0]).waiting_for is not wait:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{rma} never waited for {wait}")
            time.sleep(0.01)
        return ret

    settled: list[float] = []
    for rma in rmas:
        wait_for(rma, Wait.CARRIER)
        flow.carrier_update(rma, S.DELIVERED, "bench")
        ret = wait_for(rma, Wait.SETTLEMENT)
        event = sample_event("refund.updated.succeeded", rma, refund_id=ret.refund.reference,
                             event_id=f"evt_bench_{uuid.uuid4().hex}")  # fmt: skip
        status, ms = _post(module, event)
        if status != 200 or flow.repo.get_return(rma)[0].status not in (S.REFUNDED, S.CLOSED):
            raise RuntimeError(f"the webhook did not settle {rma} ({status})")
        settled.append(ms)
    repeated = sample_event("refund.updated.succeeded", rmas[0], event_id=f"evt_bench_{uuid.uuid4().hex}")
    duplicate = [_post(module, repeated)[1] for _ in range(other_runs)][1:]
    ignored = [
        _post(module, sample_event("plan.created", rmas[0], event_id=f"evt_bench_{uuid.uuid4().hex}"))[1]
        for _ in range(other_runs)
    ]
    return [
        _summary("refund.updated (succeeded) settles a refund_pending return, resumes its workflow", settled),
        _summary("the same event delivered again (Powertools idempotency answers)", duplicate),
        _summary("an event type Boomerang ignores (acknowledged)", ignored),
    ]


def report(count: RefundCount, latencies: list[Latency]) -> list[str]:
    """The docs/PERFORMANCE.md section."""
    per = ", ".join(
        f"{n if n >= 0 else 'asked with none due'}: {returns} return(s)"
        for n, returns in sorted(count.per_return.items())
    )
    rows = "\n".join(f"| {x.kind} | {x.runs} | {x.median_ms:.1f} ms | {x.p99_ms:.1f} ms |" for x in latencies)
    return [
        "## Refunds",
        "Refunds asked of the payment provider per return, over the `make demo` journeys (all but the "
        f"slow expiry one; {count.journeys_passed} of {count.journeys} passed, run in-process against the "
        f"local stack): {count.returns} returns, {count.due} with a card refund due; refunds asked per "
        f"such return -> {per} "
        f"(target: exactly 1 each). {count.paid_another_way} failed refund(s) were then paid another way by "
        "finance (store credit: no second card refund). Counted from the idempotency keys the payment "
        "adapters received (one key per return and attempt).",
        "Stripe webhook handler (signature check, Powertools idempotency on the event id, the return's "
        "change), called in-process on the local stack (DynamoDB Local, moto):",
        "| delivery | runs | median | p99 |\n|---|---|---|---|\n" + rows,
    ]
