"""The Shopify and PayPal payment adapters over HTTP, against replies recorded from the providers'
public references (tests/data/shopify/README.md, tests/data/paypal/README.md): what each sends
(the idempotency key, the amount, the parent transaction, the timeouts) and how each answer maps
onto the port. No network: a transport adapter on the `requests` session answers."""

from __future__ import annotations

from typing import Any

import pytest

from boomerang.domain.money import Money
from boomerang.payments.paypal import PayPalCredentials, PayPalPayments
from boomerang.payments.port import PaymentConfigurationError, PaymentProviderUnavailable, RefundRefused
from boomerang.payments.shopify_admin import ShopifyAdminCredentials, ShopifyPayments
from boomerang.timeouts import PAYPAL, SHOPIFY
from tests.unit.cassettes import CassetteAdapter, replaying_session
from tests.unit.test_refund_amounts import a_return, usd

ORDER = "gid://shopify/Order/734509473"
KEY = "boomerang:K7Q-4M2-XAC:refund:1"


def shopify(*cassettes: str, api_version: str = "2026-01") -> tuple[ShopifyPayments, CassetteAdapter]:
    session, adapter = replaying_session("shopify", *cassettes)
    creds = ShopifyAdminCredentials(
        shop_domain="boomerang-demo.myshopify.com",
        access_token="shpat_not_a_real_token",
        api_version=api_version,
    )
    return ShopifyPayments(creds, session), adapter


def test_a_shopify_order_is_refunded_with_money_only_against_its_sale_once_per_key() -> None:
    payments, http = shopify("refund_create")
    ret = a_return(("L1", 3900, "defective"))
    refund = payments.refund(ret, usd(3900), KEY, ORDER)

    query, mutation = http.sent
    assert query.url == "https://boomerang-demo.myshopify.com/admin/api/2026-01/graphql.json"
    assert query.headers["X-Shopify-Access-Token"] == "shpat_not_a_real_token"
    assert query.body["variables"] == {"id": ORDER}
    sent = mutation.body
    assert "@idempotent(key: $idempotencyKey)" in sent["query"]
    assert sent["variables"]["idempotencyKey"] == KEY
    given = sent["variables"]["input"]
    assert given["orderId"] == ORDER and given["currency"] == "USD" and given["notify"] is False
    assert KEY in given["note"] and "refundLineItems" not in given
    assert given["transactions"] == [
        {
            "orderId": ORDER,
            "parentId": "gid://shopify/OrderTransaction/723599266",
            "gateway": "shopify_payments",
            "kind": "REFUND",
            "amount": "39.00",
        }
    ]
    # Every request has a timeout: 3 s to connect, the budget's to read.
    assert http.timeouts == [(3.0, SHOPIFY.timeout_seconds)] * 2
    assert refund.reference == "gid://shopify/Refund/929361462"
    assert refund.status == "succeeded" and refund.provider == "shopify" and refund.amount == usd(3900)


def test_an_earlier_try_that_landed_is_answered_without_asking_shopify_again() -> None:
    # 2025-07 has no @idempotent directive: the note's key is the claim.
    payments, http = shopify("refund_already_made", api_version="2025-07")
    refund = payments.refund(a_return(("L1", 3900, "defective")), usd(3900), KEY, ORDER)
    assert len(http.sent) == 1
    assert refund.reference == "gid://shopify/Refund/929361462"


def test_older_api_versions_get_no_directive() -> None:
    payments, http = shopify("refund_create", api_version="2025-07")
    http.recorded = [
        {**i, "request": {**i["request"], "uri": i["request"]["uri"].replace("2026-01", "2025-07")}}
        for i in http.recorded
    ]
    payments.refund(a_return(("L1", 3900, "defective")), usd(3900), KEY, ORDER)
    assert "@idempotent" not in http.sent[1].body["query"]
    assert "idempotencyKey" not in http.sent[1].body["variables"]


def test_a_pending_gateway_refund_stays_pending() -> None:
    payments, _ = shopify("refund_pending")
    assert payments.refund(a_return(("L1", 3900, "defective")), usd(3900), KEY, ORDER).status == "pending"


@pytest.mark.parametrize(
    ("cassette", "error", "reason"),
    [
        ("refund_nothing_left", RefundRefused, "charge_already_refunded"),
        ("refund_user_errors", RefundRefused, "charge_already_refunded"),
        ("throttled", PaymentProviderUnavailable, None),
        ("refund_timeout", PaymentProviderUnavailable, None),
        ("unauthorized", PaymentConfigurationError, None),
        ("order_not_found", PaymentConfigurationError, None),
    ],
)
def test_shopify_answers_map_onto_the_port(cassette: str, error: type[Exception], reason: str | None) -> None:
    payments, http = shopify(cassette)
    with pytest.raises(error) as raised:
        payments.refund(a_return(("L1", 3900, "defective")), usd(3900), KEY, ORDER)
    if reason:
        assert getattr(raised.value, "reason", None) == reason
    # Neither the token nor anything personal travels in the message.
    assert "shpat_" not in str(raised.value)
    if cassette == "refund_nothing_left":
        assert len(http.sent) == 1  # refused before asking for the refund


