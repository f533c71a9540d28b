"""The OpenAPI documents, one per audience, whichever function serves a route:

- storefront: what a storefront or a customer portal calls (`/v1/...`: the storefront function's
  routes and the ticket function's storefront side), served at GET /v1/openapi.json;
- staff: what the merchant's staff call (`/admin/v1/...`: the admin function's routes and the ticket
  function's staff side), served at GET /admin/v1/openapi.json (staff sign-in).

Both are committed under docs/openapi/ (`make openapi`), rendered for people by the docs site
(Swagger UI, infra/cdk/constructs/static_site.py) and gated against breaking changes
(scripts/openapi_diff.py). Built on the first request and kept for the container's life: building
imports Powertools' OpenAPI models (~200 ms), which no other request needs.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from boomerang.api.errors import ERROR_CODES

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.api_gateway import Router

VERSION = "1.0.0"
ERROR_SCHEMA = "ErrorOut"
ERROR_REF = f"#/components/schemas/{ERROR_SCHEMA}"

STOREFRONT_SECURITY = {
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
        "description": "The storefront's API key (its server only).",
    },
    "customerToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "A customer token from POST /v1/sessions: one order of one customer.",
    },
}
STAFF_SECURITY = {
    "staffIdToken": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "A staff ID token of the Boomerang user pool (Cognito), sent as it is.",
    }
}


def _storefront_routers() -> list[Router]:
    from boomerang.api.storefront import (
        eligibility,
        evidence,
        exchanges,
        labels,
        orders,
        policy,
        products,
        returns,
        sessions,
        shipments,
        store_credit,
    )
    from boomerang.api.tickets import storefront as tickets

    modules = (
        orders,
        products,
        sessions,
        eligibility,
        returns,
        labels,
        evidence,
        exchanges,
        policy,
        store_credit,
        shipments,
        tickets,
    )
    return [m.router for m in modules]


def _staff_routers() -> list[Router]:
    from boomerang.api.staff import (
        customers,
        decisions,
        evidence,
        policy,
        refunds,
        reports,
        returns,
        warehouse,
    )
    from boomerang.api.tickets import staff as tickets

    modules = (returns, decisions, warehouse, evidence, customers, refunds, policy, reports, tickets)
    return [m.router for m in modules]


# Success statuses other than a plain 200, by (method, path): the routes answer these with a
# Response(status_code=...), which Powertools cannot see. Each is documented with the route's
# return model; schemathesis (tests/schemathesis) fails on a status the document does not list.
SUCCESS: dict[tuple[str, str], tuple[int, ...]] = {
    ("POST", "/v1/orders"): (201, 200),  # created, or updated
    ("POST", "/v1/products"): (201, 200),  # created, or updated
    ("POST", "/v1/sessions"): (201,),
    ("POST", "/v1/returns"): (201,),
    ("POST", "/v1/returns/{rma}/evidence"): (201,),
    ("POST", "/v1/store-credit/spend"): (201, 200),  # spent, or the reference's earlier spend
    ("POST", "/v1/orders/{order_id}/fulfillments"): (201,),
    ("POST", "/v1/tickets"): (201,),
    ("POST", "/v1/tickets/{ticket_id}/messages"): (201,),
    ("POST", "/admin/v1/returns/{rma}/evidence"): (201,),
}
SUCCESS_TEXT = {200: "OK", 201: "Created"}

# Response headers of a success, by (method, path): Powertools documents none.
ETAG = {
    "description": 'The version of the policy answered, e.g. "v3": send it back as If-Match to change it',
    "schema": {"type": "string"},
}
SUCCESS_HEADERS: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/admin/v1/shops/{shop}/policy"): {"ETag": ETAG},
    ("PATCH", "/admin/v1/shops/{shop}/policy"): {"ETag": ETAG},
}

DOCUMENTS: dict[str, tuple[str, str, Callable[[], list[Router]], dict[str, Any]]] = {
    "storefront": (
        "Boomerang storefront API",
        "Returns, orders, customer sessions, store credit and support tickets, for storefronts and "
        "customer portals: a storefront API key (x-api-key) or a customer token (Authorization: Bearer).",
        _storefront_routers,
        STOREFRONT_SECURITY,
    ),
    "staff": (
        "Boomerang staff API",
        "The merchant's staff work the queues: review, warehouse scans and inspection, evidence, refunds, "
        "customers' data rights, support tickets, reports. A staff ID token of the user pool, per Cognito "
        "group.",
        _staff_routers,
        STAFF_SECURITY,
    ),
}


@functools.cache
def _built(name: str) -> str:
    title, description, routers, security = DOCUMENTS[name]
    return json.dumps(_finish(_generate(title, description, routers()), security), indent=2) + "\n"


def document(name: str) -> dict[str, Any]:
    """The OpenAPI document `name` ("storefront" or "staff"), as a new dict."""
    return dict(json.loads(_built(name)))


def document_json(name: str) -> str:
    return _built(name)


def _generate(title: str, description: str, routers: Iterable[Router]) -> dict[str, Any]:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver

    app = APIGatewayRestResolver(enable_validation=True)
    # include_router points each router at the resolver that includes it; these routers also
    # serve their function's resolver in this process, so each gets its own back.
    kept = [(router, router.__dict__.get("api_resolver")) for router in routers]
    try:
        for router, _ in kept:
            app.include_router(router)
    finally:
        for router, resolver in kept:
            if resolver is not None:
                router.api_resolver = resolver
    for route in app._static_routes + app._dynamic_routes:
        # A response without `content` gets the route's return model from Powertools.
        codes = SUCCESS.get((route.method, route.openapi_path), (200,))
        route.responses = {
            **{code: {"description": SUCCESS_TEXT[code]} for code in codes},
            **(route.responses or {}),
        }
    generated: dict[str, Any] = json.loads(
        app.get_openapi_json_schema(title=title, version=VERSION, description=description)
    )
    return generated


def _finish(doc: dict[str, Any], security: dict[str, Any]) -> dict[str, Any]:
    """What Powertools leaves out: the error schemas the responses refer to (api/resolver.py
    error_responses), the security schemes, and each error response's codes as `x-error-codes`
    (the breaking-change gate compares them)."""
    from boomerang.api.schemas import ErrorOut

    doc = copy.deepcopy(doc)
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    error = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(error.pop("$defs", {}))
    schemas[ERROR_SCHEMA] = error
    components["securitySchemes"] = security
    doc["security"] = [{name: []} for name in security]
    # Every route answers the one error catalogue: each status once, under components/responses.
    shared = components.setdefault("responses", {})
    for path in doc.get("paths", {}).values():
        for operation in path.values():
            responses = operation.get("responses", {})
            for status, response in responses.items():
                codes = ERROR_CODES.get(int(status), {})
                if codes:
                    shared[f"Error{status}"] = {**response, "x-error-codes": sorted(codes)}
                    responses[status] = {"$ref": f"#/components/responses/Error{status}"}
    doc["components"] = {key: dict(sorted(value.items())) for key, value in sorted(components.items())}
    for path, item in doc.get("paths", {}).items():
        for method, operation in item.items():
            _as_plain_json_too(operation)
            headers = SUCCESS_HEADERS.get((method.upper(), path))
            if headers:
                operation["responses"]["200"]["headers"] = headers
    return doc


def _as_plain_json_too(operation: dict[str, Any]) -> None:
    """A body documented as a JSON media type of its own (application/merge-patch+json) is taken
    as application/json too (the admin handler reads both): both are listed."""
    content = operation.get("requestBody", {}).get("content", {})
    for media, body in list(content.items()):
        if media.endswith("+json") and "application/json" not in content:
            content["application/json"] = copy.deepcopy(body)
