"""A dearer replacement (issue 17) through the real state machine (synthesized from the CDK app,
executed by moto), the task Lambdas, the storefront API and the Stripe webhook in-process on
DynamoDB Local. The customer pays the difference through a Stripe Checkout Session made by the real
`stripe` SDK, whose HTTP is answered by constructed replies shaped on Stripe's own `checkout.session`
and `refund` examples (tests/data/stripe); the payment's news is a signed `checkout.session.completed`
posted to the webhook handler. Unpaid in the policy's time, the session is expired at Stripe and
the exchange falls back to the policy's refund."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
from collections.abc import Iterator
from datetime import timedelta
from types import ModuleType
from typing import Any

import boto3
import pytest

from boomerang.auth.api_keys import hash_api_key
from boomerang.domain.models import Resolution, Wait
from boomerang.domain.policy import ExchangeTerms, Timeouts, default_policy
from boomerang.domain.providers import ProviderSettings
from boomerang.domain.status import ReturnStatus as S
from boomerang.payments.router import PaymentsRouter
from boomerang.services.workflow import ReturnWorkflow
from boomerang.store.records import Repository
from local.apigw_events import LambdaContext, rest_event
from local.demo.data import in_test_mode
from local.stepfunctions import LocalStepFunctions
from local.stripe_local import sample_event, stripe_signature
from tests.conftest import answer
from tests.integration.test_exchange_journeys import _product, _request, _stock, _told
from tests.integration.test_return_journeys import finished, flow, machine, waiting
from tests.unit.test_stripe_adapter import REFUND, ScriptedStripe
from tests.unit.test_stripe_checkout import SESSION, session

PAYS, LATE = "swapdearer", "swaplate"
KEYS = {PAYS: "bk_swapdearer_journey_key", LATE: "bk_swaplate_journey_key"}
WEBHOOK_SECRET = "whsec_test_constructed_for_these_tests"
SECRET_NAME = "boomerang/test/stripe"


class Credentials:
    """The shop's Stripe secret, as Secrets Manager would give it (a constructed test key)."""

    def read(self, shop: str, provider: str, model: Any) -> Any:
        return model.model_validate({"api_key": "sk_test_constructed"})

    def read_named(self, name: str, model: Any) -> Any:
        raise AssertionError("the shop has its own secret")

    def name(self, shop: str, provider: str) -> str:
        return f"boomerang/{shop}/{provider}"


@pytest.fixture(scope="module")
def shops(repo: Repository, machine: LocalStepFunctions) -> None:
    dearer = ExchangeTerms(dearer_replacements=True, unpaid_fallback=Resolution.REFUND)
    for shop, timeouts in ((PAYS, Timeouts()), (LATE, Timeouts(difference_payment=timedelta(seconds=2)))):
        repo.put_shop(shop, shop)
        repo.put_api_key(hash_api_key(KEYS[shop]), shop, "journeys")
        in_test_mode(repo, shop)  # sandbox labels; the payments are Stripe's (live_stripe below)
        policy = default_policy().model_copy(update={"version": 2, "exchanges": dearer, "timeouts": timeouts})
        repo.put_policy(shop, policy)


@pytest.fixture
def live_stripe(flow: ReturnWorkflow) -> Iterator[ScriptedStripe]:
    """The workflow's payments through the real Stripe SDK with the shop's key, answered by `http`."""
    http = ScriptedStripe()
    saved, saved_url = flow.payments, flow.portal_base_url
    flow.payments = PaymentsRouter(lambda shop: ProviderSettings(), Credentials(), stripe_http_client=http)
    flow.portal_base_url = "https://returns.example.com/"
    yield http
    flow.payments, flow.portal_base_url = saved, saved_url


@pytest.fixture(scope="module")
def webhook(local_aws: Any) -> Iterator[ModuleType]:
    client = boto3.client("secretsmanager")
    with contextlib.suppress(client.exceptions.ResourceExistsException):  # test_stripe_refunds' too
        client.create_secret(
            Name=SECRET_NAME,
            SecretString=json.dumps({"api_key": "sandbox", "webhook_secret": WEBHOOK_SECRET}),
        )
    os.environ["STRIPE_SECRET_NAME"] = SECRET_NAME
    try:
        yield importlib.import_module("functions.webhooks_stripe.handler")
    finally:
        os.environ.pop("STRIPE_SECRET_NAME", None)


def post(module: ModuleType, event: dict[str, Any]) -> tuple[int, Any]:
    body = json.dumps(event)
    headers = {"Stripe-Signature": stripe_signature(body, WEBHOOK_SECRET)}
    request = rest_event("POST", "/webhooks/stripe", resource="/webhooks/stripe", headers=headers, body=body)
    return answer(module.handler(request, LambdaContext(function_name="webhooks_stripe")))


