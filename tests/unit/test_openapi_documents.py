"""Issue 13, item 4: the OpenAPI documents can be read. Every $ref resolves, the Idempotency-Key is
documented as required, each audience's document lists exactly its routes with their success
answers, every error code of the catalogue is documented, and the committed documents under
docs/openapi/ are current and break nothing (the gate of `make compare-openapi`)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from boomerang.api.errors import ERROR_CODES
from boomerang.api.openapi import DOCUMENTS, document
from boomerang.api.routes import ADMIN_ROUTES, STOREFRONT_ROUTES, TICKET_ADMIN_ROUTES, TICKET_ROUTES
from scripts import openapi as committed

META = {("GET", "/v1/openapi.json"), ("GET", "/admin/v1/openapi.json")}
AUDIENCES = {
    "storefront": set(STOREFRONT_ROUTES) | set(TICKET_ROUTES),
    "staff": set(ADMIN_ROUTES) | set(TICKET_ADMIN_ROUTES),
}
TAKES_A_KEY = {
    ("POST", "/v1/returns"),
    ("POST", "/v1/store-credit/spend"),
    ("POST", "/v1/orders/{order_id}/fulfillments"),
    ("POST", "/v1/tickets"),
    ("POST", "/v1/tickets/{ticket_id}/messages"),
}


def _operations(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(m.upper(), path): op for path, ops in doc["paths"].items() for m, op in ops.items()}


def _pointer(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_ref_resolves(name: str) -> None:
    doc = document(name)
    refs = re.findall(r'"\$ref": "([^"]+)"', json.dumps(doc))
    assert len(refs) > 50
    for ref in set(refs):
        assert isinstance(_pointer(doc, ref), dict), ref
    assert "$defs" not in json.dumps(doc)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_each_document_lists_its_audiences_routes_with_their_answers(name: str) -> None:
    operations = _operations(document(name))
    assert set(operations) == AUDIENCES[name] - META
    for key, op in operations.items():
        success = [s for s in op["responses"] if s.startswith("2")]
        assert success, key
        for status in success:
            schema = op["responses"][status]["content"]["application/json"]["schema"]
            assert "$ref" in schema, (key, status)
        errors = {s for s in op["responses"] if not s.startswith("2")}
        assert errors == {str(s) for s in ERROR_CODES}, key


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_idempotency_key_is_required_where_it_is_taken(name: str) -> None:
    for key, op in _operations(document(name)).items():
        headers = {p["name"].lower(): p for p in op.get("parameters", []) if p["in"] == "header"}
        if key in TAKES_A_KEY:
            assert headers["idempotency-key"]["required"] is True, key
        else:
            assert "idempotency-key" not in headers, key


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_error_code_is_documented_with_the_error_body(name: str) -> None:
    doc = document(name)
    responses = doc["components"]["responses"]
    documented = {code for r in responses.values() for code in r["x-error-codes"]}
    assert documented == {code for codes in ERROR_CODES.values() for code in codes}
    error = doc["components"]["schemas"]["ErrorOut"]
    assert error["required"] == ["error"]
    assert set(doc["components"]["schemas"]["ErrorBody"]["properties"]) == {
        "code",
        "message",
        "details",
        "request_id",
    }


def test_the_committed_documents_are_current_and_break_nothing() -> None:
    breaks, stale = committed.compare()
    assert breaks == {}, "breaking change to the committed OpenAPI: see `make compare-openapi`"
    assert stale == [], "docs/openapi/ is not current: run `make openapi`"
