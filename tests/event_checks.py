"""Checking published events against the documented schemas (docs/events/*.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMAS = Path(__file__).resolve().parents[1] / "docs" / "events"


def validator(event_type: str, version: int) -> Draft202012Validator:
    path = SCHEMAS / f"{event_type}.v{version}.json"
    assert path.exists(), f"no documented schema for {event_type} v{version}"
    return Draft202012Validator(json.loads(path.read_text()))


def assert_valid(envelope: dict[str, Any]) -> None:
    errors = [e.message for e in validator(envelope["type"], envelope["version"]).iter_errors(envelope)]
    assert errors == [], f"{envelope['type']} {envelope['id']}: {errors}"
