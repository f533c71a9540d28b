"""From the table's stream to EventBridge: outbox items (OUTBOX#<rma>) become PutEvents entries.

The stream orders records per partition key, so the events of one return arrive in the order they
were written; the publisher keeps that order by publishing a return's events one call at a time.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SOURCE = "boomerang"
OUTBOX_PREFIX = "OUTBOX#"
# PutEvents takes at most 10 entries per call.
MAX_ENTRIES = 10


class Envelope(BaseModel):
    """{id, type, version, occurred_at, shop, data}: what every consumer receives as the Detail."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    type: str = Field(pattern=r"^[a-z_]+\.[a-z_]+$")
    version: int = Field(ge=1)
    occurred_at: str
    shop: str
    data: dict[str, Any]


def envelope_of(new_image: dict[str, Any]) -> Envelope | None:
    """The envelope in a stream record's new image (DynamoDB JSON), if it is an outbox item."""
    pk = (new_image.get("pk") or {}).get("S", "")
    if not pk.startswith(OUTBOX_PREFIX):
        return None
    return Envelope.model_validate_json(new_image["doc"]["S"])


def put_events_entry(envelope: Envelope, bus_name: str) -> dict[str, Any]:
    return {
        "Source": SOURCE,
        "DetailType": envelope.type,
        "Detail": json.dumps(envelope.model_dump(mode="json"), separators=(",", ":")),
        "EventBusName": bus_name,
        "Time": envelope.occurred_at,
    }


class PublishFailed(Exception):
    """EventBridge refused some entries; the record is retried (at least once)."""


def publish(events_client: Any, bus_name: str, envelopes: list[Envelope]) -> None:
    """Publish in order; raise if any entry failed, so the stream retries from that record."""
    for start in range(0, len(envelopes), MAX_ENTRIES):
        chunk = envelopes[start : start + MAX_ENTRIES]
        got = events_client.put_events(Entries=[put_events_entry(e, bus_name) for e in chunk])
        if got.get("FailedEntryCount"):
            failed = [
                f"{e.id}: {r.get('ErrorCode')}"
                for e, r in zip(chunk, got["Entries"], strict=True)
                if "ErrorCode" in r
            ]
            raise PublishFailed(", ".join(failed))
