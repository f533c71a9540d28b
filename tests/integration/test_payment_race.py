"""Every way of paying a return raced against every other, from separate processes, 50 rounds: each
process is a container of its own (spawned, the real handlers imported once, as Lambda does) and
only DynamoDB Local's conditional writes decide between them.

Six at once, every round, on the same return: the workflow's resolve step twice (a step and its
retry after a timeout) and finance's four methods through the staff API (`POST
/admin/v1/returns/{rma}/refund` with card, store_credit, paypal, bank_transfer). Even rounds start
from a failed refund (finance's four compete; the workflow has nothing left to do), odd rounds from
a delivered return (the two resolve steps compete; finance may not pay yet). The providers are the
local fakes (Stripe and PayPal through their SDKs), which keep every request with its key.

Each round: exactly one payment of the return, exactly one provider call per attempt's key (none
for store credit and bank transfer), and every other caller answered 409 with a code, or found
the outcome, having asked no provider."""

from __future__ import annotations

import importlib
import multiprocessing
import os
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from typing import Any

import pytest

from boomerang.carriers.sandbox import SandboxCarrier
from boomerang.domain.models import Order, OrderLine, Resolution, Return
from boomerang.domain.money import Money
from boomerang.domain.policy import default_policy
from boomerang.domain.status import ReturnStatus as S
from boomerang.payments.factory import payments_router
from boomerang.services.returns import Principal, RequestedItem, ReturnRequest, ReturnsService
from boomerang.services.store_credit import StoreCredit
from boomerang.services.workflow import ReturnWorkflow, refund_key
from boomerang.store.records import Repository
from local.payment_fakes import PaymentFakes, connect_shop
from tests.integration.test_workflow_service import RecordingEngine

ROUNDS = 50
METHODS = ("resolve", "resolve", "card", "store_credit", "paypal", "bank_transfer")
NOW = datetime.now(UTC)


def _worker(method: str, env: dict[str, str], conn: Connection, barrier: Any) -> None:
    """One container: imports its function once, then per round waits for the others at the barrier
    and pays the round's return its way."""
    os.environ.update(env)
    from local.apigw_events import LambdaContext, rest_event
    from tests.conftest import answer, staff_claims

    if method == "resolve":
        module = importlib.import_module("functions.workflow.handler")
    else:
        module = importlib.import_module("functions.admin_api.handler")
    # The SDKs a first refund or payout would import: a warm container, so no method starts late.
    importlib.import_module("stripe")
    importlib.import_module("paypalserversdk.paypal_serversdk_client")
    conn.send("ready")
    while True:
        rma = conn.recv()
        if rma is None:
            return
        barrier.wait()
        try:
            if method == "resolve":
                out = module.resolve({"rma": rma}, LambdaContext(function_name="resolve"))
                conn.send(("ok", out["status"]))
            else:
                path = f"/admin/v1/returns/{rma}/refund"
                body = {"method": method, **({"reference": "SEPA-RACE"} if method == "bank_transfer" else {})}
                import json

                event = rest_event("POST", path, resource="/admin/v1/returns/{rma}/refund",
                                   path_parameters={"rma": rma}, body=json.dumps(body),
                                   headers={"Content-Type": "application/json"})  # fmt: skip
                event["requestContext"]["authorizer"] = {"claims": staff_claims("fay", "finance")}
                status, out = answer(module.handler(event, LambdaContext(function_name="admin_api")))
                code = out["error"]["code"] if status >= 400 else out["status"]
                conn.send(("http", status, code))
        except Exception as exc:
            conn.send(("raised", type(exc).__name__))


@pytest.fixture(scope="module")
def fakes(local_aws: Any) -> Iterator[PaymentFakes]:
    started = PaymentFakes().start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def workers(local_aws: Any, fakes: PaymentFakes) -> Iterator[tuple[list[Connection], Any]]:
    env = {k: v for k, v in os.environ.items() if k.startswith(("AWS_", "TABLE", "IDEMPOTENCY", "SESSION"))}
    env.update(PAYMENT_ENDPOINTS=fakes.endpoints(), POWERTOOLS_TRACE_DISABLED="true", LOG_LEVEL="ERROR",
               POWERTOOLS_METRICS_NAMESPACE="Boomerang", POWERTOOLS_SERVICE_NAME="race",
               POWERTOOLS_METRICS_DISABLED="true")  # fmt: skip
    started = time.monotonic()
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(METHODS))
    conns, processes = [], []
    for method in METHODS:
        parent, child = context.Pipe()
        process = context.Process(target=_worker, args=(method, env, child, barrier), daemon=True)
        process.start()
        conns.append(parent)
        processes.append(process)
    for conn in conns:
        assert conn.poll(180), "a worker did not import its function"
        assert conn.recv() == "ready"
    print(f"\n{len(conns)} workers ready in {time.monotonic() - started:.1f} s")
    try:
        yield conns, barrier
    finally:
        for conn in conns:
            conn.send(None)
        for process in processes:
            process.join(10)
            if process.is_alive():
                process.kill()


