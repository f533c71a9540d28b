"""The local API Gateway answers as the handler does when called directly with API Gateway's event."""

from __future__ import annotations

import json
from typing import Any

import pytest

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
    assert status == 502 and json.loads(text) == {"message": "Internal server error"}
