"""Redrive of the outbox publisher's dead letters: each names a stretch of the table's stream (the
on-failure destination of a DynamoDB stream mapping sends positions, not records); read it again
and publish its outbox events, in stream order."""

from __future__ import annotations

import json
from typing import Any

from boomerang.events.outbox import envelope_of, publish


def stream_batch(streams: Any, info: dict[str, Any]) -> list[dict[str, Any]]:
    """The records from startSequenceNumber to endSequenceNumber of the shard `info` names."""
    iterator = streams.get_shard_iterator(
        StreamArn=info["streamArn"],
        ShardId=info["shardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=info["startSequenceNumber"],
    )["ShardIterator"]
    end = int(info["endSequenceNumber"])
    found: list[dict[str, Any]] = []
    while iterator:
        got = streams.get_records(ShardIterator=iterator, Limit=1000)
        for record in got.get("Records", []):
            if int(record["dynamodb"]["SequenceNumber"]) > end:
                return found
            found.append(record)
        if not got.get("Records"):
            return found  # the shard has nothing more yet
        iterator = got.get("NextShardIterator")
    return found


def redrive(sqs: Any, streams: Any, events_client: Any, queue_url: str, bus_name: str) -> int:
    """Publish every outbox event the dead-letter queue points at; the number of events published.
    A message is deleted only once its events are published (a failure leaves it for next time)."""
    published = 0
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if not messages:
            return published
        for message in messages:
            info = json.loads(message["Body"])["DDBStreamBatchInfo"]
            envelopes = [
                e
                for r in stream_batch(streams, info)
                if r.get("eventName") == "INSERT"
                and (e := envelope_of(r["dynamodb"].get("NewImage") or {})) is not None
            ]
            publish(events_client, bus_name, envelopes)
            published += len(envelopes)
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
