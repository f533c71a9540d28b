"""Everything one return causes, counted on the local stack while its journey runs (bench/cost.py
prices it): the portal's API calls and the carrier webhooks through the local API Gateway, each
function's invocations and measured time (API, workflow tasks, events pipeline), the state
transitions, the DynamoDB capacity of every client in the process, the events put and queued, the
emails SES sent with their attachments, the bytes the functions logged and the objects S3 stored.

The meters hook what already exists: every boto3 client in the process (botocore events), the
handlers of the routes and event feeds (wrapped for the journey), the Step Functions dispatch log
and the log handlers' streams. A warm-up journey first creates the clients functions make lazily.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.cost import FunctionUse, ReturnUsage, assumed
from bench.dynamodb_calls import Counter
from boomerang.domain.models import Grade, Wait
from boomerang.services.workflow import Grading
from local.carrier_signing import WEBHOOK_SECRETS, sample, signed_headers
from local.demo.data import DEMO_API_KEY, DEMO_SHOP
from local.http_front import LocalRoute, invoke
from local.stack import LocalStack
from local.stepfunctions import DISPATCH

TRACKED = {"dynamodb", "events", "sqs", "ses", "sesv2", "s3"}


class _CountingStream:
    def __init__(self, inner: Any, meter: Meter):
        self.inner, self.meter = inner, meter

    def write(self, text: str) -> int:
        if self.meter.on:
            self.meter.log_bytes += len(text.encode())
        return int(self.inner.write(text) or 0)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@dataclass
class Meter:
    on: bool = False
    ddb: Counter = field(default_factory=Counter)
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # "service.Operation"
    events_put: int = 0
    sqs_messages: int = 0
    emails: int = 0
    attachment_bytes: int = 0
    s3_puts: int = 0
    s3_gets: int = 0
    s3_bytes: int = 0
    log_bytes: int = 0
    millis: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # function -> runs
    lock: threading.Lock = field(default_factory=threading.Lock)

    def before(self, params: dict[str, Any], model: Any, **kw: Any) -> None:
        if not self.on:
            return
        if model.service_model.service_name == "dynamodb":
            self.ddb.before(params, **kw)
        self.count(params, model)

    def count(self, params: dict[str, Any], model: Any) -> None:
        service = model.service_model.service_name
        with self.lock:
            self.calls[f"{service}.{model.name}"] += 1
            if service == "events" and model.name == "PutEvents":
                self.events_put += len(params.get("Entries") or [])
            elif service in ("ses", "sesv2") and model.name.startswith("Send"):
                self.emails += 1
                raw = (params.get("RawMessage") or {}).get("Data") or (
                    ((params.get("Content") or {}).get("Raw") or {}).get("Data")
                )
                if raw:
                    self.attachment_bytes += max(0, len(raw) - 20_000)  # beyond a plain message
            elif service == "s3" and model.name == "PutObject":
                self.s3_puts += 1
                body = params.get("Body")
                self.s3_bytes += len(body) if isinstance(body, bytes | str) else 0
            elif service == "s3" and model.name == "GetObject":
                self.s3_gets += 1

    def after(self, model: Any, **kw: Any) -> None:
        if self.on and model.service_model.service_name == "dynamodb":
            with self.lock:
                self.ddb.after(model=model, **kw)

    def timed(self, function: str, handler: Callable[..., Any], records: bool = False) -> Callable[..., Any]:
        def call(event: Any, context: Any) -> Any:
            started = time.perf_counter()
            try:
                return handler(event, context)
            finally:
                if self.on:
                    with self.lock:
                        self.millis[function].append((time.perf_counter() - started) * 1000)
                        if records and isinstance(event, dict):
                            self.sqs_messages += len(event.get("Records") or [])

        return call


def _patch_clients(meter: Meter) -> None:
    """Every boto3 client's calls go through the meter (one class-level wrapper; the clients the
    functions made at import are not all reachable to hook one by one)."""
    import botocore.client

    if getattr(botocore.client.BaseClient._make_api_call, "_metered", False):
        return
    original = botocore.client.BaseClient._make_api_call

    def call(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        model = client.meta.service_model.operation_model(operation_name)
        if not meter.on or model.service_model.service_name not in TRACKED:
            return original(client, operation_name, api_params)
        members = model.input_shape.members if model.input_shape is not None else {}
        if "ReturnConsumedCapacity" in members:
            meter.before(api_params, model)
        else:
            meter.count(api_params, model)
        result = original(client, operation_name, api_params)
        meter.after(model=model, parsed=result, http_response=None)
        return result

    call._metered = True  # type: ignore[attr-defined]
    botocore.client.BaseClient._make_api_call = call  # type: ignore[method-assign]


def install(stack: LocalStack) -> tuple[Meter, list[LocalRoute]]:
    """Hook the meter into the running stack; the routes to call (timed per function)."""
    meter = Meter()
    _patch_clients(meter)
    assert stack.events is not None
    for stream in stack.events.streams:
        stream.handler = meter.timed(stream.function_name, stream.handler)
    for queue in stack.events.queues:
        queue.handler = meter.timed(queue.function_name, queue.handler, records=True)
    for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        for handler in getattr(logger, "handlers", []):
            out = getattr(handler, "stream", None)
            if out is not None and not isinstance(out, _CountingStream):
                handler.stream = _CountingStream(out, meter)
    routes = [replace(r, handler=meter.timed(r.function_name, r.handler)) for r in stack.routes]
    return meter, routes


@dataclass
class Journey:
    name: str
    usage: ReturnUsage
    calls: dict[str, int]


def _memory(template: dict[str, Any]) -> dict[str, int]:
    """Function folder name (storefront_api, workflow...) -> MemorySize."""
    out = {}
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        code = (resource.get("Metadata") or {}).get("boomerang:code")
        if code:
            out[code.strip("/").split("/")[-1]] = int(resource["Properties"].get("MemorySize", 128))
    return out


def measure(stack: LocalStack, template: dict[str, Any], init_ms: dict[str, float]) -> list[Journey]:
    """The two journeys of bench/workflow.py, portal calls and carrier webhooks included, metered."""
    assert stack.workflow is not None and stack.machine is not None
    flow = stack.workflow.workflow
    memory = _memory(template)
    meter, routes = install(stack)
    key = {"x-api-key": DEMO_API_KEY, "Content-Type": "application/json"}
    api: dict[str, int] = defaultdict(int)
    easypost_secret = WEBHOOK_SECRETS["easypost"][1]

    def call(audience: str, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
        api[audience] += 1
        status, _, text = invoke(routes, method, path, headers, None if body is None else json.dumps(body))
        if status >= 300:
            raise RuntimeError(f"{method} {path} answered {status}: {text[:300]}")
        return json.loads(text) if text else None

    def portal(price: str, reason: str) -> str:
        """The customer's visit: session, policy, eligibility, the request, two reads of it."""
        oid = uuid.uuid4().hex[:10]
        invoke(
            routes, "POST", "/v1/orders", key, json.dumps(_order(oid, price))
        )  # the order's, not the return's
        session = call(
            "portal",
            "POST",
            "/v1/sessions",
            {"Content-Type": "application/json"},
            {"shop": DEMO_SHOP, "order_number": f"#{oid}", "email": f"{oid}@example.com"},
        )
        bearer = {"Authorization": f"Bearer {session['token']}", "Content-Type": "application/json"}
        call("portal", "GET", "/v1/policy", bearer)
        call("portal", "GET", f"/v1/orders/{oid}/eligibility", bearer)
        body = {
            "order_id": oid,
            "items": [{"line_id": "1", "quantity": 1, "reason": reason}],
            "resolution": "refund",
        }
        rma = str(
            call("portal", "POST", "/v1/returns", {**bearer, "Idempotency-Key": uuid.uuid4().hex}, body)[
                "rma"
            ]
        )
        call("portal", "GET", f"/v1/returns/{rma}", bearer)
        call("portal", "GET", f"/v1/returns/{rma}", bearer)
        return rma

    def carrier(rma: str, what: str) -> None:
        label = flow.repo.get_return(rma)[0].label
        assert label is not None
        tracking = label.tracking_number
        body = sample(f"easypost_{what}", tracking)
        headers = {"Content-Type": "application/json", **signed_headers("easypost", body, easypost_secret)}
        api["carrier webhooks"] += 1
        status, _, text = invoke(routes, "POST", "/webhooks/carriers/easypost", headers, body.decode())
        if status >= 300:
            raise RuntimeError(f"carrier webhook answered {status}: {text[:300]}")

    def wait(rma: str, waiting: Wait) -> None:
        deadline = time.monotonic() + 30
        while flow.repo.get_return(rma)[0].waiting_for is not waiting:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{rma} never waited for {waiting}")
            time.sleep(0.01)

    def finish(name: str, rma: str, since: float, staff: int = 0) -> Journey:
        arn = stack.machine.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{rma}"  # type: ignore[union-attr]
        stack.machine.wait_for(arn, "SUCCEEDED", timeout=30)  # type: ignore[union-attr]
        stack.events.drain()  # type: ignore[union-attr]
        time.sleep(0.5)
        meter.on = False
        for done in DISPATCH.snapshot():
            if done.started >= since and done.ended:
                meter.millis[_folder(done.function_name, memory)].append((done.ended - done.started) * 1000)
        functions: dict[str, FunctionUse] = {}
        for function, runs in meter.millis.items():
            functions[function] = FunctionUse(
                len(runs), list(runs), memory.get(function, 512), init_ms.get(function, 0.0)
            )
        # What is not posted here: the rest of the carrier's scans, the payment provider's webhooks and
        # the staff's calls (the bench calls the workflow for those). Each is one API request and one
        # invocation, timed as the carrier webhook (signature or token check, one return change).
        carrier_use = functions.get("webhooks_carriers")
        if carrier_use and carrier_use.invocations:
            mean = sum(carrier_use.millis) / carrier_use.invocations
            extra = {
                "webhooks_carriers": (
                    "carrier webhooks",
                    int(assumed("carrier_webhooks")) - carrier_use.invocations,
                ),
                "webhooks_stripe": ("Stripe webhooks", int(assumed("stripe_webhooks"))),
                "admin_api": ("staff", staff),
            }
            for function, (audience, count) in extra.items():
                if count <= 0:
                    continue
                use = functions.setdefault(
                    function, FunctionUse(0, [], memory.get(function, 512), init_ms.get(function, 0.0))
                )
                use.millis += [mean] * count
                use.invocations += count
                api[audience] += count
        usage = ReturnUsage(
            api_requests=dict(api),
            functions=functions,
            transitions=len(stack.machine.states_entered(arn)),  # type: ignore[union-attr]
            read_units=meter.ddb.read_units,
            write_units=meter.ddb.write_units,
            events_put=meter.events_put,
            sqs_requests=meter.sqs_messages * 3,  # each message: sent, received, deleted
            emails=meter.emails,
            email_attachment_bytes=meter.attachment_bytes,
            log_bytes=meter.log_bytes,
            s3_puts=meter.s3_puts,
            s3_gets=meter.s3_gets + 1,  # the customer downloads the label once
            s3_bytes=meter.s3_bytes,
        )
        usage.traces = usage.invocations  # active tracing, everything sampled at this traffic
        return Journey(name, usage, dict(meter.calls))

    def begin() -> float:
        nonlocal meter
        fresh = Meter()
        meter.on = False
        # Keep the hooks (they point at `meter`): reset its counts in place.
        for name in ("ddb", "calls", "millis"):
            setattr(meter, name, getattr(fresh, name))
        for name in (
            "events_put",
            "sqs_messages",
            "emails",
            "attachment_bytes",
            "s3_puts",
            "s3_gets",
            "s3_bytes",
            "log_bytes",
        ):
            setattr(meter, name, 0)
        api.clear()
        meter.on = True
        return time.monotonic()

    journeys = []
    for _warm_up_first in range(2):  # the first round fills the functions' caches, then is dropped
        since = begin()
        rma = portal("20.00", "size_too_small")  # approved at once, refunded on delivery
        wait(rma, Wait.CARRIER)
        carrier(rma, "in_transit")
        wait(rma, Wait.CARRIER)
        carrier(rma, "delivered")
        wait(rma, Wait.SETTLEMENT)
        flow.settlement(rma, True, "bench")
        auto = finish("auto-approved, in transit, delivered, refunded on delivery", rma, since)

        since = begin()
        rma = portal("40.00", "defective")  # reviewed, inspected, refunded
        wait(rma, Wait.REVIEW)
        flow.approve(rma, "staff:bench")
        wait(rma, Wait.CARRIER)
        carrier(rma, "delivered")
        wait(rma, Wait.INSPECTION)
        flow.scan(rma, "us-nj", "staff:bench")
        flow.inspect(rma, [Grading("1", Grade.RESELLABLE)], "staff:bench")
        wait(rma, Wait.SETTLEMENT)
        flow.settlement(rma, True, "bench")
        # Staff: the review queue, approve, the warehouse's scan and grading.
        reviewed = finish("reviewed, delivered, inspected, refunded", rma, since, staff=4)
        journeys = [auto, reviewed]
    return journeys


