"""Events out, end to end on DynamoDB Local (with its stream) and moto's EventBridge and SQS: every
outbox event of a journey published once, valid against its documented schema, in order per return;
a failed publish retried without letting a return's later events overtake it."""

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

from boomerang.auth.principal import Principal
from boomerang.carriers.sandbox import SandboxCarrier
from boomerang.domain.models import Grade, Order, OrderLine, Resolution
from boomerang.domain.money import Money
from boomerang.domain.policy import RequestedItem, default_policy
from boomerang.domain.status import ReturnStatus as S
from boomerang.payments.sandbox import SandboxPayments
from boomerang.services.returns import ReturnRequest, ReturnsService
from boomerang.services.workflow import Grading, ReturnWorkflow
from boomerang.store.records import Repository
from local.streams import StreamFeed
from local.tables import main_table
from tests.event_checks import assert_valid

NOW = datetime.now(UTC)
OUTBOX_FILTER = {"eventName": ["INSERT"], "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "OUTBOX#"}]}}}}


class Engine:
    def __init__(self) -> None:
        self.started: list[str] = []

    def start(self, rma: str) -> None:
        self.started.append(rma)

    def resume(self, token: str, output: dict[str, Any]) -> bool:
        return True


class RecordingEvents:
    """The real (moto) EventBridge client, recording what was put, optionally failing some puts."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.put: list[dict[str, Any]] = []
        self.fail_ids: set[str] = set()

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        envelopes = [json.loads(entry["Detail"]) for entry in Entries]
        if any(e["id"] in self.fail_ids for e in envelopes):
            self.fail_ids -= {e["id"] for e in envelopes}
            failed = {"ErrorCode": "InternalFailure", "ErrorMessage": "injected"}
            return {"FailedEntryCount": len(Entries), "Entries": [failed for _ in Entries]}
        self.put += envelopes
        return dict(self.client.put_events(Entries=Entries))


@pytest.fixture(scope="module")
def aws(local_aws: Any) -> Iterator[dict[str, Any]]:
    ddb = boto3.client("dynamodb")
    table = f"events-{uuid.uuid4().hex[:8]}"
    ddb.create_table(
        **main_table(table),
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    events = boto3.client("events", endpoint_url=local_aws.moto_endpoint)
    sqs = boto3.client("sqs", endpoint_url=local_aws.moto_endpoint)
    bus = f"bus-{uuid.uuid4().hex[:8]}"
    events.create_event_bus(Name=bus)
    queue_url = sqs.create_queue(QueueName=f"{bus}-consumer")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name="all", EventBusName=bus, EventPattern=json.dumps({"source": ["boomerang"]}))
    events.put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])
    yield {"table": table, "bus": bus, "queue_url": queue_url, "events": events, "sqs": sqs}


@pytest.fixture(scope="module")
def publisher(aws: dict[str, Any], local_aws: Any) -> ModuleType:
    os.environ.update({"EVENT_BUS_NAME": aws["bus"], "AWS_ENDPOINT_URL_EVENTS": local_aws.moto_endpoint})
    os.environ.pop("STATE_MACHINE_ARN", None)
    return importlib.import_module("functions.outbox_publisher.handler")


@pytest.fixture
def recording(publisher: ModuleType, aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> RecordingEvents:
    recorder = RecordingEvents(aws["events"])
    monkeypatch.setattr(publisher, "events_client", recorder)
    return recorder


@pytest.fixture(scope="module")
def feed(aws: dict[str, Any], publisher: ModuleType) -> StreamFeed:
    feed = StreamFeed(aws["table"], publisher.handler, filters=[OUTBOX_FILTER])
    feed.drain()
    return feed


def consumed(aws: dict[str, Any]) -> list[dict[str, Any]]:
    """What a consumer of the bus received (EventBridge events on its queue)."""
    got: list[dict[str, Any]] = []
    while True:
        answer = aws["sqs"].receive_message(QueueUrl=aws["queue_url"], MaxNumberOfMessages=10)
        messages = answer.get("Messages", [])
        if not messages:
            return got
        for m in messages:
            got.append(json.loads(m["Body"]))
            aws["sqs"].delete_message(QueueUrl=aws["queue_url"], ReceiptHandle=m["ReceiptHandle"])


def journey(repo: Repository) -> str:
    """A return from request to closed: requested, approved, label, transit, delivered, received,
    inspected, refund pending, refunded, closed."""
    oid = uuid.uuid4().hex[:12]
    order = repo.upsert_order(
        Order(
            shop="events",
            order_id=oid,
            order_number=f"#{oid}",
            customer_email=f"{oid}@example.com",
            customer_country="US",
            currency="USD",
            ordered_at=NOW - timedelta(days=3),
            lines=[
                OrderLine(
                    line_id="L1",
                    sku="SKU-1",
                    category="apparel",
                    quantity=1,
                    unit_price=Money(amount=2000, currency="USD"),
                    delivered_at=NOW - timedelta(days=1),
                )
            ],
        )
    )
    service = ReturnsService(repo, lambda shop: default_policy(), lambda: b"k" * 32)
    request = ReturnRequest(
        order.order_id,
        [RequestedItem(line_id="L1", quantity=1, reason="size_too_small")],
        Resolution.REFUND,
        {},
        "en",
    )
    rma = service.create_return(Principal(shop="events"), request, NOW).rma
    flow = ReturnWorkflow(
        repo,
        lambda shop: default_policy(),
        Engine(),
        SandboxCarrier(),
        SandboxPayments(),
        lambda: datetime.now(UTC),
    )
    flow.decide(rma)
    flow.issue_label(rma)
    flow.carrier_update(rma, S.IN_TRANSIT, "carrier:test")
    flow.carrier_update(rma, S.DELIVERED, "carrier:test")
    flow.scan(rma, "us-nj", "warehouse:carl")
    flow.inspect(rma, [Grading("L1", Grade.RESELLABLE)], "warehouse:carl")
    flow.resolve(rma)
    flow.settlement(rma, True, "payments:test")
    flow.close(rma)
    return rma


def test_each_event_published_once_valid_and_in_order(
    aws: dict[str, Any], feed: StreamFeed, recording: RecordingEvents
) -> None:
    repo = Repository(aws["table"], boto3.client("dynamodb"))
    rmas = [journey(repo), journey(repo)]
    feed.drain()
    received = [e for e in consumed(aws) if e["detail"]["data"].get("rma") in rmas]
    for rma in rmas:
        written = repo.outbox_events(rma)  # in key order: version, then n
        assert len(written) >= 10
        published = [e for e in recording.put if e["data"].get("rma") == rma]
        assert [e["id"] for e in published] == [e["id"] for e in written]  # once each, in order
        mine = [e for e in received if e["detail"]["data"]["rma"] == rma]
        assert sorted(e["detail"]["id"] for e in mine) == sorted(e["id"] for e in written)
        for event in mine:
            assert event["source"] == "boomerang"
            assert event["detail-type"] == event["detail"]["type"]
            assert_valid(event["detail"])
    inspected = next(e for e in recording.put if e["type"] == "return.inspected")
    assert inspected["data"]["items"] == [
        {"line_id": "L1", "sku": "SKU-1", "grade": "resellable", "disposition": "restock_after_cleaning"}
    ]
    # Nothing is published twice when the stream is read again.
    before = len(recording.put)
    feed.drain()
    assert len(recording.put) == before


def test_a_failed_publish_is_retried_and_nothing_of_that_return_overtakes_it(
    aws: dict[str, Any], feed: StreamFeed, recording: RecordingEvents
) -> None:
    repo = Repository(aws["table"], boto3.client("dynamodb"))
    rma = journey(repo)
    written = [e["id"] for e in repo.outbox_events(rma)]
    recording.fail_ids = {written[3]}
    feed.drain()
    assert not recording.fail_ids, "the failing put was tried"
    published = [e["id"] for e in recording.put if e["data"].get("rma") == rma]
    # At least once, and in order: the retry starts at the failed event; none of its successors
    # went out before it.
    assert published == written
    consumed(aws)


def test_return_requested_starts_the_workflow_again(
    aws: dict[str, Any],
    feed: StreamFeed,
    recording: RecordingEvents,
    publisher: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = Engine()
    monkeypatch.setattr(publisher, "engine", engine)
    rma = journey(Repository(aws["table"], boto3.client("dynamodb")))
    feed.drain()
    assert engine.started == [rma]
    consumed(aws)


def test_redrive_publishes_what_the_dead_letter_queue_points_at(
    aws: dict[str, Any], feed: StreamFeed, recording: RecordingEvents
) -> None:
    from boomerang.events.redrive import redrive

    rma = journey(Repository(aws["table"], boto3.client("dynamodb")))
    feed.drain()
    consumed(aws)
    # What Lambda sends to the on-failure destination: the shard and the sequence numbers.
    records = [r for r in _stream_records(feed) if r["dynamodb"]["Keys"]["pk"]["S"] == f"OUTBOX#{rma}"]
    info = {
        "shardId": records[0]["_shard"],
        "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
        "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
        "streamArn": feed.stream_arn,
        "batchSize": len(records),
    }
    dlq = aws["sqs"].create_queue(QueueName=f"publisher-dlq-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    aws["sqs"].send_message(
        QueueUrl=dlq, MessageBody=json.dumps({"version": "1.0", "DDBStreamBatchInfo": info})
    )
    before = len(recording.put)
    assert redrive(aws["sqs"], feed.streams, recording, dlq, aws["bus"]) == len(records)
    again = [e["id"] for e in recording.put[before:] if e["data"].get("rma") == rma]
    assert again == [e["id"] for e in Repository(aws["table"], boto3.client("dynamodb")).outbox_events(rma)]
    assert aws["sqs"].receive_message(QueueUrl=dlq).get("Messages") is None
    assert len([e for e in consumed(aws) if e["detail"]["data"].get("rma") == rma]) == len(records)


def _stream_records(feed: StreamFeed) -> list[dict[str, Any]]:
    found = []
    shards = feed.streams.describe_stream(StreamArn=feed.stream_arn)["StreamDescription"]["Shards"]
    for shard in shards:
        iterator = feed.streams.get_shard_iterator(
            StreamArn=feed.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            got = feed.streams.get_records(ShardIterator=iterator, Limit=1000)
            if not got.get("Records"):
                break
            found += [{**r, "_shard": shard["ShardId"]} for r in got["Records"]]
            iterator = got.get("NextShardIterator")
    return found


def test_each_published_event_is_logged_with_what_the_refund_alarm_counts(
    aws: dict[str, Any], feed: StreamFeed, recording: RecordingEvents, publisher: ModuleType
) -> None:
    """The refund failure rate alarm counts the publisher's log lines (infra/cdk/constructs/
    monitoring.py): a refund's event must be logged with those fields, as the logger renders them."""
    import logging

    from infra.cdk.constructs.monitoring import PUBLISHED_EVENT_LOG, REFUND_OUTCOMES

    lines: list[dict[str, Any]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(json.loads(self.format(record)))

    collect = Collect()
    collect.setFormatter(publisher.logger.registered_formatter)
    publisher.logger.addHandler(collect)
    level = publisher.logger.log_level
    publisher.logger.setLevel(logging.INFO)  # as deployed (LOG_LEVEL=INFO); the tests run at WARNING
    try:
        rma = journey(Repository(aws["table"], boto3.client("dynamodb")))  # ends refunded
        feed.drain()
    finally:
        publisher.logger.setLevel(level)
        publisher.logger.removeHandler(collect)
    logged = [line for line in lines if line.get("rma") == rma]
    counted = [line for line in logged if all(line.get(k) == v for k, v in PUBLISHED_EVENT_LOG.items())]
    assert "refund.succeeded" in {line["type"] for line in counted}
    assert set(REFUND_OUTCOMES.values()) == {"refund.failed", "refund.succeeded"}
    assert {e["type"] for e in recording.put if e["data"].get("rma") == rma} == {
        line["type"] for line in counted
    }