def _return(repo: Repository, flow: ReturnWorkflow, shop: str, failed: bool) -> Return:
    oid = uuid.uuid4().hex[:12]
    repo.upsert_order(
        Order(shop=shop, order_id=oid, order_number=f"#{oid}", customer_email=f"{oid}@example.com",
              customer_country="US", currency="USD", ordered_at=NOW - timedelta(days=3),
              payment_reference=f"pi_race{oid}",
              lines=[OrderLine(line_id="L1", sku="S1", category="apparel", quantity=1,
                               unit_price=Money(amount=2000, currency="USD"),
                               delivered_at=NOW - timedelta(days=1))])
    )  # fmt: skip
    service = ReturnsService(repo, lambda _: default_policy(), lambda: b"k" * 32)
    request = ReturnRequest(oid, [RequestedItem(line_id="L1", quantity=1, reason="size_too_small")],
                            Resolution.REFUND, {}, "en")  # fmt: skip
    ret = service.create_return(Principal(shop=shop), request, NOW)
    flow.issue_label(ret.rma)
    ret = flow.carrier_update(ret.rma, S.DELIVERED, "carrier:test")
    if failed:
        flow.resolve(ret.rma)
        pending = repo.get_return(ret.rma)[0]
        assert pending.refund is not None
        ret = flow.settlement(ret.rma, False, "stripe:test", "declined", pending.refund.reference)
    return ret


def test_fifty_rounds_of_every_method_against_every_other(
    repo: Repository, fakes: PaymentFakes, workers: tuple[list[Connection], Any]
) -> None:
    conns, _ = workers
    shop = f"race-{uuid.uuid4().hex[:8]}"
    connect_shop(shop)
    flow = ReturnWorkflow(
        repo, lambda _: default_policy(), RecordingEngine(), SandboxCarrier(),
        payments_router(repo.table, repo.ddb, endpoints=fakes.endpoints()), lambda: datetime.now(UTC),
    )  # fmt: skip
    credit = StoreCredit(repo)
    winners: Counter[str] = Counter()
    started = time.monotonic()
    for n in range(ROUNDS):
        failed = n % 2 == 0
        ret = _return(repo, flow, shop, failed)
        attempt = 2 if failed else 1
        before = len(fakes.calls)
        for conn in conns:
            conn.send(ret.rma)
        answers = [conn.recv() for conn in conns]
        calls = [c for c in fakes.calls[before:] if c.key]
        final = repo.get_return(ret.rma)[0]
        got = dict(zip(("resolve-1", "resolve-2", *METHODS[2:]), answers, strict=True))
        assert final.payment_claim is None, (n, got)
        # One provider call per attempt: no key was asked twice, and only this round's attempt was asked.
        keys = Counter(c.key for c in calls)
        assert all(count == 1 for count in keys.values()), (n, keys, got)
        assert set(keys) <= {refund_key(ret.rma, attempt)}, (n, keys, got)
        if failed:
            paid = [m for m in METHODS[2:] if got[m] == ("http", 200, final.status.value)]
            assert len(paid) == 1, (n, got)
            for method in METHODS[2:]:
                if method not in paid:
                    assert got[method][:2] == ("http", 409), (n, got)
                    assert got[method][2] in ("payment_in_progress", "refund_not_failed"), (n, got)
            assert got["resolve-1"] == got["resolve-2"] == ("ok", "refund_failed") or all(
                got[r][0] == "ok" for r in ("resolve-1", "resolve-2")
            ), (n, got)
            winner = paid[0]
            assert final.refund is not None and final.refund.attempt == 2, (n, got)
            assert final.refund.paid_via == winner, (n, got)
            expected_calls = {"card": 1, "paypal": 1}.get(winner, 0)
            assert len(keys) == expected_calls, (n, winner, keys)
        else:
            for method in METHODS[2:]:
                assert got[method] == ("http", 409, "refund_not_failed"), (n, got)
            resolves = [got["resolve-1"], got["resolve-2"]]
            # One asked Stripe and recorded it; the other lost the claim and asked nobody: it found
            # the claim (PaymentInProgress: Step Functions retries it) or, later, the outcome.
            assert ("ok", "refund_pending") in resolves, (n, got)
            assert all(r in (("ok", "refund_pending"), ("raised", "PaymentInProgress")) for r in resolves), (
                n,
                got,
            )
            assert len(keys) == 1 and final.status is S.REFUND_PENDING, (n, keys, got)
            winner = "resolve"
        # One payment per return: one refund on it, and store credit only where store credit won.
        entries = [e for e in credit.account(shop, ret.customer_ref, "USD").entries if e.rma == ret.rma]
        assert len(entries) == (1 if winner == "store_credit" else 0), (n, winner, entries)
        winners[winner] += 1
    elapsed = time.monotonic() - started
    # Every finance method won some round: the race was real, not one process always first.
    assert len(winners) >= 3, winners
    print(f"\n50 rounds in {elapsed:.1f} s; winners: {dict(winners)}")