def _folder(function_name: str, memory: dict[str, int]) -> str:
    """The function folder a Step Functions task's Lambda name belongs to (e.g. ...WorkflowDecide...)."""
    lowered = function_name.lower().replace("-", "").replace("_", "")
    for folder in sorted(memory, key=len, reverse=True):
        if folder.replace("_", "") in lowered:
            return folder
    return "workflow"


def _order(oid: str, price: str) -> dict[str, Any]:
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


_IMPORT = "import time\nt = time.perf_counter()\nimport {module}\nprint((time.perf_counter() - t) * 1000)\n"


def init_times(stack: LocalStack, template: dict[str, Any], runs: int = 3) -> dict[str, float]:
    """Each function's import and init (its INIT phase) in fresh processes, median of `runs`, with the
    environment the template gives it resolved to the running stack (ms, by function folder)."""
    import os
    import statistics
    import subprocess
    import sys

    from local.from_template import function_specs, resolve

    root = Path(__file__).resolve().parent.parent
    out: dict[str, float] = {}
    for spec in function_specs(template).values():
        folder = spec.module.split(".")[1]
        if folder in out:
            continue
        env = {
            **os.environ,
            **{k: str(resolve(template, v, stack.physical)) for k, v in spec.environment.items()},
            "PYTHONPATH": str(root),
        }
        code = _IMPORT.format(module=spec.module)
        times = []
        for _ in range(runs + 1):  # the first warms the file cache, as for the storefront's figure
            done = subprocess.run(
                [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=False
            )
            if done.returncode == 0:
                times.append(float(done.stdout.strip().splitlines()[-1]))
        if len(times) > 1:
            out[folder] = statistics.median(times[1:])
    return out