def test_a_shopify_order_in_another_currency_is_a_configuration_error() -> None:
    payments, _ = shopify("refund_create")
    with pytest.raises(PaymentConfigurationError, match="USD"):
        payments.refund(a_return(("L1", 3900, "defective")), Money(amount=3900, currency="EUR"), KEY, ORDER)


# --- PayPal ------------------------------------------------------------------------------------

CAPTURE = "9BT885563M275774M"


def paypal(*cassettes: str) -> tuple[PayPalPayments, CassetteAdapter]:
    session, adapter = replaying_session("paypal", *cassettes)
    creds = PayPalCredentials(client_id="client-id-not-real", client_secret="client-secret-not-real")
    return PayPalPayments(creds, session), adapter


def test_a_paypal_capture_is_refunded_through_the_server_sdk_with_its_request_id() -> None:
    payments, http = paypal("capture_refund")
    refund = payments.refund(a_return(("L1", 1000, "defective")), usd(1000), KEY, CAPTURE)
    token, asked = http.sent
    assert token.url == "https://api-m.paypal.com/v1/oauth2/token"
    assert token.body == {"grant_type": ["client_credentials"]}
    assert token.headers["Authorization"].startswith("Basic ")
    assert asked.url == f"https://api-m.paypal.com/v2/payments/captures/{CAPTURE}/refund"
    assert asked.headers["PayPal-Request-Id"] == KEY
    # The token from PayPal's recorded /v1/oauth2/token reply.
    assert asked.headers["Authorization"].startswith("Bearer A21AAFEpH4PsADK7qSS7pSRsgzfENtu")
    assert asked.body["amount"] == {"currency_code": "USD", "value": "10.00"}
    assert asked.body["custom_id"] == KEY
    assert all(t is not None for t in http.timeouts)
    assert refund.reference == "55105082X5896632E" and refund.status == "succeeded"
    assert refund.provider == "paypal" and refund.amount == usd(1000)


def test_a_pending_paypal_refund_stays_pending() -> None:
    payments, _ = paypal("capture_refund_pending")
    assert payments.refund(a_return(("L1", 1000, "defective")), usd(1000), KEY, CAPTURE).status == "pending"


@pytest.mark.parametrize(
    ("cassette", "error", "reason"),
    [
        ("capture_fully_refunded", RefundRefused, "charge_already_refunded"),
        ("capture_refund_server_error", PaymentProviderUnavailable, None),
        ("capture_refund_unauthorized", PaymentConfigurationError, None),
    ],
)
def test_paypal_answers_map_onto_the_port(cassette: str, error: type[Exception], reason: str | None) -> None:
    payments, _ = paypal(cassette)
    with pytest.raises(error) as raised:
        payments.refund(a_return(("L1", 1000, "defective")), usd(1000), KEY, CAPTURE)
    if reason:
        assert getattr(raised.value, "reason", None) == reason
    assert "client-secret-not-real" not in str(raised.value)


PAYOUT_KEY = "boomerang:K7Q-4M2-XAC:refund:2"


def test_pay_by_paypal_sends_a_payout_to_the_customers_paypal_account() -> None:
    payments, http = paypal("payout_create")
    paid = payments.payout(
        a_return(("L1", 3900, "defective")), usd(3900), PAYOUT_KEY, "customer@example.com", "Demo"
    )
    _, asked = http.sent
    assert asked.url == "https://api-m.paypal.com/v1/payments/payouts"
    assert asked.headers["PayPal-Request-Id"] == PAYOUT_KEY
    header: dict[str, Any] = asked.body["sender_batch_header"]
    assert header["sender_batch_id"] == PAYOUT_KEY
    (item,) = asked.body["items"]
    assert item["receiver"] == "customer@example.com" and item["recipient_type"] == "EMAIL"
    assert item["amount"] == {"value": "39.00", "currency": "USD"}
    assert http.timeouts == [(3.0, PAYPAL.timeout_seconds)] * 2
    assert (paid.reference, paid.status, paid.paid_via) == ("2Z5XNN84MKN76", "pending", "paypal")


def test_a_repeated_payout_key_answers_the_first_batch_and_pays_nothing_more() -> None:
    payments, http = paypal("payout_duplicate")
    paid = payments.payout(
        a_return(("L1", 3900, "defective")), usd(3900), PAYOUT_KEY, "customer@example.com", "Demo"
    )
    assert [(s.method, s.url.rsplit("/", 1)[-1]) for s in http.sent] == [
        ("POST", "token"),
        ("POST", "payouts"),
        ("GET", "2Z5XNN84MKN76"),
    ]
    assert (paid.reference, paid.status) == ("2Z5XNN84MKN76", "succeeded")


def test_a_payout_the_balance_cannot_cover_is_refused() -> None:
    payments, _ = paypal("payout_insufficient_funds")
    with pytest.raises(RefundRefused) as refused:
        payments.payout(
            a_return(("L1", 3900, "defective")), usd(3900), PAYOUT_KEY, "customer@example.com", "Demo"
        )
    assert refused.value.reason == "insufficient_funds"
