"""The breaking-change checker of the OpenAPI gate (scripts/openapi_diff.py): each kind of break is
found, and what a client may ignore is not, on a small document and on the real ones."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from boomerang.api.openapi import document
from scripts.openapi_diff import breaking_changes


def base() -> dict[str, Any]:
    money = {
        "type": "object",
        "properties": {"amount": {"type": "string"}, "currency": {"type": "string", "maxLength": 3}},
        "required": ["amount", "currency"],
    }
    return {
        "openapi": "3.1.0",
        "paths": {
            "/v1/things": {
                "post": {
                    "parameters": [
                        {
                            "name": "idempotency-key",
                            "in": "header",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer"}},
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ThingIn"}}},
                    },
                    "responses": {
                        "201": {
                            "description": "Created",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/ThingOut"}}
                            },
                        },
                        "404": {"$ref": "#/components/responses/Error404"},
                    },
                },
                "get": {"responses": {"200": {"description": "OK"}}},
            }
        },
        "components": {
            "responses": {
                "Error404": {"description": "x", "x-error-codes": ["order_not_found", "route_not_found"]}
            },
            "schemas": {
                "ThingIn": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "kind": {"type": "string", "enum": ["a", "b"]},
                        "note": {"anyOf": [{"type": "string", "maxLength": 200}, {"type": "null"}]},
                        "price": {"$ref": "#/components/schemas/Money"},
                    },
                    "required": ["kind"],
                },
                "ThingOut": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "total": {"$ref": "#/components/schemas/Money"},
                        "tags": {"type": "array", "items": {"type": "string"}},
                    },
                    "required": ["id", "total"],
                },
                "Money": money,
            },
        },
    }


def _schemas(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["components"]["schemas"]


def _post(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["paths"]["/v1/things"]["post"]


BREAKING: dict[str, tuple[Callable[[dict[str, Any]], Any], str]] = {
    "path removed": (lambda d: d["paths"].pop("/v1/things"), "path removed"),
    "operation removed": (lambda d: d["paths"]["/v1/things"].pop("get"), "operation removed"),
    "response field removed": (
        lambda d: _schemas(d)["ThingOut"]["properties"].pop("tags"),
        "response field tags removed",
    ),
    "nested response field removed (through a $ref)": (
        lambda d: _schemas(d)["Money"]["properties"].pop("currency"),
        "response field currency removed",
    ),
    "response field no longer always present": (
        lambda d: _schemas(d)["ThingOut"]["required"].remove("total"),
        "no longer always present",
    ),
    "response type changed": (
        lambda d: _schemas(d)["ThingOut"]["properties"]["id"].update(type="integer"),
        "type changed",
    ),
    "new required request field": (
        lambda d: (
            _schemas(d)["ThingIn"]["properties"].update(size={"type": "integer"}),
            _schemas(d)["ThingIn"]["required"].append("size"),
        ),
        "request field size is required",
    ),
    "optional request field made required": (
        lambda d: _schemas(d)["ThingIn"]["required"].append("note"),
        "request field note is required",
    ),
    "request field removed": (
        lambda d: _schemas(d)["ThingIn"]["properties"].pop("note"),
        "request field note removed",
    ),
    "new required parameter": (
        lambda d: _post(d)["parameters"].append(
            {"name": "shop", "in": "query", "required": True, "schema": {"type": "string"}}
        ),
        "query parameter shop is required",
    ),
    "optional parameter made required": (
        lambda d: _post(d)["parameters"][1].update(required=True),
        "query parameter limit is required",
    ),
    "request enum narrowed": (
        lambda d: _schemas(d)["ThingIn"]["properties"]["kind"].update(enum=["a"]),
        "enum narrowed",
    ),
    "request type narrowed": (
        lambda d: _post(d)["parameters"][1]["schema"].update(type="string"),
        "type narrowed",
    ),
    "nullable request field made non-null": (
        lambda d: _schemas(d)["ThingIn"]["properties"].update(note={"type": "string", "maxLength": 200}),
        "type narrowed",
    ),
    "request bound tightened": (
        lambda d: _schemas(d)["ThingIn"]["properties"]["note"]["anyOf"][0].update(maxLength=100),
        "maxLength tightened",
    ),
    "request pattern added": (
        lambda d: _schemas(d)["ThingIn"]["properties"]["kind"].update(pattern="^a$"),
        "pattern changed",
    ),
    "error code removed": (
        lambda d: d["components"]["responses"]["Error404"]["x-error-codes"].remove("order_not_found"),
        "no longer answers error code(s) order_not_found",
    ),
    "success status removed": (
        lambda d: _post(d)["responses"].update({"200": _post(d)["responses"].pop("201")}),
        "response 201 removed",
    ),
    "request body made required": (
        lambda d: d["paths"]["/v1/things"]["get"].update(
            requestBody={"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}
        ),
        "request body is required",
    ),
}

HARMLESS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "path added": lambda d: d["paths"].update(
        {"/v1/more": {"get": {"responses": {"200": {"description": "OK"}}}}}
    ),
    "optional request field added": lambda d: _schemas(d)["ThingIn"]["properties"].update(
        size={"type": "integer"}
    ),
    "response field added": lambda d: _schemas(d)["ThingOut"]["properties"].update(extra={"type": "string"}),
    "optional parameter added": lambda d: _post(d)["parameters"].append(
        {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"}}
    ),
    "request enum widened": lambda d: _schemas(d)["ThingIn"]["properties"]["kind"].update(
        enum=["a", "b", "c"]
    ),
    "request bound loosened": lambda d: _schemas(d)["ThingIn"]["properties"]["note"]["anyOf"][0].update(
        maxLength=500
    ),
    "error code added": lambda d: d["components"]["responses"]["Error404"]["x-error-codes"].append(
        "ticket_not_found"
    ),
    "texts changed": lambda d: _post(d).update(summary="Make a thing", description="Longer words"),
    "request field made nullable": lambda d: _schemas(d)["ThingIn"]["properties"].update(
        kind={"anyOf": [{"type": "string", "enum": ["a", "b"]}, {"type": "null"}]}
    ),
}


@pytest.mark.parametrize("case", BREAKING)
def test_each_kind_of_break_is_found(case: str) -> None:
    change, expected = BREAKING[case]
    new = copy.deepcopy(base())
    change(new)
    found = breaking_changes(base(), new)
    assert any(expected in line for line in found), found


@pytest.mark.parametrize("case", HARMLESS)
def test_what_a_client_may_ignore_is_not_a_break(case: str) -> None:
    new = copy.deepcopy(base())
    HARMLESS[case](new)
    assert breaking_changes(base(), new) == []


@pytest.mark.parametrize("name", ["storefront", "staff"])
def test_the_real_documents_compare_clean_with_themselves_and_catch_a_removed_field(name: str) -> None:
    doc = document(name)
    assert breaking_changes(doc, copy.deepcopy(doc)) == []
    broken = copy.deepcopy(doc)
    schemas = broken["components"]["schemas"]
    victim = "ReturnOut" if name == "storefront" else "StaffReturnOut"
    schemas[victim]["properties"].pop("status")
    assert any("response field status removed" in line for line in breaking_changes(doc, broken))
