"""The Stripe adapter on the real `stripe` SDK, its HTTP answered by constructed responses shaped as
Stripe's (the refund object from tests/data/stripe, Stripe's own example): no network. Asserts on
what the SDK sends (amount, charge or payment intent, metadata, Idempotency-Key header) and on
how each answer maps onto the port."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import stripe

from boomerang.payments.port import PaymentConfigurationError, PaymentProviderUnavailable, RefundRefused
from boomerang.payments.stripe_payments import StripePayments
from boomerang.services.workflow import refund_key
from tests.unit.test_refund_amounts import a_return, usd

REFUND = json.loads((Path(__file__).parents[1] / "data" / "stripe" / "fixtures3_subset.json").read_text())[
    "refund"
]


class ScriptedStripe(stripe.HTTPClient):
    """Answers each request with the next scripted (status, body) and records what was sent."""

    name = "scripted"

    def __init__(self, *answers: tuple[int, dict[str, Any]]):
        super().__init__()
        self.answers = list(answers)
        self.sent: list[dict[str, Any]] = []

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: Any = None,
    ) -> tuple[str, int, Mapping[str, str]]:
        form = parse_qs(post_data.decode() if isinstance(post_data, bytes) else (post_data or ""))
        self.sent.append({"method": method, "url": url, "headers": dict(headers or {}), "form": form})
        status, body = self.answers.pop(0)
        return json.dumps(body), status, {"Request-Id": f"req_{len(self.sent)}"}

    def close(self) -> None:
        pass


def refund_body(**changes: Any) -> dict[str, Any]:
    return {**REFUND, "amount": 4000, "currency": "usd", "status": "pending", "id": "re_3Test", **changes}


def stripe_error(code: str, kind: str = "invalid_request_error") -> dict[str, Any]:
    return {"error": {"type": kind, "code": code, "message": f"{code} (constructed)"}}


def adapter(http: ScriptedStripe) -> StripePayments:
    return StripePayments.with_key("sk_test_constructed", http_client=http, max_network_retries=0)


def test_a_refund_sends_amount_charge_metadata_and_the_idempotency_key() -> None:
    http = ScriptedStripe((200, refund_body()))
    ret = a_return(("L1", 4000, "defective"))
    refund = adapter(http).refund(ret, usd(4000), refund_key(ret.rma, 1), "ch_1PgafuB7WZ01zgkWXYmPNZs8")
    sent = http.sent[0]
    assert sent["method"] == "post" and sent["url"] == "https://api.stripe.com/v1/refunds"
    assert sent["form"]["amount"] == ["4000"]
    assert sent["form"]["charge"] == ["ch_1PgafuB7WZ01zgkWXYmPNZs8"] and "payment_intent" not in sent["form"]
    assert sent["form"]["metadata[rma]"] == [ret.rma]
    assert sent["form"]["metadata[currency]"] == ["USD"]
    assert sent["headers"]["Idempotency-Key"] == f"boomerang:{ret.rma}:refund:1"
    assert sent["headers"]["Authorization"] == "Bearer sk_test_constructed"
    assert refund.reference == "re_3Test" and refund.status == "pending" and refund.amount == usd(4000)


def test_a_payment_intent_is_refunded_as_one_and_a_partial_amount_in_minor_units() -> None:
    http = ScriptedStripe((200, refund_body(amount=1234)))
    ret = a_return(("L1", 4000, "defective"))
    refund = adapter(http).refund(ret, usd(1234), refund_key(ret.rma, 2), "pi_3PgafuB7WZ01zgkW")
    assert http.sent[0]["form"]["payment_intent"] == ["pi_3PgafuB7WZ01zgkW"]
    assert http.sent[0]["form"]["amount"] == ["1234"]
    assert http.sent[0]["headers"]["Idempotency-Key"].endswith(":refund:2")
    assert refund.amount == usd(1234)


def test_the_same_key_twice_sends_the_same_key() -> None:
    http = ScriptedStripe((200, refund_body()), (200, refund_body()))
    ret = a_return(("L1", 4000, "defective"))
    for _ in range(2):
        adapter(http).refund(ret, usd(4000), refund_key(ret.rma, 1), "ch_1")
    assert {s["headers"]["Idempotency-Key"] for s in http.sent} == {refund_key(ret.rma, 1)}


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (429, stripe_error("rate_limit", "invalid_request_error"), PaymentProviderUnavailable),
        (500, {"error": {"type": "api_error", "message": "boom"}}, PaymentProviderUnavailable),
        (503, {"error": {"type": "api_error", "message": "down"}}, PaymentProviderUnavailable),
        (
            401,
            {"error": {"type": "invalid_request_error", "message": "Invalid API Key"}},
            PaymentConfigurationError,
        ),
        (
            403,
            {"error": {"type": "invalid_request_error", "message": "restricted"}},
            PaymentConfigurationError,
        ),
        (400, stripe_error("idempotency_key_in_use", "idempotency_error"), PaymentConfigurationError),
        (400, stripe_error("parameter_missing"), PaymentConfigurationError),
    ],
)
def test_provider_errors_map_onto_the_port(status: int, body: dict[str, Any], error: type[Exception]) -> None:
    http = ScriptedStripe((status, body))
    with pytest.raises(error):
        adapter(http).refund(a_return(("L1", 4000, "defective")), usd(4000), "k", "ch_1")


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("payment_method_unusable", "payment_method_unusable"),
        ("charge_disputed", "charge_disputed"),
        ("charge_already_refunded", "charge_already_refunded"),
        ("charge_expired_for_refund", "charge_expired_for_refund"),
    ],
)
def test_refusals_carry_their_catalogue_reason(code: str, reason: str) -> None:
    http = ScriptedStripe((400, stripe_error(code)))
    with pytest.raises(RefundRefused) as refused:
        adapter(http).refund(a_return(("L1", 4000, "defective")), usd(4000), "k", "ch_1")
    assert refused.value.reason == reason


def test_an_answer_in_another_currency_is_a_configuration_error() -> None:
    http = ScriptedStripe((200, refund_body(currency="eur")))
    with pytest.raises(PaymentConfigurationError):
        adapter(http).refund(a_return(("L1", 4000, "defective")), usd(4000), "k", "ch_1")


def test_an_order_without_a_payment_is_refused_without_a_request() -> None:
    http = ScriptedStripe()
    with pytest.raises(RefundRefused) as refused:
        adapter(http).refund(a_return(("L1", 4000, "defective")), usd(4000), "k", None)
    assert refused.value.reason == "no_payment_reference" and http.sent == []


def test_a_timeout_is_retryable() -> None:
    class TimingOut(ScriptedStripe):
        def request(self, *args: Any, **kwargs: Any) -> tuple[str, int, Mapping[str, str]]:
            raise stripe.APIConnectionError("Request timed out", should_retry=True)

    with pytest.raises(PaymentProviderUnavailable):
        adapter(TimingOut()).refund(a_return(("L1", 4000, "defective")), usd(4000), "k", "ch_1")
