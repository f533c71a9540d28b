"""Klaviyo through the official klaviyo-api SDK, against constructed HTTP answers from a local
server: return and refund events reach the customer's profile (email looked up from the order),
once per event id, only for shops that switched it on; a refused call is retried by the queue."""

from __future__ import annotations

import importlib
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any

import boto3
import pytest

from boomerang.crm.klaviyo import KlaviyoSettings, SettingsStore
from boomerang.domain.models import Order, OrderLine
from boomerang.domain.money import Money
from boomerang.store.records import Repository
from local.apigw_events import LambdaContext


class FakeKlaviyo:
    """Answers as Klaviyo's Create Event does (202, empty body) or with a constructed error."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        self.answers: list[tuple[int, bytes]] = []
        self.delay = 0.0  # seconds before answering: a stalled Klaviyo
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(outer.delay)
                outer.requests.append((self.path, dict(self.headers.items()), json.loads(body)))
                status, payload = outer.answers.pop(0) if outer.answers else (202, b"")
                self.send_response(status)
                self.send_header("Content-Type", "application/vnd.api+json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture(scope="module")
def klaviyo() -> Iterator[FakeKlaviyo]:
    fake = FakeKlaviyo()
    yield fake
    fake.server.shutdown()


@pytest.fixture(scope="module")
def module(local_aws: Any, klaviyo: FakeKlaviyo) -> ModuleType:
    os.environ.update({"API_HOST": klaviyo.url, "MAX_RETRIES": "0", "MAX_DELAY_SECONDS": "1"})
    return importlib.import_module("functions.klaviyo_events.handler")


SHOP = f"kl-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def order(repo: Repository, local_aws: Any) -> Order:
    secret = f"boomerang/klaviyo/{SHOP}"
    boto3.client("secretsmanager").create_secret(Name=secret, SecretString="pk_test_0123456789")
    SettingsStore(repo.table, repo.ddb).put(SHOP, KlaviyoSettings(enabled=True, secret_name=secret))
    now = datetime.now(UTC)
    return repo.upsert_order(
        Order(
            shop=SHOP,
            order_id="1001",
            order_number="#1001",
            customer_email="jane@example.com",
            customer_country="US",
            currency="USD",
            ordered_at=now - timedelta(days=3),
            lines=[OrderLine(line_id="L1", sku="S1", category="apparel", quantity=1,
                             unit_price=Money(amount=2000, currency="USD"), delivered_at=now)],
        )
    )  # fmt: skip


def from_queue(event_type: str, data: dict[str, Any], shop: str = SHOP, n: int = 0) -> dict[str, Any]:
    envelope = {"id": f"K7Q-4M2-XAC:{n}:0", "type": event_type, "version": 1, "shop": shop,
                "occurred_at": "2026-01-01T00:00:00.000000Z", "data": data}  # fmt: skip
    body = json.dumps({"source": "boomerang", "detail-type": event_type, "detail": envelope})
    record = {"messageId": str(uuid.uuid4()), "receiptHandle": "r", "body": body, "attributes": {
        "ApproximateReceiveCount": "1", "SentTimestamp": "0", "SenderId": "x",
        "ApproximateFirstReceiveTimestamp": "0"}, "messageAttributes": {}, "md5OfBody": "x",
        "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:klaviyo",
        "awsRegion": "us-east-1"}  # fmt: skip
    return {"Records": [record]}


def test_refund_reaches_the_customers_profile(module: ModuleType, klaviyo: FakeKlaviyo, order: Order) -> None:
    data = {
        "rma": "K7Q-4M2-XAC",
        "order_id": order.order_id,
        "status": "refunded",
        "amount": 2000,
        "currency": "USD",
    }
    before = len(klaviyo.requests)
    assert module.handler(from_queue("refund.succeeded", data, n=12), LambdaContext()) == {
        "batchItemFailures": []
    }
    [(path, headers, body)] = klaviyo.requests[before:]
    assert path == "/api/events"
    assert headers["Authorization"] == "Klaviyo-API-Key pk_test_0123456789"
    assert headers["revision"]
    attributes = body["data"]["attributes"]
    assert attributes["metric"]["data"]["attributes"]["name"] == "Refund Succeeded"
    assert attributes["profile"]["data"]["attributes"]["email"] == "jane@example.com"
    assert attributes["unique_id"] == "K7Q-4M2-XAC:12:0"  # Klaviyo drops a repeat of the same id
    assert attributes["value"] == 20.0 and attributes["value_currency"] == "USD"
    assert attributes["properties"]["rma"] == "K7Q-4M2-XAC"


def test_switched_off_shops_and_other_events_send_nothing(
    module: ModuleType, klaviyo: FakeKlaviyo, order: Order, repo: Repository
) -> None:
    before = len(klaviyo.requests)
    data = {"rma": "K7Q-4M2-XAC", "order_id": order.order_id, "status": "approved"}
    module.handler(from_queue("return.approved", data, shop="no-klaviyo-shop"), LambdaContext())
    notified = {"rma": "K7Q-4M2-XAC", "template": "t", "message_id": "m"}
    module.handler(from_queue("customer.notified", notified), LambdaContext())
    store = SettingsStore(repo.table, repo.ddb)
    settings = store.get(SHOP)
    assert settings is not None
    store.put(SHOP, settings.model_copy(update={"enabled": False}))
    try:
        module.handler(from_queue("return.approved", data), LambdaContext())
    finally:
        store.put(SHOP, settings)
    assert len(klaviyo.requests) == before


def test_a_refused_call_is_retried_by_the_queue(
    module: ModuleType, klaviyo: FakeKlaviyo, order: Order
) -> None:
    error = json.dumps({"errors": [{"status": 400, "code": "invalid", "detail": "constructed"}]}).encode()
    klaviyo.answers.append((400, error))
    event = from_queue(
        "return.approved", {"rma": "K7Q-4M2-XAC", "order_id": order.order_id, "status": "approved"}
    )
    answered = module.handler(event, LambdaContext())
    assert answered == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert module.handler(event, LambdaContext()) == {"batchItemFailures": []}  # the retry goes through


def test_a_stalled_klaviyo_is_cut_off_by_the_request_timeout_and_retried_by_the_queue(
    module: ModuleType, klaviyo: FakeKlaviyo, order: Order, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SDK sets no timeout of its own: each request gets the budget's (boomerang.timeouts.KLAVIYO,
    shortened here), so a stalled Klaviyo ends the attempt well inside the function's timeout."""
    from boomerang.timeouts import CallBudget

    monkeypatch.setattr(module, "KLAVIYO", CallBudget(timeout_seconds=0.5))
    event = from_queue(
        "return.approved", {"rma": "K7Q-4M2-XAC", "order_id": order.order_id, "status": "approved"}, n=31
    )
    klaviyo.delay = 3.0
    try:
        started = time.monotonic()
        answered = module.handler(event, LambdaContext())
        took = time.monotonic() - started
    finally:
        klaviyo.delay = 0.0
    assert answered == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert took < 2.0, took  # cut off at the read timeout, not after the stalled answer
    assert module.handler(event, LambdaContext()) == {"batchItemFailures": []}  # the queue's retry


def test_a_klaviyo_call_that_fails_goes_back_to_its_queue_and_onto_the_timeline_once(
    module: ModuleType, klaviyo: FakeKlaviyo, order: Order, repo: Repository
) -> None:
    from boomerang.services.side_channels import EVENT
    from tests.integration.test_workflow_service import new_return

    ret = new_return(repo)  # a return of another shop: the event names it, the shop's Klaviyo is on
    error = json.dumps({"errors": [{"status": 400, "code": "invalid", "detail": "constructed"}]}).encode()
    event = from_queue(
        "return.approved", {"rma": ret.rma, "order_id": order.order_id, "status": "approved"}, n=41
    )
    for _ in range(2):  # the queue's retry fails too: still one entry
        klaviyo.answers.append((400, error))
        answered = module.handler(event, LambdaContext())
        assert answered == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    timeline = repo.get_return(ret.rma)[1]
    (entry,) = [e for e in timeline if e.event == EVENT]
    assert entry.actor == "klaviyo"
    assert "return.approved event was not delivered (BadRequestException" in entry.message
    assert repo.get_return(ret.rma)[0].status is ret.status
