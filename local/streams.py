"""DynamoDB Streams on this machine: DynamoDB Local keeps a table's stream; this reads it and hands
the records to the functions the template maps to it (AWS::Lambda::EventSourceMapping), in-process,
as Lambda's event source mapping would: in order per shard, filtered by the mapping's filter
criteria, and retried from the first failure a function reports (partial batch response)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

from local.apigw_events import LambdaContext

log = logging.getLogger(__name__)
Handler = Callable[[dict[str, Any], Any], Any]


def matches(record: dict[str, Any], pattern: Any) -> bool:
    """The subset of EventBridge/Lambda filter syntax the template uses: exact values and prefix."""
    if isinstance(pattern, dict):
        return isinstance(record, dict) and all(matches(record.get(k), v) for k, v in pattern.items())
    if isinstance(pattern, list):
        for option in pattern:
            if isinstance(option, dict) and "prefix" in option:
                if isinstance(record, str) and record.startswith(option["prefix"]):
                    return True
            elif record == option:
                return True
        return False
    return bool(record == pattern)


@dataclass
class StreamFeed:
    """One table's stream feeding one function."""

    table_name: str
    handler: Handler
    filters: list[dict[str, Any]] = field(default_factory=list)
    function_name: str = "outbox_publisher"
    ddb: Any = None
    _iterators: dict[str, str | None] = field(default_factory=dict)  # shard id -> next iterator
    failing: bool = False  # the last batch handed over failed
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.ddb = self.ddb or boto3.client("dynamodb")
        self.streams = boto3.client(
            "dynamodbstreams", endpoint_url=self.ddb.meta.endpoint_url, region_name=self.ddb.meta.region_name
        )
        self.stream_arn = self.ddb.describe_table(TableName=self.table_name)["Table"]["LatestStreamArn"]

    def _shards(self) -> None:
        shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            if shard["ShardId"] not in self._iterators:
                self._iterators[shard["ShardId"]] = self.streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]

    def poll(self) -> int:
        """Read every shard once and hand what is new to the function; the number of records handed
        over (a batch that failed is handed over again on the next poll)."""
        with self._lock:
            self._shards()
            delivered = 0
            for shard_id, iterator in list(self._iterators.items()):
                if iterator is None:
                    continue  # a closed shard, read to its end
                got = self.streams.get_records(ShardIterator=iterator, Limit=100)
                records = [self._lambda_record(r) for r in got.get("Records", [])]
                wanted = [r for r in records if not self.filters or any(matches(r, f) for f in self.filters)]
                next_iterator = got.get("NextShardIterator")
                if wanted:
                    delivered += len(wanted)
                    failed = self._deliver(wanted)
                    self.failing = failed is not None
                    if failed is not None:
                        # Start again at the first failed record, as Lambda does.
                        next_iterator = self.streams.get_shard_iterator(
                            StreamArn=self.stream_arn,
                            ShardId=shard_id,
                            ShardIteratorType="AT_SEQUENCE_NUMBER",
                            SequenceNumber=failed,
                        )["ShardIterator"]
                self._iterators[shard_id] = next_iterator
            return delivered

    def drain(self, rounds: int = 20) -> int:
        """Poll until nothing new arrives (tests, the demo)."""
        total = 0
        for _ in range(rounds):
            got = self.poll()
            total += got
            if not got:
                break
        return total

    def _lambda_record(self, record: dict[str, Any]) -> dict[str, Any]:
        as_lambda = json.loads(json.dumps(record, default=str))
        as_lambda["eventSourceARN"] = self.stream_arn
        return as_lambda

    def _deliver(self, records: list[dict[str, Any]]) -> str | None:
        try:
            answer = self.handler({"Records": records}, LambdaContext(function_name=self.function_name))
        except Exception:
            log.exception("stream batch failed")
            return str(records[0]["dynamodb"]["SequenceNumber"])
        failures = (answer or {}).get("batchItemFailures") or []
        if not failures:
            return None
        return str(min((f["itemIdentifier"] for f in failures), key=int))

    def start(self, interval: float = 0.2) -> StreamFeed:
        """Poll the stream; after a poll that found records, again at once (a return's steps write
        in bursts), and `interval` apart only while nothing comes (streams have no long poll)."""

        def run() -> None:
            while not self._stop.is_set():
                try:
                    found = self.poll()
                except Exception:
                    log.exception("stream poll failed")
                    found = 0
                if not found or self.failing:  # a failing batch is retried `interval` apart
                    self._stop.wait(interval)

        self._thread = threading.Thread(target=run, name=f"stream-{self.table_name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
