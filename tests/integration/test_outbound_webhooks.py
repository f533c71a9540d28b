"""Outbound webhooks on DynamoDB Local and moto's SQS and Secrets Manager: staff subscribe a local
receiver; an event is fanned out, delivered signed (verified with the documented snippet); a failing
receiver is retried with backoff, then dead-lettered with a `webhook.dead_lettered` event; staff see
the dead letter and redrive it, and it is delivered."""

from __future__ import annotations

import importlib
import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import boto3
import pytest

from boomerang.events.outbox import Envelope
from boomerang.outbound.signing import EVENT_ID_HEADER, SIGNATURE_HEADER
from boomerang.store.dynamo import from_item, to_item
from local.apigw_events import LambdaContext, rest_event
from local.webhook_receiver import WebhookReceiver
from tests.conftest import answer, staff_claims
from tests.event_checks import assert_valid
from tests.unit.test_webhook_signing import documented_verifier

SHOP = f"wh-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def queue_url(local_aws: Any) -> str:
    sqs = boto3.client("sqs", endpoint_url=local_aws.moto_endpoint)
    return str(sqs.create_queue(QueueName=f"webhooks-{uuid.uuid4().hex[:6]}")["QueueUrl"])


@pytest.fixture(scope="module")
def modules(local_aws: Any, queue_url: str) -> tuple[ModuleType, ModuleType]:
    os.environ.update(
        {
            "QUEUE_URL": queue_url,
            "EVENT_BUS_NAME": "boomerang-local",
            "AWS_ENDPOINT_URL_SQS": local_aws.moto_endpoint,
        }
    )
    delivery = importlib.import_module("functions.webhook_delivery.handler")
    admin = importlib.import_module("functions.webhook_admin.handler")
    return delivery, admin


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    started = WebhookReceiver().start()
    yield started
    started.stop()


def staff(admin: ModuleType, method: str, path: str, resource: str, body: Any = None, groups: str = "admin",
          params: dict[str, str] | None = None) -> tuple[int, Any]:  # fmt: skip
    event = rest_event(
        method,
        path,
        resource=resource,
        path_parameters=params,
        headers={"Content-Type": "application/json"},
        query={"shop": [SHOP]},
        body=json.dumps(body) if body is not None else None,
    )
    event["requestContext"]["authorizer"] = {"claims": staff_claims("alice", groups)}
    return answer(admin.handler(event, LambdaContext(function_name="webhook_admin")))


def envelope(n: int = 0) -> Envelope:
    rma = f"K7Q-4M2-XA{n}"
    return Envelope(
        id=f"{rma}:7:0",
        type="return.inspected",
        version=1,
        occurred_at="2026-01-01T00:00:00.000000Z",
        shop=SHOP,
        data={
            "rma": rma,
            "order_id": "1001",
            "status": "inspected",
            "items": [
                {"line_id": "L1", "sku": "S1", "grade": "resellable", "disposition": "restock_after_cleaning"}
            ],
            "refund": 2000,
        },
    )


