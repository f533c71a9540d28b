"""The payments port for every shop (boomerang.payments.router): the adapter per order from where
its money was taken, the shop's own credentials from Secrets Manager (moto), the sandbox only for a
shop in test mode, and a clear refusal where there is nothing to refund through."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from boomerang.credentials import CredentialsError, ShopCredentials
from boomerang.domain.payment_sources import Provider
from boomerang.domain.providers import Mode, ProviderSettings
from boomerang.payments.port import PaymentConfigurationError, RefundRefused
from boomerang.payments.router import PaymentsRouter
from boomerang.payments.shopify_admin import ShopifyAdminCredentials
from tests.unit.cassettes import replaying_session
from tests.unit.test_refund_amounts import a_return, usd
from tests.unit.test_stripe_adapter import ScriptedStripe, refund_body

KEY = "boomerang:K7Q-4M2-XAC:refund:1"
LIVE = ProviderSettings()
TEST = ProviderSettings(mode=Mode.TEST)


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # In-process moto, whatever a local stack started by other tests pointed boto3 at.
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        yield client


def put(client: Any, name: str, value: dict[str, str]) -> None:
    client.create_secret(Name=name, SecretString=json.dumps(value))


def router(
    settings: ProviderSettings = LIVE, sessions: dict[Provider, Any] | None = None, **kwargs: Any
) -> PaymentsRouter:
    # No cache: each test's secrets are new.
    return PaymentsRouter(
        lambda _shop: settings,
        ShopCredentials(cache_seconds=0),
        sessions=lambda provider: (sessions or {}).get(provider),
        **kwargs,
    )


@pytest.mark.parametrize("reference", [None, "", "1001", "gid://shopify/Customer/5"])
def test_no_usable_reference_is_refused_even_in_test_mode(reference: str | None) -> None:
    for settings in (LIVE, TEST):
        with pytest.raises(RefundRefused) as refused:
            router(settings).refund(a_return(("L1", 3900, "defective")), usd(3900), KEY, reference)
        assert refused.value.reason == "no_payment_reference"


def test_a_shop_in_test_mode_refunds_through_the_sandbox_explicitly() -> None:
    refund = router(TEST).refund(a_return(("L1", 3900, "defective")), usd(3900), KEY, "pi_3MtwBwLkdIwHu7ix")
    assert refund.provider == "sandbox" and refund.status == "pending"
    paid = router(TEST).payout(a_return(("L1", 3900, "defective")), usd(3900), KEY, "a@example.com", "Demo")
    assert paid.provider == "sandbox" and paid.paid_via == "paypal" and paid.status == "succeeded"


def test_a_shopify_order_goes_to_shopify_with_the_shops_admin_token(secrets: Any) -> None:
    put(
        secrets,
        "boomerang/demo/shopify-admin",
        {"shop_domain": "boomerang-demo.myshopify.com", "access_token": "shpat_demo_token_x"},
    )
    session, http = replaying_session("shopify", "refund_create")
    refund = router(sessions={Provider.SHOPIFY: session}).refund(
        a_return(("L1", 3900, "defective")), usd(3900), KEY, "gid://shopify/Order/734509473"
    )
    assert refund.provider == "shopify" and refund.reference == "gid://shopify/Refund/929361462"
    assert http.sent[0].headers["X-Shopify-Access-Token"] == "shpat_demo_token_x"


def test_a_payment_intent_goes_to_stripe_with_the_shops_key(secrets: Any) -> None:
    put(secrets, "boomerang/demo/stripe", {"api_key": "sk_test_demo_shop_key"})
    http = ScriptedStripe((200, refund_body(amount=3900)))
    refund = router(stripe_http_client=http).refund(
        a_return(("L1", 3900, "defective")), usd(3900), KEY, "pi_3MtwBwLkdIwHu7ix28a3tqPa"
    )
    sent = http.sent[0]
    assert sent["form"]["payment_intent"] == ["pi_3MtwBwLkdIwHu7ix28a3tqPa"] and "charge" not in sent["form"]
    assert sent["headers"]["Authorization"] == "Bearer sk_test_demo_shop_key"
    assert sent["headers"]["Idempotency-Key"] == KEY
    assert refund.provider == "stripe"


def test_without_its_own_stripe_key_a_shop_uses_the_deployments(secrets: Any) -> None:
    put(secrets, "stack/stripe", {"api_key": "rk_live_deployment_key", "webhook_secret": "whsec_x"})
    http = ScriptedStripe((200, refund_body(amount=3900)))
    router(deployment_stripe_secret="stack/stripe", stripe_http_client=http).refund(
        a_return(("L1", 3900, "defective")), usd(3900), KEY, "ch_1PgafuB7WZ01zgkWXYmPNZs8"
    )
    assert http.sent[0]["headers"]["Authorization"] == "Bearer rk_live_deployment_key"
    assert http.sent[0]["form"]["charge"] == ["ch_1PgafuB7WZ01zgkWXYmPNZs8"]


def test_a_live_shop_never_falls_back_to_the_sandbox(secrets: Any) -> None:
    put(secrets, "stack/stripe", {"api_key": "sandbox", "webhook_secret": "whsec_x"})
    with pytest.raises(PaymentConfigurationError, match="test mode"):
        router(deployment_stripe_secret="stack/stripe").refund(
            a_return(("L1", 3900, "defective")), usd(3900), KEY, "pi_3MtwBwLkdIwHu7ix"
        )


@pytest.mark.parametrize(
    ("reference", "secret"),
    [
        ("gid://shopify/Order/734509473", "boomerang/demo/shopify-admin"),
        ("paypal:9BT885563M275774M", "boomerang/demo/paypal"),
        ("pi_3MtwBwLkdIwHu7ix", "boomerang/demo/stripe"),
    ],
)
def test_a_missing_secret_names_the_secret_to_create(secrets: Any, reference: str, secret: str) -> None:
    with pytest.raises(PaymentConfigurationError) as failed:
        router().refund(a_return(("L1", 3900, "defective")), usd(3900), KEY, reference)
    assert secret in str(failed.value) and "does not exist" in str(failed.value)


def test_a_malformed_secret_is_refused_without_echoing_it(secrets: Any) -> None:
    put(
        secrets,
        "boomerang/demo/shopify-admin",
        {"shop_domain": "not a domain", "access_token": "shpat_SECRET"},
    )
    with pytest.raises(PaymentConfigurationError) as failed:
        router().refund(a_return(("L1", 3900, "defective")), usd(3900), KEY, "gid://shopify/Order/1")
    assert "shpat_SECRET" not in str(failed.value) and "not the expected JSON" in str(failed.value)


def test_a_paypal_capture_goes_to_paypal_without_its_prefix(secrets: Any) -> None:
    put(
        secrets,
        "boomerang/demo/paypal",
        {"client_id": "client-id-demo", "client_secret": "client-secret-demo"},
    )
    session, http = replaying_session("paypal", "capture_refund")
    refund = router(sessions={Provider.PAYPAL: session}).refund(
        a_return(("L1", 1000, "defective")), usd(1000), KEY, "paypal:9BT885563M275774M"
    )
    assert http.sent[1].url.endswith("/v2/payments/captures/9BT885563M275774M/refund")
    assert refund.provider == "paypal"


def test_credentials_say_whether_the_secret_is_missing(secrets: Any) -> None:
    with pytest.raises(CredentialsError) as missing:
        ShopCredentials(cache_seconds=0).read("demo", "shopify-admin", ShopifyAdminCredentials)
    assert missing.value.missing and missing.value.name == "boomerang/demo/shopify-admin"
