"""The APIs' routes, in API Gateway's path syntax: the CDK stack creates exactly these.

The storefront, the staff (admin) and the ticket API share one REST API but are separate
functions with separate route tables: a route is in exactly one of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from boomerang.auth.staff import ADMIN, FINANCE, STAFF_GROUPS, SUPPORT

STOREFRONT_ROUTES: tuple[tuple[str, str], ...] = (
    ("POST", "/v1/orders"),
    ("POST", "/v1/products"),
    ("POST", "/v1/sessions"),
    ("POST", "/v1/sessions/revoke"),
    ("GET", "/v1/orders/{order_id}/eligibility"),
    ("POST", "/v1/returns"),
    ("GET", "/v1/returns/{rma}"),
    ("POST", "/v1/returns/{rma}/cancel"),
    ("GET", "/v1/returns/{rma}/label"),
    ("POST", "/v1/returns/{rma}/evidence"),
    ("POST", "/v1/returns/{rma}/exchange-fulfilment"),
    ("GET", "/v1/store-credit"),
    ("POST", "/v1/store-credit/spend"),
    ("POST", "/v1/orders/{order_id}/fulfillments"),
    ("GET", "/v1/orders/{order_id}/tracking"),
    ("GET", "/v1/policy"),
    ("GET", "/v1/openapi.json"),
)

# Staff routes: each has a Cognito User Pools authorizer; boomerang.auth.staff says which groups.
ADMIN_ROUTES: tuple[tuple[str, str], ...] = (
    ("GET", "/admin/v1/returns"),
    ("GET", "/admin/v1/returns/{rma}"),
    ("POST", "/admin/v1/returns/{rma}/approve"),
    ("POST", "/admin/v1/returns/{rma}/reject"),
    ("POST", "/admin/v1/warehouse/scans"),
    ("POST", "/admin/v1/returns/{rma}/inspection"),
    ("POST", "/admin/v1/returns/{rma}/evidence"),
    ("GET", "/admin/v1/returns/{rma}/evidence"),
    ("GET", "/admin/v1/returns/{rma}/evidence/{evidence_id}"),
    ("GET", "/admin/v1/customers/{email}/export"),
    ("POST", "/admin/v1/customers/{email}/erase"),
    ("POST", "/admin/v1/returns/{rma}/refund"),
    ("GET", "/admin/v1/shops/{shop}/policy"),
    ("PATCH", "/admin/v1/shops/{shop}/policy"),
    ("GET", "/admin/v1/shops/{shop}/policy/versions"),
    ("POST", "/admin/v1/shops/{shop}/policy/simulate"),
    ("GET", "/admin/v1/reports/{name}"),
    ("GET", "/admin/v1/openapi.json"),
)

# Tickets: their own function. Storefront side: a storefront API key or a customer token.
TICKET_ROUTES: tuple[tuple[str, str], ...] = (
    ("POST", "/v1/tickets"),
    ("GET", "/v1/tickets/{ticket_id}"),
    ("POST", "/v1/tickets/{ticket_id}/messages"),
)

_EVERYONE = frozenset(STAFF_GROUPS)
_AGENTS = frozenset({SUPPORT, FINANCE, ADMIN})  # who answers customers and works ticket queues

# Staff side: Cognito User Pools authorizer; (method, route) -> the groups that may call it (as
# boomerang.auth.staff does for the returns' admin routes).
TICKET_ADMIN_PERMISSIONS: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/admin/v1/tickets"): _EVERYONE,
    ("GET", "/admin/v1/tickets/{ticket_id}"): _EVERYONE,
    ("POST", "/admin/v1/tickets/{ticket_id}/assign"): _AGENTS,
    ("POST", "/admin/v1/tickets/{ticket_id}/replies"): _AGENTS,
    ("POST", "/admin/v1/tickets/{ticket_id}/notes"): _EVERYONE,
    ("POST", "/admin/v1/tickets/{ticket_id}/status"): _AGENTS,
    ("POST", "/admin/v1/tickets/{ticket_id}/category"): _AGENTS,
    ("POST", "/admin/v1/tickets/{ticket_id}/merge"): frozenset({SUPPORT, ADMIN}),
    ("POST", "/admin/v1/tickets/{ticket_id}/link"): _AGENTS,
}
TICKET_ADMIN_ROUTES: tuple[tuple[str, str], ...] = tuple(TICKET_ADMIN_PERMISSIONS)

# The API reference for people (Swagger UI over the OpenAPI documents): its own function, public.
DOCS_ROUTES: tuple[tuple[str, str], ...] = (("GET", "/docs"), ("GET", "/docs/{file}"))

# The staff console (functions/web, boomerang/web/console): HTML under /admin, signed in with the
# console's own session cookie (not API Gateway's authorizer: a browser sends no Authorization header).
CONSOLE_ROUTES: tuple[tuple[str, str], ...] = (
    ("GET", "/admin"),
    ("GET", "/admin/sign-in"),
    ("POST", "/admin/sign-in"),
    ("GET", "/admin/callback"),
    ("POST", "/admin/sign-out"),
    ("GET", "/admin/returns/{rma}"),
    ("POST", "/admin/returns/{rma}/approve"),
    ("POST", "/admin/returns/{rma}/reject"),
    ("POST", "/admin/returns/{rma}/refund"),
    ("GET", "/admin/returns/{rma}/evidence/{evidence_id}"),
    ("POST", "/admin/returns/{rma}/inspection"),
    ("POST", "/admin/returns/{rma}/photos"),
    ("GET", "/admin/warehouse"),
    ("POST", "/admin/warehouse/scans"),
    ("GET", "/admin/warehouse/returns/{rma}"),
    ("GET", "/admin/tickets"),
    ("GET", "/admin/tickets/{ticket_id}"),
    ("POST", "/admin/tickets/{ticket_id}/replies"),
    ("POST", "/admin/tickets/{ticket_id}/assign"),
    ("POST", "/admin/tickets/{ticket_id}/merge"),
    ("GET", "/admin/customers"),
    ("POST", "/admin/customers"),
    ("POST", "/admin/customers/export"),
    ("POST", "/admin/customers/erase"),
    ("GET", "/admin/policy"),
    ("POST", "/admin/policy"),
    ("GET", "/admin/dashboard"),
    ("GET", "/admin/reports/{name}"),
)

# The customer's web pages (functions/web, boomerang/web): public; the portal's session is a cookie.
WEB_ROUTES: tuple[tuple[str, str], ...] = (
    ("GET", "/{shop}/policy"),
    ("GET", "/{shop}/returns"),
    ("POST", "/{shop}/returns"),
    ("POST", "/{shop}/returns/new"),
    ("GET", "/{shop}/returns/{rma}"),
    ("GET", "/{shop}/returns/{rma}/label"),
    ("POST", "/{shop}/returns/{rma}/evidence"),
    ("GET", "/{shop}/track"),
    ("POST", "/{shop}/track"),
    *CONSOLE_ROUTES,
)

# Carrier tracking webhooks: their own function; the body's signature authenticates the caller.
CARRIER_WEBHOOK_ROUTES: tuple[tuple[str, str], ...] = (
    ("POST", "/webhooks/carriers/easypost"),
    ("POST", "/webhooks/carriers/aftership"),
    ("POST", "/webhooks/carriers/17track"),
)
# Shopify order webhooks: their own function; the shop's app secret signs the body.
SHOPIFY_WEBHOOK_ROUTES: tuple[tuple[str, str], ...] = (("POST", "/webhooks/shopify"),)

_PARAMETER = re.compile(r"(\{\w+\})")


def route_template(routes: Iterable[tuple[str, str]], method: str, path: str) -> str | None:
    """The route template ("/admin/v1/returns/{rma}") that a request's method and path match, if any.

    A path parameter matches one non-empty path segment, so it is never narrower than the
    handler's own routing: whatever the handler dispatches to a route, this finds that route.
    """
    for route_method, template in routes:
        if route_method != method.upper():
            continue
        parts = _PARAMETER.split(template)
        pattern = "".join("[^/]+" if _PARAMETER.fullmatch(p) else re.escape(p) for p in parts)
        if re.fullmatch(pattern, path):
            return template
    return None
