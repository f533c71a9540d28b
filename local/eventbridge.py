"""Events on this machine, from the template: the EventBridge buses, SQS queues and rules on moto's
server, and the functions' event sources run in-process (AWS::Lambda::EventSourceMapping): a table's
stream through local/streams.py, a queue through a poller that does what Lambda's SQS mapping does
(receive, invoke with the batch, delete what did not fail; a failed message comes back after its
visibility timeout, which the function may have changed).

Two calls from local/stack.py: `deploy` before the functions are imported (their environment names
the queues and the bus), `connect` after, with the imported handlers."""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Any

import boto3

from local.apigw_events import LambdaContext
from local.from_template import of_type
from local.streams import Handler, StreamFeed

log = logging.getLogger(__name__)
# How long a queue feed's receive waits for a message before asking again (moto answers at once
# when one arrives, as SQS long polling does).
LONG_POLL_SECONDS = 1


def _ref(value: Any) -> str | None:
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
    return None


@dataclass
class QueueFeed:
    """A queue feeding one function, as Lambda's SQS event source mapping does."""

    queue_url: str
    handler: Handler
    function_name: str
    batch_size: int = 10
    sqs: Any = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.sqs = self.sqs or boto3.client("sqs")

    def poll(self, wait: int = 0) -> int:
        """Receive one batch and hand it to the function; `wait` seconds of long polling (moto's
        server answers as soon as a message arrives), 0 to return at once (drain)."""
        got = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            AttributeNames=["All"],
            WaitTimeSeconds=wait,
        )
        messages = got.get("Messages", [])
        if not messages:
            return 0
        event = {"Records": [sqs_record(m, self.queue_url) for m in messages]}
        try:
            answer = self.handler(event, LambdaContext(function_name=self.function_name))
            failed = {f["itemIdentifier"] for f in (answer or {}).get("batchItemFailures") or []}
        except Exception:
            log.exception("queue batch failed")
            failed = {m["MessageId"] for m in messages}
        for m in messages:
            if m["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])
        return len(messages)

    def drain(self, rounds: int = 50) -> int:
        total = 0
        for _ in range(rounds):
            got = self.poll()
            total += got
            if not got:
                break
        return total

    def start(self, interval: float = 0.2) -> QueueFeed:
        """Poll as Lambda's SQS event source does: long polls that wake on a message, one after
        another (a second's wait each, so `stop` is heard); `interval` only after a failed poll."""

        def run() -> None:
            while not self._stop.is_set():
                try:
                    self.poll(wait=LONG_POLL_SECONDS)
                except Exception:
                    log.exception("queue poll failed")
                    self._stop.wait(interval)

        self._thread = threading.Thread(target=run, name=f"queue-{self.function_name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


@dataclass
class RuleTargetFeed(QueueFeed):
    """A function that is a rule's target, as EventBridge invokes it: one event at a time. Locally
    the rule delivers to a stand-in queue on moto (moto's rules cannot invoke in-process
    functions); a failed invocation leaves the event on the queue, to be retried as EventBridge
    retries it."""

    def poll(self, wait: int = 0) -> int:
        got = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=self.batch_size, WaitTimeSeconds=wait
        )
        messages = got.get("Messages", [])
        for m in messages:
            try:
                self.handler(json.loads(m["Body"]), LambdaContext(function_name=self.function_name))
            except Exception:
                log.exception("rule target %s failed; the event stays for a retry", self.function_name)
                continue
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])
        return len(messages)


def sqs_record(message: dict[str, Any], queue_url: str) -> dict[str, Any]:
    attributes = message.get("Attributes", {})
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            "ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
            "SentTimestamp": attributes.get("SentTimestamp", "0"),
            "SenderId": attributes.get("SenderId", "local"),
            "ApproximateFirstReceiveTimestamp": attributes.get("ApproximateFirstReceiveTimestamp", "0"),
        },
        "messageAttributes": {},
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{queue_url.rsplit('/', 1)[-1]}",
        "awsRegion": "us-east-1",
    }


