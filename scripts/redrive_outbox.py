"""Publish again the outbox events whose stream positions the publisher's dead-letter queue holds.

    python -m scripts.redrive_outbox --queue-url <the Events/DeadLetters queue URL> --bus <bus name>

Run it once the cause is fixed (EventBridge throttling, a permission); consumers deduplicate on the
event id, so a redrive that repeats an event is harmless. Records older than the stream's 24 hours
are gone from the stream: replay those from the bus's archive instead.
"""

from __future__ import annotations

import argparse

import boto3

from boomerang.events.redrive import redrive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queue-url", required=True)
    parser.add_argument("--bus", required=True)
    args = parser.parse_args()
    count = redrive(
        boto3.client("sqs"), boto3.client("dynamodbstreams"), boto3.client("events"), args.queue_url, args.bus
    )
    print(f"{count} events published again")


if __name__ == "__main__":
    main()