def sqs_event(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """Messages as the SQS event source mapping hands them to Lambda."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {
                    "ApproximateReceiveCount": m.get("Attributes", {}).get("ApproximateReceiveCount", "1"),
                    "SentTimestamp": "1767225600000",
                    "SenderId": "local",
                    "ApproximateFirstReceiveTimestamp": "1767225600000",
                },
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:webhooks",
                "awsRegion": "us-east-1",
            }
            for m in messages
        ]
    }


def from_bus(event: Envelope) -> dict[str, Any]:
    """The message EventBridge's SQS target puts on the queue."""
    body = {"version": "0", "id": str(uuid.uuid4()), "source": "boomerang", "detail-type": event.type,
            "detail": event.model_dump(mode="json")}  # fmt: skip
    return {
        "MessageId": str(uuid.uuid4()),
        "ReceiptHandle": "from-bus",
        "Body": json.dumps(body),
        "MD5OfBody": "x",
    }


def receive(queue_url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"])
    return list(got.get("Messages", []))


def test_subscribe_deliver_fail_dead_letter_redrive(
    modules: tuple[ModuleType, ModuleType], queue_url: str, receiver: WebhookReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    delivery, admin = modules
    subscriptions = "/admin/v1/webhooks/subscriptions"
    wanted = {"shop": SHOP, "url": receiver.url, "event_types": ["return.inspected"]}
    assert staff(admin, "POST", subscriptions, subscriptions, wanted, groups="support")[0] == 403
    status, made = staff(admin, "POST", subscriptions, subscriptions, wanted)
    assert status == 201, made
    secret = made["secret"]
    assert secret.startswith("whsec_")
    status, listed = staff(admin, "GET", subscriptions, subscriptions)
    assert [s["subscription_id"] for s in listed["items"]] == [made["subscription_id"]]
    assert "secret" not in listed["items"][0]

    # An event from the bus becomes one delivery message; delivered, signed.
    assert delivery.handler(sqs_event([from_bus(envelope(1))]), LambdaContext()) == {"batchItemFailures": []}
    messages = receive(queue_url)
    assert len(messages) == 1
    assert delivery.handler(sqs_event(messages), LambdaContext()) == {"batchItemFailures": []}
    got = receiver.received[-1]
    assert documented_verifier()(secret, got.headers[SIGNATURE_HEADER], got.body)
    assert got.headers[EVENT_ID_HEADER] == envelope(1).id
    assert json.loads(got.body) == envelope(1).model_dump(mode="json")

    # The receiver is down: the delivery is handed back after the first backoff.
    receiver.status = 500
    delivery.handler(sqs_event([from_bus(envelope(2))]), LambdaContext())
    messages = receive(queue_url)
    answered = delivery.handler(sqs_event(messages), LambdaContext())
    assert answered == {"batchItemFailures": [{"itemIdentifier": messages[0]["MessageId"]}]}
    assert receive(queue_url) == []  # invisible for the backoff
    attempts = len(receiver.received)

    # A day later it is still down: parked, with a webhook.dead_lettered event, not retried.
    monkeypatch.setattr(delivery, "clock", lambda: datetime.now(UTC) + timedelta(days=1))
    assert delivery.handler(sqs_event(messages), LambdaContext()) == {"batchItemFailures": []}
    assert len(receiver.received) == attempts + 1
    dead = "/admin/v1/webhooks/dead-letters"
    status, letters = staff(admin, "GET", dead, dead, groups="support")
    assert status == 200
    [letter] = letters["items"]
    assert letter["event_id"] == envelope(2).id and letter["last_error"] == "HTTP 500"
    outbox = boto3.client("dynamodb").query(
        TableName=os.environ["TABLE_NAME"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues=to_item({":pk": f"OUTBOX#webhook:{made['subscription_id']}"}),
    )["Items"]
    [event] = [json.loads(from_item(i)["doc"]) for i in outbox]
    assert event["type"] == "webhook.dead_lettered"
    expected = {"shop": SHOP, "subscription_id": made["subscription_id"], "event_type": "return.inspected"}
    assert event["data"] == {**expected, "event_id": envelope(2).id}
    assert_valid(event)
    # The same message handled twice parks it once.
    delivery.handler(sqs_event(messages), LambdaContext())
    assert len(staff(admin, "GET", dead, dead)[1]["items"]) == 1

    # Staff redrive it once the receiver is back: delivered, and no longer a dead letter.
    receiver.status = 204
    monkeypatch.setattr(delivery, "clock", lambda: datetime.now(UTC))
    path = f"{dead}/{letter['delivery_id']}/redrive"
    status, _ = staff(
        admin, "POST", path, f"{dead}/{{delivery_id}}/redrive", params={"delivery_id": letter["delivery_id"]}
    )
    assert status == 202
    assert staff(admin, "GET", dead, dead)[1]["items"] == []
    status, again = staff(
        admin, "POST", path, f"{dead}/{{delivery_id}}/redrive", params={"delivery_id": letter["delivery_id"]}
    )
    assert status == 404 and again["error"]["code"] == "dead_letter_not_found"
    messages = receive(queue_url)
    assert delivery.handler(sqs_event(messages), LambdaContext()) == {"batchItemFailures": []}
    assert receiver.received[-1].headers[EVENT_ID_HEADER] == envelope(2).id

    # Deleted: nothing more is fanned out to it.
    sub = f"{subscriptions}/{made['subscription_id']}"
    assert staff(admin, "DELETE", sub, f"{subscriptions}/{{subscription_id}}",
                 params={"subscription_id": made["subscription_id"]})[0] == 200  # fmt: skip
    delivery.handler(sqs_event([from_bus(envelope(3))]), LambdaContext())
    assert receive(queue_url) == []


def test_event_types_filter_and_bad_subscription(
    modules: tuple[ModuleType, ModuleType], queue_url: str, receiver: WebhookReceiver
) -> None:
    delivery, admin = modules
    subscriptions = "/admin/v1/webhooks/subscriptions"
    status, refused = staff(
        admin, "POST", subscriptions, subscriptions, {"shop": SHOP, "url": "not a url", "event_types": ["*"]}
    )
    assert status == 422 and refused["error"]["code"] == "validation_failed"
    status, made = staff(
        admin,
        "POST",
        subscriptions,
        subscriptions,
        {"shop": SHOP, "url": receiver.url, "event_types": ["refund.failed"]},
    )
    assert status == 201
    delivery.handler(sqs_event([from_bus(envelope(4))]), LambdaContext())
    assert receive(queue_url) == []  # return.inspected is not what it wants
    sub = f"{subscriptions}/{made['subscription_id']}"
    staff(
        admin,
        "DELETE",
        sub,
        f"{subscriptions}/{{subscription_id}}",
        params={"subscription_id": made["subscription_id"]},
    )


def test_a_webhook_given_up_on_is_parked_and_said_on_the_timeline(
    modules: tuple[ModuleType, ModuleType], repo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from boomerang.outbound.delivery import Delivery
    from boomerang.services.side_channels import EVENT
    from tests.integration.test_workflow_service import new_return

    delivery_fn, _ = modules
    ret = new_return(repo)
    event = envelope(5).model_copy(update={"shop": ret.shop, "data": {"rma": ret.rma, "status": "inspected"}})
    first = datetime.now(UTC) - timedelta(days=2)  # past the give-up time
    parked = Delivery(delivery_id=f"dl_{uuid.uuid4().hex[:8]}", shop=ret.shop, subscription_id="wh_gone",
                      first_attempt_at=first, event=event)  # fmt: skip
    monkeypatch.setattr(
        delivery_fn.subscriptions, "get", lambda shop, sid: type("S", (), {"secret_name": "s"})()
    )
    monkeypatch.setattr(delivery_fn, "_secret", lambda name: "whsec_test")
    monkeypatch.setattr(delivery_fn, "attempt", lambda *args: "HTTP 500")
    body = json.dumps({"delivery": json.loads(parked.model_dump_json())})
    message = {"MessageId": str(uuid.uuid4()), "ReceiptHandle": "r", "Body": body,
               "Attributes": {"ApproximateReceiveCount": "9"}, "MD5OfBody": "x"}  # fmt: skip
    assert delivery_fn.handler(sqs_event([message]), LambdaContext()) == {"batchItemFailures": []}
    (entry,) = [e for e in repo.get_return(ret.rma)[1] if e.event == EVENT]
    assert (
        entry.actor == "webhook" and "subscription wh_gone: HTTP 500; parked for a redrive" in entry.message
    )
    assert repo.get_return(ret.rma)[0].status is ret.status
