"""POST /webhooks/shopify in the synthesized template: its own function behind a Lambda proxy,
no authorizer (the HMAC is checked in the function), and secrets read under the Shopify prefix only."""

from __future__ import annotations

import json
from typing import Any

import pytest

from boomerang.api.routes import SHOPIFY_WEBHOOK_ROUTES
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
def shopify_function(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    return synthesized.function("webhooks_shopify")


def test_route_proxies_to_its_own_function(
    synthesized: Synthesized, shopify_function: tuple[str, dict[str, Any]]
) -> None:
    methods = synthesized.api_methods()
    method = methods[("POST", "/webhooks/shopify")]
    assert method["AuthorizationType"] == "NONE"
    assert method["Integration"]["Type"] == "AWS_PROXY"
    assert f'"{shopify_function[0]}"' in json.dumps(method["Integration"]["Uri"])
    assert ("POST", "/webhooks/shopify") in SHOPIFY_WEBHOOK_ROUTES  # the library's route table
    webhook_routes = {route for route in methods if route[1].startswith("/webhooks/shopify")}
    assert webhook_routes <= {("POST", "/webhooks/shopify"), ("OPTIONS", "/webhooks/shopify")}


def test_function_reads_only_shopify_secrets_and_the_table(
    synthesized: Synthesized, shopify_function: tuple[str, dict[str, Any]]
) -> None:
    props = shopify_function[1]
    variables = props["Environment"]["Variables"]
    assert set(variables) >= {"TABLE_NAME", "POWERTOOLS_SERVICE_NAME"}
    # No secret value in the environment: the function reads the shop's secret at run time.
    assert not any(
        "secret" in key.lower() and "name" not in key.lower() and "prefix" not in key.lower()
        for key in variables
    )
    statements = synthesized.role_statements(props)
    secret_statements = [s for s in statements if "secretsmanager:GetSecretValue" in json.dumps(s["Action"])]
    # The shops' app secrets, and (fulfillments/* webhooks) their tracking providers' keys only.
    assert secret_statements
    resources = json.dumps([s["Resource"] for s in secret_statements])
    assert "secret:boomerang/shopify/*" in resources
    assert "boomerang/*/17track-??????" in resources and "boomerang/*/aftership-??????" in resources
    assert resources.count("secret:") == 3
    actions = {
        a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert "dynamodb:Scan" not in actions
    assert metadata(synthesized, shopify_function[0]) == "functions/webhooks_shopify"


def metadata(synthesized: Synthesized, logical_id: str) -> str:
    return str(synthesized.resources[logical_id]["Metadata"]["boomerang:code"])
