"""Stripe as synthesized: the secret, POST /webhooks/stripe and its function, the refund path's
access to the secret, and the state machine retrying the resolve step on a provider outage."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.conftest import Synthesized
from tests.infra.test_workflow_infra import definition  # noqa: F401 (a fixture)


def _arn(logical_id: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


@pytest.fixture(scope="module")
def stripe_secret(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    found = [
        (key, r["Properties"])
        for key, r in synthesized.of_type("AWS::SecretsManager::Secret").items()
        if "api_key" in json.dumps(r["Properties"].get("GenerateSecretString"))
    ]
    assert len(found) == 1
    return found[0]


def _function(synthesized: Synthesized, description: str) -> tuple[str, dict[str, Any]]:
    found = [
        (key, r["Properties"])
        for key, r in synthesized.of_type("AWS::Lambda::Function").items()
        if r["Properties"].get("Description") == description
    ]
    assert len(found) == 1, description
    return found[0]


def _secret_readers(synthesized: Synthesized, secret_id: str) -> set[str]:
    """Functions whose role may read the secret."""
    readers = set()
    for r in synthesized.of_type("AWS::Lambda::Function").values():
        for st in synthesized.role_statements(r["Properties"]):
            resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
            if {"Ref": secret_id} in resources:
                assert st["Action"] == "secretsmanager:GetSecretValue"
                readers.add(r["Properties"]["Description"])
    return readers


def test_the_secret_starts_unset_with_a_generated_webhook_secret(
    stripe_secret: tuple[str, dict[str, Any]],
) -> None:
    _, props = stripe_secret
    generated = props["GenerateSecretString"]
    assert json.loads(generated["SecretStringTemplate"]) == {"api_key": "unset"}
    assert generated["GenerateStringKey"] == "webhook_secret"


def test_the_webhook_route_proxies_to_its_own_function(synthesized: Synthesized) -> None:
    function_id, props = _function(
        synthesized, "Boomerang Stripe webhooks (refund settlement, failures, disputes)"
    )
    method = synthesized.api_methods()[("POST", "/webhooks/stripe")]
    assert method["AuthorizationType"] == "NONE"  # Stripe signs; the function verifies
    assert method["Integration"]["Type"] == "AWS_PROXY"
    assert json.dumps(_arn(function_id)) in json.dumps(method["Integration"]["Uri"])
    env = props["Environment"]["Variables"]
    assert {"TABLE_NAME", "IDEMPOTENCY_TABLE_NAME", "STRIPE_SECRET_NAME", "STATE_MACHINE_ARN"} <= set(env)
    assert props["Code"] and props["Handler"] == "handler.handler"


def test_only_the_refund_paths_read_the_secret(
    synthesized: Synthesized, stripe_secret: tuple[str, dict[str, Any]]
) -> None:
    assert _secret_readers(synthesized, stripe_secret[0]) == {
        "Boomerang Stripe webhooks (refund settlement, failures, disputes)",
        "Boomerang return workflow: resolve",
        # A dearer replacement's Checkout Session, expired when the policy's time runs out.
        "Boomerang return workflow: expire",
        "Boomerang staff API (queues, review, warehouse scans, inspection)",
    }
    _, resolve = _function(synthesized, "Boomerang return workflow: resolve")
    assert "STRIPE_SECRET_NAME" in resolve["Environment"]["Variables"]
    _, decide = _function(synthesized, "Boomerang return workflow: decide")
    assert "STRIPE_SECRET_NAME" not in decide["Environment"]["Variables"]


def test_resolve_retries_provider_outages_with_backoff(definition: dict[str, Any]) -> None:  # noqa: F811
    resolve = definition["States"]["Resolve"]
    outage = [r for r in resolve["Retry"] if "PaymentProviderUnavailable" in r["ErrorEquals"]]
    # A second invocation that finds the attempt claimed asks again later (services/workflow/payment.py).
    assert "PaymentInProgress" in outage[0]["ErrorEquals"]
    assert outage and outage[0]["BackoffRate"] == 2 and outage[0]["MaxAttempts"] >= 3
    resolved = definition["States"]["Resolved"]
    branches = {c["StringEquals"]: c["Next"] for c in resolved["Choices"]}
    assert branches["refund_failed"] == "Notify refund failed"
    # A dearer replacement: the customer is told the link, then the workflow waits for the payment.
    assert branches["awaiting_payment"] == "Notify payment due"
    assert definition["States"]["Notify payment due"]["Next"] == "Await payment"
    caught = {c["ErrorEquals"][0]: c["Next"] for c in definition["States"]["Await payment"]["Catch"]}
    assert caught["States.Timeout"] == "Expire difference payment"
    assert definition["States"]["Expire difference payment"]["Next"] == "Resolve"
    assert definition["States"]["Await payment"]["Next"] == "Resolve"
    assert branches["refunded"].startswith("Notify resolved")


def test_no_function_sends_payments_anywhere_but_the_providers(synthesized: Synthesized) -> None:
    # PAYMENT_ENDPOINTS (boomerang.payments.factory) is the local stack's, for its fakes: never deployed.
    for r in synthesized.of_type("AWS::Lambda::Function").values():
        variables = (r["Properties"].get("Environment") or {}).get("Variables") or {}
        assert "PAYMENT_ENDPOINTS" not in variables, r["Properties"].get("Description")
    # The refund paths read each shop's provider secrets under the prefix the router reads.
    _, resolve = _function(synthesized, "Boomerang return workflow: resolve")
    assert resolve["Environment"]["Variables"]["SHOP_SECRETS_PREFIX"] == "boomerang/"
