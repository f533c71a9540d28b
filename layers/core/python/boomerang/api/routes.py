"""The storefront API's routes, in API Gateway's path syntax: the CDK stack creates exactly these."""

from __future__ import annotations

STOREFRONT_ROUTES: tuple[tuple[str, str], ...] = (
    ("POST", "/v1/orders"),
    ("POST", "/v1/sessions"),
    ("GET", "/v1/orders/{order_id}/eligibility"),
    ("POST", "/v1/returns"),
    ("GET", "/v1/returns/{rma}"),
    ("POST", "/v1/returns/{rma}/cancel"),
    ("GET", "/v1/policy"),
    ("GET", "/v1/openapi.json"),
)
