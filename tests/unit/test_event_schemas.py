"""The documented event schemas (docs/events) are the catalogue's, every one a valid JSON Schema,
and they accept what the code emits and refuse what it must not."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from boomerang.domain.status import ReturnStatus, event_type
from boomerang.events.catalogue import CATALOGUE, schema_files
from tests.event_checks import SCHEMAS, validator


def test_docs_match_the_catalogue() -> None:
    generated = schema_files()
    on_disk = {p.name: p.read_text() for p in SCHEMAS.glob("*.json")}
    assert on_disk == generated, "run: python -m boomerang.events.catalogue docs/events"


@pytest.mark.parametrize("name", sorted(schema_files()))
def test_each_schema_is_valid_json_schema(name: str) -> None:
    Draft202012Validator.check_schema(json.loads((SCHEMAS / name).read_text()))


def test_every_status_event_has_a_schema() -> None:
    for status in ReturnStatus:
        if status is not ReturnStatus.REQUESTED:
            assert event_type(status) in CATALOGUE, status


def envelope(event_type: str, data: dict[str, object]) -> dict[str, object]:
    at = "2026-01-01T00:00:00.000000Z"
    return {
        "id": "K7Q-4M2-XAC:3:0",
        "type": event_type,
        "version": 1,
        "occurred_at": at,
        "shop": "acme",
        "data": data,
    }


def test_inspected_carries_grades_and_dispositions() -> None:
    check = validator("return.inspected", 1)
    item = {"line_id": "L1", "sku": "S1", "grade": "needs_repair", "disposition": "needs_repair"}
    good = envelope("return.inspected", {"rma": "K7Q-4M2-XAC", "order_id": "1", "status": "inspected",
                                         "items": [item], "refund": 1000})  # fmt: skip
    assert check.is_valid(good)
    bad_grade = json.loads(json.dumps(good))
    bad_grade["data"]["items"][0]["grade"] = "mint"
    assert not check.is_valid(bad_grade)


def test_personal_data_has_no_place() -> None:
    check = validator("return.approved", 1)
    base = {"rma": "K7Q-4M2-XAC", "order_id": "1", "status": "approved", "outcome": "approved"}
    assert check.is_valid(envelope("return.approved", base))
    assert not check.is_valid(envelope("return.approved", {**base, "email": "someone@example.com"}))
    assert not check.is_valid(envelope("return.rejected", base))  # the type is fixed per schema
