"""Events out: cold start of the event functions, and the time from a return's request to its
`return.requested` event at a subscriber's webhook through the local stack (stream poll, publisher,
moto's EventBridge and SQS, the delivery function). Locally the pollers' 0.2 s interval dominates;
in AWS the stream and SQS mappings poll on their own schedule, so read the local figure as the cost
of the code path, not as AWS latency."""

from __future__ import annotations

import json
import statistics
import threading
import time
import uuid
from dataclasses import dataclass

from bench.cold_start import _run
from bench.workflow import _order, _post
from boomerang.outbound.subscriptions import SubscriptionIn
from local.demo.data import DEMO_API_KEY, DEMO_SHOP
from local.dynamodb_local import free_port
from local.http_front import make_server
from local.stack import LocalStack
from local.webhook_receiver import WebhookReceiver

HANDLERS = ("outbox_publisher", "webhook_delivery", "klaviyo_events")
_ENV = (
    "import os; os.environ.update(EVENT_BUS_NAME='bench', TABLE_NAME='boomerang-bench', "
    "QUEUE_URL='https://sqs.us-east-1.amazonaws.com/123456789012/q')\n"
)


def cold(runs: int = 9) -> dict[str, float]:
    """Median import-and-init of each event function, in fresh processes (ms)."""
    code = {
        name: _ENV + f"import time\nt = time.perf_counter()\nimport functions.{name}.handler\n"
        "print((time.perf_counter() - t) * 1000)\n"
        for name in HANDLERS
    }
    for source in code.values():
        _run(source)  # warm the file cache and .pyc files
    return {name: statistics.median(_run(source) for _ in range(runs)) for name, source in code.items()}


@dataclass
class EventTiming:
    to_webhook_ms: float
    events_per_return: float
    runs: int


def through_stack(stack: LocalStack, runs: int = 10) -> EventTiming:
    admin = next(m for m in stack.modules.values() if m.__name__ == "functions.webhook_admin.handler")
    receiver = WebhookReceiver().start()
    subscription, _ = admin.webhooks.subscribe(
        SubscriptionIn.model_validate(
            {"shop": DEMO_SHOP, "url": receiver.url, "event_types": ["return.requested"]}
        ),
        "bench",
    )
    port = free_port()
    server = make_server("127.0.0.1", port, stack.routes)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    headers = {"x-api-key": DEMO_API_KEY, "Content-Type": "application/json"}
    assert stack.storefront is not None
    repo = stack.storefront.repo
    timings: list[float] = []
    events = 0
    try:
        for _ in range(runs):
            oid = uuid.uuid4().hex[:10]
            _post(f"{base}/v1/orders", _order(oid, "20.00"), headers)
            body = {"order_id": oid, "items": [{"line_id": "1", "quantity": 1, "reason": "size_too_small"}],
                    "resolution": "refund"}  # fmt: skip
            started = time.perf_counter()
            rma = _post(f"{base}/v1/returns", body, {**headers, "Idempotency-Key": uuid.uuid4().hex})["rma"]
            deadline = started + 30
            while time.perf_counter() < deadline:
                if any(json.loads(r.body)["data"].get("rma") == rma for r in list(receiver.received)):
                    timings.append((time.perf_counter() - started) * 1000)
                    break
                time.sleep(0.01)
            # Let the workflow reach its first wait, then count what one return published so far.
            time.sleep(1.0)
            events += len(repo.outbox_events(rma))
    finally:
        server.shutdown()
        admin.webhooks.unsubscribe(DEMO_SHOP, subscription.subscription_id)
        receiver.stop()
    return EventTiming(statistics.median(timings) if timings else float("nan"), events / runs, len(timings))


def section(timing: EventTiming, cold_ms: dict[str, float]) -> list[str]:
    """The events part of docs/PERFORMANCE.md."""
    rows = "\n".join(f"| {name} | {ms:.0f} ms |" for name, ms in cold_ms.items())
    return [
        "## Events out",
        "| function | import and init (median, fresh processes) |\n|---|---|\n" + rows,
        f"From POST /v1/returns to the `return.requested` webhook at a local receiver (stream poll, "
        f"publisher, moto's EventBridge rule and SQS, fan-out, signed POST): median "
        f"{timing.to_webhook_ms:.0f} ms of {timing.runs}; the local queue feeds long-poll, the stream "
        "is read 0.2 s apart while idle. "
        f"A return published {timing.events_per_return:.1f} events up to its first wait; each is one "
        "PutEvents entry, and per webhook subscriber two SQS messages (fan-out, delivery).",
    ]
