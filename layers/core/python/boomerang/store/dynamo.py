"""Thin helpers over the low-level DynamoDB client: (de)serialization and error translation."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config

from boomerang.domain.errors import DomainError

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

# Short timeouts and standard retries: a Lambda behind API Gateway has 29 s at most.
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)


def client() -> Any:
    return boto3.client("dynamodb", config=CLIENT_CONFIG)


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in values.items() if v is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


class InvalidCursor(DomainError):
    code = "invalid_cursor"
    http_status = 400


def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    return base64.urlsafe_b64encode(json.dumps(last_key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError) as exc:
        raise InvalidCursor("The cursor is not one this API gave out.") from exc
    if not isinstance(value, dict):
        raise InvalidCursor("The cursor is not one this API gave out.")
    return value


def cancellation_reasons(error: Any) -> list[str]:
    """The per-item reason codes of a cancelled TransactWriteItems ("None" for items that passed)."""
    reasons = error.response.get("CancellationReasons") or []
    return [str(r.get("Code", "None")) for r in reasons]