@dataclass
class LocalEvents:
    template: dict[str, Any]
    physical: dict[str, str]  # logical id -> local name or URL, shared with the stack
    endpoint: str
    streams: list[StreamFeed] = field(default_factory=list)
    queues: list[QueueFeed] = field(default_factory=list)
    # Stand-in queue URL -> the function (logical id) a rule targets directly.
    function_targets: dict[str, str] = field(default_factory=dict)

    def deploy(self) -> LocalEvents:
        """Buses, queues and rules on moto; the functions' SDK clients pointed at it."""
        if not of_type(self.template, "AWS::Events::EventBus") and not of_type(
            self.template, "AWS::SQS::Queue"
        ):
            return self
        os.environ["AWS_ENDPOINT_URL_SQS"] = self.endpoint
        os.environ["AWS_ENDPOINT_URL_EVENTBRIDGE"] = self.endpoint
        events = boto3.client("events")
        sqs = boto3.client("sqs")
        for logical_id, bus in of_type(self.template, "AWS::Events::EventBus").items():
            name = bus["Properties"].get("Name", logical_id)
            events.create_event_bus(Name=name)
            self.physical[logical_id] = name
        arns: dict[str, str] = {}
        for logical_id, queue in of_type(self.template, "AWS::SQS::Queue").items():
            attributes = {}
            if "VisibilityTimeout" in queue["Properties"]:
                attributes["VisibilityTimeout"] = str(queue["Properties"]["VisibilityTimeout"])
            url = sqs.create_queue(QueueName=logical_id, Attributes=attributes)["QueueUrl"]
            self.physical[logical_id] = url
            arns[logical_id] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
            self.physical[f"{logical_id}.Arn"] = arns[logical_id]
        for logical_id, rule in of_type(self.template, "AWS::Events::Rule").items():
            props = rule["Properties"]
            bus = self.physical.get(_ref(props.get("EventBusName")) or "", "default")
            targets = [
                {"Id": t["Id"], "Arn": arns[q]}
                for t in props.get("Targets", [])
                if (q := _ref(t["Arn"])) in arns
            ]
            functions = of_type(self.template, "AWS::Lambda::Function")
            for t in props.get("Targets", []):
                function = _ref(t["Arn"])
                if function in functions:
                    url = sqs.create_queue(QueueName=f"{logical_id}-{t['Id']}"[:80])["QueueUrl"]
                    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
                    targets.append({"Id": t["Id"], "Arn": arn["QueueArn"]})
                    self.function_targets[url] = function
            if not targets or "EventPattern" not in props:
                continue
            events.put_rule(Name=logical_id, EventBusName=bus, EventPattern=json.dumps(props["EventPattern"]))
            events.put_targets(Rule=logical_id, EventBusName=bus, Targets=targets)
        return self

    def connect(self, handlers: dict[str, Handler]) -> LocalEvents:
        """Start a feed for every event source mapping whose function is in `handlers` (logical id ->
        handler)."""
        for mapping in of_type(self.template, "AWS::Lambda::EventSourceMapping").values():
            props = mapping["Properties"]
            function = _ref(props["FunctionName"])
            source = props["EventSourceArn"].get("Fn::GetAtt", [None, None])
            if function not in handlers:
                continue
            if source[1] == "StreamArn":
                filters = [
                    json.loads(f["Pattern"]) for f in (props.get("FilterCriteria") or {}).get("Filters", [])
                ]
                self.streams.append(
                    StreamFeed(self.physical[source[0]], handlers[function], filters, function).start()
                )
            elif source[0] in self.physical:
                self.queues.append(
                    QueueFeed(
                        self.physical[source[0]],
                        handlers[function],
                        function,
                        int(props.get("BatchSize", 10)),
                    ).start()
                )
        for url, function in self.function_targets.items():
            if function in handlers:
                self.queues.append(RuleTargetFeed(url, handlers[function], function).start())
        return self

    def drain(self) -> None:
        """Deliver everything pending now (the demo and tests, instead of waiting for the pollers)."""
        for _ in range(5):
            moved = sum(f.drain() for f in self.streams) + sum(f.drain() for f in self.queues)
            if not moved:
                return

    def stop(self) -> None:
        feeds = [*self.streams, *self.queues]
        for feed in feeds:  # all told first: each queue feed may be in a long poll of a second
            feed._stop.set()
        for feed in feeds:
            feed.stop()
