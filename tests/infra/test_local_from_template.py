"""The local stack reads the template as production deploys it: every route, function and table."""

from __future__ import annotations

from pathlib import Path

from boomerang.api.routes import (
    ADMIN_ROUTES,
    CARRIER_WEBHOOK_ROUTES,
    DOCS_ROUTES,
    SHOPIFY_WEBHOOK_ROUTES,
    STOREFRONT_ROUTES,
    TICKET_ADMIN_ROUTES,
    TICKET_ROUTES,
)
from local.from_template import function_specs, route_specs, table_specs
from local.tables import idempotency_table, main_table
from tests.infra.conftest import Synthesized

ROOT = Path(__file__).resolve().parents[2]


def test_routes_are_the_apis_routes_with_their_authorizers(synthesized: Synthesized) -> None:
    template = synthesized.template.to_json()
    routes = route_specs(template)
    from infra.cdk.constructs.outbound_webhooks import ROUTES as WEBHOOK_ROUTES

    staff = set(ADMIN_ROUTES) | set(TICKET_ADMIN_ROUTES) | {(r.method, r.path) for r in WEBHOOK_ROUTES}
    public = set(STOREFRONT_ROUTES) | set(TICKET_ROUTES) | set(CARRIER_WEBHOOK_ROUTES) | set(DOCS_ROUTES)
    webhooks = set(SHOPIFY_WEBHOOK_ROUTES) | {("POST", "/webhooks/stripe")}
    assert {(r.method, r.path) for r in routes} == public | webhooks | staff
    assert {(r.method, r.path) for r in routes if r.cognito} == staff


def test_every_function_names_a_module_and_handler_that_exist(synthesized: Synthesized) -> None:
    specs = function_specs(synthesized.template.to_json())
    assert len(specs) >= 11
    for spec in specs.values():
        path = ROOT / (spec.module.replace(".", "/") + ".py")
        assert path.exists(), spec
        assert f"def {spec.attribute}(" in path.read_text(), spec


def test_tables_are_created_as_the_template_defines_them(synthesized: Synthesized) -> None:
    specs = table_specs(synthesized.template.to_json(), "Boomerang")
    created = sorted((s["create"] for s in specs.values()), key=lambda s: len(s["KeySchema"]))
    for made, expected in zip(created, [idempotency_table("x"), main_table("x")], strict=True):
        for key in ("KeySchema", "GlobalSecondaryIndexes"):
            assert made.get(key) == expected.get(key)
