"""A dearer replacement's difference through Stripe Checkout, on the real `stripe` SDK, its HTTP
answered by constructed replies shaped on Stripe's own `checkout.session` example
(tests/data/stripe/fixtures3_subset.json, from stripe/openapi fixtures3.json): what the SDK sends
(mode=payment, the amount as one price_data line, the RMA in the metadata, the idempotency key),
and how the session's states map onto the port's open / paid / expired."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from boomerang.payments.port import PURPOSE, PaymentConfigurationError, PaymentRequest
from boomerang.services.workflow.difference import payment_key
from tests.unit.test_refund_amounts import a_return, usd
from tests.unit.test_stripe_adapter import ScriptedStripe, adapter, stripe_error

SESSION = json.loads((Path(__file__).parents[1] / "data" / "stripe" / "fixtures3_subset.json").read_text())[
    "checkout.session"
]


def session(**changes: Any) -> dict[str, Any]:
    return {**SESSION, "amount_total": 1000, "amount_subtotal": 1000, "currency": "usd", **changes}


def request(rma: str) -> PaymentRequest:
    return PaymentRequest(
        amount=usd(1000),
        idempotency_key=payment_key(rma),
        return_url=f"https://returns.example.com/acme/returns/{rma}",
        description=f"Exchange {rma}: the replacement's price difference",
        customer_email="jane@example.com",
    )


def test_a_session_is_asked_once_per_return_with_the_difference_and_the_rma() -> None:
    http = ScriptedStripe((200, session()))
    ret = a_return(("L1", 4000, "size_too_small"))
    payment = adapter(http).request_payment(ret, request(ret.rma))
    sent = http.sent[0]
    assert sent["method"] == "post" and sent["url"] == "https://api.stripe.com/v1/checkout/sessions"
    form = sent["form"]
    assert form["mode"] == ["payment"]
    assert form["line_items[0][price_data][unit_amount]"] == ["1000"]
    assert form["line_items[0][price_data][currency]"] == ["usd"]
    assert form["line_items[0][quantity]"] == ["1"]
    assert form["metadata[rma]"] == [ret.rma] and form["metadata[purpose]"] == [PURPOSE]
    assert form["payment_intent_data[metadata][rma]"] == [ret.rma]
    assert form["client_reference_id"] == [ret.rma]
    assert form["success_url"] == [f"https://returns.example.com/acme/returns/{ret.rma}"]
    assert form["customer_email"] == ["jane@example.com"]
    assert sent["headers"]["Idempotency-Key"] == f"boomerang:{ret.rma}:exchange-difference"
    assert payment.provider == "stripe" and payment.reference == SESSION["id"]
    assert payment.url == SESSION["url"] and payment.status == "open" and payment.amount == usd(1000)


def test_a_session_of_another_amount_is_refused() -> None:
    http = ScriptedStripe((200, session(amount_total=999)))
    ret = a_return(("L1", 4000, "size_too_small"))
    with pytest.raises(PaymentConfigurationError):
        adapter(http).request_payment(ret, request(ret.rma))


def test_states_open_paid_expired() -> None:
    http = ScriptedStripe(
        (200, session()),
        (200, session(status="complete", payment_status="paid")),
        (200, session(status="expired")),
    )
    stripe = adapter(http)
    assert [stripe.payment_state(SESSION["id"]) for _ in range(3)] == ["open", "paid", "expired"]
    assert http.sent[0]["url"] == f"https://api.stripe.com/v1/checkout/sessions/{SESSION['id']}"


def test_closing_an_open_session_expires_it_and_a_paid_one_stays_paid() -> None:
    http = ScriptedStripe((200, session()), (200, session(status="expired")))
    assert adapter(http).close_payment(SESSION["id"]) == "expired"
    assert http.sent[1]["url"].endswith(f"/v1/checkout/sessions/{SESSION['id']}/expire")
    paid = ScriptedStripe((200, session(status="complete", payment_status="paid")))
    assert adapter(paid).close_payment(SESSION["id"]) == "paid" and len(paid.sent) == 1
    # Paid between the read and the expiry: Stripe refuses to expire a complete session.
    raced = ScriptedStripe(
        (200, session()),
        (400, stripe_error("checkout_session_not_expirable")),
        (200, session(status="complete", payment_status="paid")),
    )
    assert adapter(raced).close_payment(SESSION["id"]) == "paid"
