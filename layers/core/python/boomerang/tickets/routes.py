"""The ticket routes, in API Gateway's path syntax (the CDK construct creates exactly these), and
which staff groups may use each admin route (as boomerang.auth.staff does for returns)."""

from __future__ import annotations

from boomerang.auth.staff import ADMIN, FINANCE, STAFF_GROUPS, SUPPORT

# Storefront side: a storefront API key or a customer token.
TICKET_ROUTES: tuple[tuple[str, str], ...] = (
    ("POST", "/v1/tickets"),
    ("GET", "/v1/tickets/{ticket_id}"),
    ("POST", "/v1/tickets/{ticket_id}/messages"),
)

_EVERYONE = frozenset(STAFF_GROUPS)
_AGENTS = frozenset({SUPPORT, FINANCE, ADMIN})  # who answers customers and works ticket queues

# Staff side: Cognito User Pools authorizer; (method, route) -> the groups that may call it.
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
