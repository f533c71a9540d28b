"""The local API Gateway answers as the handler does when called directly with API Gateway's event."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from boomerang.api.routes import STOREFRONT_ROUTES
from local.apigw_events import LambdaContext, match_route, rest_event
from local.demo.data import DEMO_API_KEY
from local.http_front import invoke, routes_for

KEY = {"x-api-key": DEMO_API_KEY, "Content-Type": "application/json"}
REQUESTS = [
    ("GET", "/v1/policy", KEY, None),
    ("GET", "/v1/policy", {"x-api-key": "bk_wrong"}, None),
    ("GET", "/v1/policy", {}, None),
    ("GET", "/v1/returns/222-222-222", KEY, None),
    ("GET", "/v1/returns/not-an-rma", KEY, None),
    ("GET", "/v1/orders/no-such-order/eligibility", KEY, None),
    ("POST", "/v1/returns", KEY, '{"order_id": '),
    ("POST", "/v1/returns", {**KEY, "Idempotency-Key": "front-1"}, json.dumps({"order_id": "x"})),
    (
        "POST",
        "/v1/sessions",
        {"Content-Type": "application/json"},
        json.dumps({"order_number": "#0", "email": "a@b.co", "shop": "demo"}),
    ),
    ("GET", "/v1/openapi.json", {}, None),
]


def _without_request_ids(body: str) -> Any:
    data = json.loads(body)
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        data["error"].pop("request_id", None)
    return data


@pytest.mark.parametrize(("method", "path", "headers", "body"), REQUESTS)
def test_front_and_direct_call_agree(
    storefront: Any, method: str, path: str, headers: dict[str, str], body: str | None
) -> None:
    routes = routes_for(storefront.handler, STOREFRONT_ROUTES, "storefront_api")
    status, _, text = invoke(routes, method, path, dict(headers), body)
    found = match_route(STOREFRONT_ROUTES, method, path)
    assert found is not None
    resource, params = found
    direct = storefront.handler(
        rest_event(method, path, resource=resource, path_parameters=params, headers=dict(headers), body=body),
        LambdaContext(),
    )
    assert status == direct["statusCode"]
    assert _without_request_ids(text) == _without_request_ids(direct["body"])


def test_an_unknown_route_is_the_gateways_404(storefront: Any) -> None:
    routes = routes_for(storefront.handler, STOREFRONT_ROUTES, "storefront_api")
    status, _, text = invoke(routes, "GET", "/v2/nothing", {}, None)
    assert status == 404 and json.loads(text)["error"]["code"] == "route_not_found"


def test_a_handler_that_raises_gets_the_gateways_502() -> None:
    def broken(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise RuntimeError("boom")

    status, _, text = invoke(
        routes_for(broken, [("GET", "/v1/policy")], "broken"), "GET", "/v1/policy", {}, None
    )
    error = json.loads(text)["error"]
    assert status == 502 and error["code"] == "internal_error" and error["request_id"]


# --- issue 13, item 2: the local front answers as API Gateway does, Gateway Responses included ---


@pytest.fixture(scope="module")
def front(storefront: Any, admin: Any) -> Iterator[str]:
    """The local front over HTTP on a free port, serving the storefront and staff routes."""
    from boomerang.api.routes import ADMIN_ROUTES
    from local.dynamodb_local import free_port
    from local.http_front import make_server

    routes = routes_for(storefront.handler, STOREFRONT_ROUTES, "storefront_api")
    routes += routes_for(admin.handler, ADMIN_ROUTES, "admin_api", cognito=True)
    server = make_server("127.0.0.1", free_port(), routes)
    server.claims_for = lambda token: (_ for _ in ()).throw(ValueError("not a pool token"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _error(answer: requests.Response) -> tuple[int, str]:
    error = answer.json()["error"]
    assert set(error) == {"code", "message", "details", "request_id"} and error["request_id"], error
    return answer.status_code, str(error["code"])


def test_what_parsers_choke_on_answers_in_the_error_body_over_http(front: str) -> None:
    sent = {**KEY, "Idempotency-Key": "front-13"}
    nested = "[" * 1000 + "]" * 1000
    assert _error(requests.post(f"{front}/v1/returns", data=nested, headers=sent, timeout=30)) == (
        400,
        "malformed_json",
    )
    plain = {**sent, "Content-Type": "text/plain"}
    assert _error(requests.post(f"{front}/v1/returns", data="{}", headers=plain, timeout=30)) == (
        415,
        "unsupported_media_type",
    )
    huge = b"{" + b" " * (11 * 1024 * 1024) + b"}"  # over API Gateway's 10 MB: its Gateway Response
    assert _error(requests.post(f"{front}/v1/orders", data=huge, headers=KEY, timeout=60)) == (
        413,
        "payload_too_large",
    )


def test_gateway_responses_over_http(front: str) -> None:
    assert _error(requests.request("TRACE", f"{front}/v1/policy", timeout=30)) == (404, "route_not_found")
    assert _error(requests.get(f"{front}/v2/nothing", timeout=30)) == (404, "route_not_found")
    refused = requests.get(f"{front}/admin/v1/returns", headers={"Authorization": "forged"}, timeout=30)
    assert _error(refused) == (401, "unauthenticated")