def test_a_dearer_variant_is_paid_through_stripe_checkout_then_ordered(
    api: Any,
    repo: Repository,
    machine: LocalStepFunctions,
    flow: ReturnWorkflow,
    shops: None,
    live_stripe: ScriptedStripe,
    webhook: ModuleType,
) -> None:
    pid = _product(api, {"S": 1, "M": 3}, {"S": "20.00", "M": "30.00"}, key=KEYS[PAYS])
    ret = _request(api, pid, "20.00", "M", key=KEYS[PAYS])
    assert ret["status"] == "approved" and _stock(repo, pid, "M", PAYS) == (3, 1, 2)
    waiting(machine, repo, ret["rma"], Wait.CARRIER)
    live_stripe.answers.append((200, session()))
    flow.carrier_update(ret["rma"], S.DELIVERED, "carrier:test")  # $20 size return: resolved on delivery
    waiting(machine, repo, ret["rma"], Wait.PAYMENT)
    stored = repo.get_return(ret["rma"])[0]
    assert stored.status is S.REFUND_PENDING and stored.exchange is not None
    payment = stored.exchange.payment
    assert payment is not None and payment.status == "open" and payment.amount.amount == 1000
    assert payment.url == SESSION["url"] and payment.reference == SESSION["id"]
    sent = live_stripe.sent[0]
    assert sent["url"] == "https://api.stripe.com/v1/checkout/sessions"
    assert sent["form"]["line_items[0][price_data][unit_amount]"] == ["1000"]
    assert sent["form"]["success_url"] == [f"https://returns.example.com/{PAYS}/returns/{ret['rma']}"]
    assert sent["headers"]["Idempotency-Key"] == f"boomerang:{ret['rma']}:exchange-difference"
    assert "return.refund_pending.payment_due" in _told(repo, ret["rma"])
    status, view = api.call("GET", f"/v1/returns/{ret['rma']}", api_key=KEYS[PAYS])
    assert status == 200 and view["exchange"]["payment"] == {
        "provider": "stripe", "url": SESSION["url"], "amount": {"amount": "10.00", "currency": "USD"},
        "status": "open",
    }  # fmt: skip
    timeline = repo.get_return(ret["rma"])[1]
    told = [e.message for e in timeline if e.event == "customer.notified.refund_pending"]
    assert told == ["Customer told (en): Pay the difference for your replacement (" + ret["rma"] + ")"]
    # The customer pays: Stripe posts checkout.session.completed.
    paid = sample_event("checkout.session.completed", ret["rma"], event_id=f"evt_paid_{ret['rma']}")
    paid["data"]["object"] |= {"id": SESSION["id"], "amount_total": 1000}
    status, out = post(webhook, paid)
    assert status == 200 and out["result"] == "refund_pending", out
    waiting(machine, repo, ret["rma"], Wait.FULFILMENT)
    stored = repo.get_return(ret["rma"])[0]
    assert stored.status is S.EXCHANGED and stored.exchange is not None
    assert stored.exchange.payment is not None and stored.exchange.payment.status == "paid"
    assert _stock(repo, pid, "M", PAYS) == (2, 0, 2)
    ordered = [e for e in repo.outbox_events(ret["rma"]) if e["type"] == "exchange.order_requested"]
    assert len(ordered) == 1 and ordered[0]["data"]["amount_due"] == 1000
    assert "return.exchanged.paid" in _told(repo, ret["rma"])
    assert len(live_stripe.sent) == 1  # no refund: nothing is paid back
    # The same event again gets its first answer; another event of the same payment changes nothing.
    assert post(webhook, paid)[1]["result"] == "refund_pending"
    again = {**paid, "id": f"evt_again_{ret['rma']}"}
    assert post(webhook, again)[1]["result"] == "exchanged"
    assert repo.get_return(ret["rma"])[0].status is S.EXCHANGED


def test_an_unpaid_difference_expires_the_session_and_falls_back_to_a_refund(
    api: Any,
    repo: Repository,
    machine: LocalStepFunctions,
    flow: ReturnWorkflow,
    shops: None,
    live_stripe: ScriptedStripe,
) -> None:
    pid = _product(api, {"S": 1, "M": 3}, {"S": "20.00", "M": "30.00"}, key=KEYS[LATE])
    ret = _request(api, pid, "20.00", "M", key=KEYS[LATE])
    waiting(machine, repo, ret["rma"], Wait.CARRIER)
    live_stripe.answers += [
        (200, session()),  # the session asked
        (200, session()),  # at the timeout: still open
        (200, session(status="expired")),  # expired, so no late payment can happen
        (200, {**REFUND, "amount": 2000, "currency": "usd", "status": "pending", "id": "re_3Unpaid"}),
    ]
    flow.carrier_update(ret["rma"], S.DELIVERED, "carrier:test")
    waiting(machine, repo, ret["rma"], Wait.SETTLEMENT)  # 2 s later: expired, fallen back, refunded
    assert [s["url"].rsplit("/v1/", 1)[1] for s in live_stripe.sent] == [
        "checkout/sessions", f"checkout/sessions/{SESSION['id']}",
        f"checkout/sessions/{SESSION['id']}/expire", "refunds",
    ]  # fmt: skip
    stored, timeline = repo.get_return(ret["rma"])
    assert stored.resolution is Resolution.REFUND and stored.exchange is not None
    assert stored.exchange.hold == "released" and stored.exchange.payment is not None
    assert stored.exchange.payment.status == "expired"
    assert "not paid in time" in (stored.exchange.fallback_reason or "")
    assert stored.refund is not None and stored.refund.amount.amount == 2000
    fallen = [e for e in repo.outbox_events(ret["rma"]) if e["type"] == "exchange.fallen_back"]
    assert fallen and fallen[0]["data"]["reason"] == "unpaid"
    flow.settlement(ret["rma"], True, "payments:stripe", reference="re_3Unpaid")
    finished(machine, ret["rma"], "Closed")
    assert "return.refunded.unpaid" in _told(repo, ret["rma"])
    assert len([e for e in timeline if e.event == "exchange.fallen_back"]) == 1
    assert _stock(repo, pid, "M", LATE) == (3, 0, 3)  # the held unit is back
