"""Issue 13, item 2: what parsers choke on answers a clear 4xx in the error body on every JSON
route of the three REST functions (boomerang.api.resolver.guard_body): 1,000 nested arrays in
2 KB are 400 malformed_json (not a RecursionError's 500), a body sent as text/plain or a form is
415 unsupported_media_type, a body over the function's limit is 413 payload_too_large."""

from __future__ import annotations

import json
import re
from types import ModuleType
from typing import Any

import pytest

from boomerang.api.resolver import MAX_JSON_DEPTH, json_problem
from boomerang.api.routes import ADMIN_ROUTES, STOREFRONT_ROUTES, TICKET_ADMIN_ROUTES, TICKET_ROUTES
from local.apigw_events import LambdaContext, rest_event
from local.demo.data import DEMO_API_KEY
from tests.conftest import answer, staff_claims

NESTED = "[" * 1000 + "]" * 1000  # 2 KB
SAMPLE_PARAMETERS = {"rma": "K7Q-4M2-XAC", "order_id": "1001", "ticket_id": "TK-3F9A1C2B7D0E",
                     "email": "ada%40example.com", "evidence_id": "ev1", "shop": "demo"}  # fmt: skip
FUNCTIONS = {
    "functions.storefront_api.handler": STOREFRONT_ROUTES,
    "functions.admin_api.handler": ADMIN_ROUTES,
    "functions.tickets_api.handler": TICKET_ROUTES + TICKET_ADMIN_ROUTES,
}
# Every route that reads a body: POST, and PATCH (a policy change).
POSTS = [
    (name, f"{method} {path}")
    for name, routes in FUNCTIONS.items()
    for method, path in routes
    if method in ("POST", "PATCH")
]


@pytest.fixture(scope="module")
def modules(storefront: ModuleType, admin: ModuleType) -> dict[str, ModuleType]:
    import importlib

    return {name: importlib.import_module(name) for name in FUNCTIONS}


def _call(module: ModuleType, route: str, body: str, content_type: str | None) -> tuple[int, Any]:
    method, _, template = route.rpartition(" ")
    path = re.sub(r"\{(\w+)\}", lambda m: SAMPLE_PARAMETERS[m.group(1)], template)
    headers = {"x-api-key": DEMO_API_KEY, "Idempotency-Key": "unreadable-1"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    event = rest_event(method or "POST", path, resource=template, headers=headers, body=body)
    if template.startswith("/admin/"):
        event["requestContext"]["authorizer"] = {"claims": staff_claims("alice", "admin")}
    return answer(module.handler(event, LambdaContext()))


@pytest.mark.parametrize(("module", "path"), POSTS)
def test_deep_nesting_is_400_malformed_json(modules: dict[str, ModuleType], module: str, path: str) -> None:
    status, out = _call(modules[module], path, NESTED, "application/json")
    assert (status, out["error"]["code"]) == (400, "malformed_json"), out
    assert out["error"]["request_id"]


@pytest.mark.parametrize(("module", "path"), POSTS)
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "text/xml"])
def test_a_body_that_is_not_sent_as_json_is_415(
    modules: dict[str, ModuleType], module: str, path: str, content_type: str
) -> None:
    status, out = _call(modules[module], path, '{"a": 1}', content_type)
    assert (status, out["error"]["code"]) == (415, "unsupported_media_type"), out


@pytest.mark.parametrize(("module", "path"), POSTS)
def test_a_body_over_the_limit_is_413_in_the_error_body(
    modules: dict[str, ModuleType], module: str, path: str
) -> None:
    limit = modules[module].config.max_body_bytes
    status, out = _call(modules[module], path, json.dumps({"note": "x" * limit}), "application/json")
    assert (status, out["error"]["code"]) == (413, "payload_too_large"), out


def test_json_with_a_charset_or_without_a_content_type_is_read(storefront: ModuleType) -> None:
    body = json.dumps({"shop": "demo", "order_number": "#0", "email": "nobody@example.com"})
    for content_type in ("application/json; charset=utf-8", None):
        status, out = _call(storefront, "/v1/sessions", body, content_type)
        assert (status, out["error"]["code"]) == (404, "order_not_found")


@pytest.mark.parametrize(
    "text",
    [NESTED, '{"a": ' * 40 + "1" + "}" * 40, "NaN", '{"q": Infinity}', "1" * 5000, '{"a": ', "\ud800"],
)
def test_what_the_json_check_refuses(text: str) -> None:
    assert json_problem(text) is not None


def test_what_the_json_check_reads() -> None:
    assert json_problem("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) is None
    assert json_problem("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)) is not None
    assert json_problem('{"items": [{"line_id": "1", "quantity": 1}], "note": "ü"}') is None


def test_a_merge_patch_is_read_only_where_a_policy_is_changed(modules: dict[str, ModuleType]) -> None:
    admin = modules["functions.admin_api.handler"]
    reject = "POST /admin/v1/returns/{rma}/reject"
    status, out = _call(admin, reject, '{"reason": "x"}', "application/merge-patch+json")
    assert (status, out["error"]["code"]) == (415, "unsupported_media_type"), out
    # On the policy routes it is JSON: the nesting check still applies.
    status, out = _call(admin, "PATCH /admin/v1/shops/{shop}/policy", NESTED, "application/merge-patch+json")
    assert (status, out["error"]["code"]) == (400, "malformed_json"), out
