"""Instant exchange (issue 17) through the real state machine (synthesized from the CDK app,
executed by moto), the task Lambdas and the storefront API on DynamoDB Local, with the card held
through the real `stripe` SDK answered by constructed replies shaped on Stripe's own
`payment_intent` example (tests/data/stripe): the replacement is ordered when the label is issued;
a return never sent has its authorization captured when the label runs out; one that arrives has it
released, and the return closes once the replacement's shipment is known."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from boomerang.auth.api_keys import hash_api_key
from boomerang.domain.models import Wait
from boomerang.domain.policy import ExchangeTerms, InstantExchange, default_policy
from boomerang.domain.status import ReturnStatus as S
from boomerang.services.workflow import ReturnWorkflow
from boomerang.store.records import Repository
from local.demo.data import in_test_mode
from local.stepfunctions import LocalStepFunctions
from tests.integration.test_exchange_journeys import _product, _request, _stock, _told
from tests.integration.test_exchange_payments import live_stripe
from tests.integration.test_return_journeys import finished, flow, machine, waiting
from tests.unit.test_stripe_adapter import REFUND, ScriptedStripe

INTENT = json.loads((Path(__file__).parents[1] / "data" / "stripe" / "fixtures3_subset.json").read_text())[
    "payment_intent"
]
NEVER, ARRIVES, CHARGED = "swapinstant", "swapinstant2", "swapinstant3"
KEYS = {shop: f"bk_{shop}_journey_key" for shop in (NEVER, ARRIVES, CHARGED)}
ORDER_INTENT = "pi_3MtwBwLkdIwHu7ix28a3tqPa"


def intent(**changes: Any) -> dict[str, Any]:
    return {**INTENT, "amount": 2000, "currency": "usd", **changes}


def the_orders_intent() -> tuple[int, dict[str, Any]]:
    # The order's payment, its card saved for later (setup_future_usage) on a customer.
    return 200, intent(id=ORDER_INTENT, status="succeeded", payment_method="pm_1Q0PsIJvEtkwdCNYMSaVuRz6",
                       customer="cus_NffrFeUfNV2Hib")  # fmt: skip


@pytest.fixture(scope="module")
def shops(repo: Repository, machine: LocalStepFunctions) -> None:
    # The third shop's deadline is beyond what an authorization lasts: the card is charged at once.
    for shop, within, lasts in (
        (NEVER, timedelta(seconds=2), timedelta(days=7)),
        (ARRIVES, timedelta(days=3), timedelta(days=7)),
        (CHARGED, timedelta(days=3), timedelta(days=1)),
    ):
        repo.put_shop(shop, shop)
        repo.put_api_key(hash_api_key(KEYS[shop]), shop, "journeys")
        in_test_mode(repo, shop)  # sandbox labels; the card is Stripe's (live_stripe)
        terms = ExchangeTerms(instant=InstantExchange(ship_within=within, authorization_valid=lasts))
        repo.put_policy(shop, default_policy().model_copy(update={"version": 2, "exchanges": terms}))


def test_an_instant_exchange_is_captured_when_the_return_never_ships(
    api: Any,
    repo: Repository,
    machine: LocalStepFunctions,
    flow: ReturnWorkflow,
    shops: None,
    live_stripe: ScriptedStripe,
) -> None:
    live_stripe.answers += [
        the_orders_intent(),
        (200, intent(id="pi_3Instant1", status="requires_capture", capture_method="manual")),
        (200, intent(id="pi_3Instant1", status="succeeded", capture_method="manual", amount_received=2000)),
    ]
    pid = _product(api, {"S": 1, "M": 3}, {"S": "20.00", "M": "20.00"}, key=KEYS[NEVER])
    ret = _request(api, pid, "20.00", "M", key=KEYS[NEVER], payment_reference=ORDER_INTENT)
    # The label is issued and the replacement ordered at once, the card authorized for it.
    finished(machine, ret["rma"], "Expired")  # the label (valid 2 s, the policy's deadline) ran out
    stored, timeline = repo.get_return(ret["rma"])
    assert stored.status is S.EXPIRED and stored.exchange is not None
    held = stored.exchange.instant
    assert held is not None and held.reference == "pi_3Instant1" and held.status == "captured"
    assert stored.exchange.hold == "ordered" and stored.exchange.replacement_order_id == f"EX-{ret['rma']}"
    assert _stock(repo, pid, "M", NEVER) == (2, 0, 2)  # the replacement left stock with the label
    create, capture = live_stripe.sent[1], live_stripe.sent[2]
    assert create["url"] == "https://api.stripe.com/v1/payment_intents"
    form = create["form"]
    assert form["capture_method"] == ["manual"] and form["off_session"] == ["true"]
    assert form["confirm"] == ["true"] and form["amount"] == ["2000"]
    assert form["payment_method"] == ["pm_1Q0PsIJvEtkwdCNYMSaVuRz6"] and form["customer"] == [
        "cus_NffrFeUfNV2Hib"
    ]
    assert create["headers"]["Idempotency-Key"] == f"boomerang:{ret['rma']}:instant:hold"
    assert capture["url"] == "https://api.stripe.com/v1/payment_intents/pi_3Instant1/capture"
    types = [e["type"] for e in repo.outbox_events(ret["rma"])]
    assert {"exchange.order_requested", "exchange.card_held", "exchange.card_settled"} <= set(types)
    assert types.index("exchange.card_held") < types.index("exchange.card_settled")
    assert any("is captured" in e.message for e in timeline)
    assert "return.expired" in _told(repo, ret["rma"])


def test_an_instant_exchange_is_released_when_the_return_arrives(
    api: Any,
    repo: Repository,
    machine: LocalStepFunctions,
    flow: ReturnWorkflow,
    shops: None,
    live_stripe: ScriptedStripe,
) -> None:
    live_stripe.answers += [
        the_orders_intent(),
        (200, intent(id="pi_3Instant2", status="requires_capture", capture_method="manual")),
        (200, intent(id="pi_3Instant2", status="canceled", capture_method="manual")),
    ]
    pid = _product(api, {"S": 1, "M": 3}, {"S": "20.00", "M": "20.00"}, key=KEYS[ARRIVES])
    ret = _request(api, pid, "20.00", "M", key=KEYS[ARRIVES], payment_reference=ORDER_INTENT)
    waiting(machine, repo, ret["rma"], Wait.CARRIER)
    stored = repo.get_return(ret["rma"])[0]
    assert stored.exchange is not None and stored.exchange.instant is not None
    assert stored.exchange.instant.status == "authorized"
    # The merchant ships the replacement while the return travels.
    shipment = {"carrier": "UPS", "tracking_number": "1Z999AA10123456784"}
    status, out = api.call(
        "POST", f"/v1/returns/{ret['rma']}/exchange-fulfilment", shipment, api_key=KEYS[ARRIVES]
    )
    assert status == 200 and out["status"] == "label_issued", out
    flow.carrier_update(ret["rma"], S.DELIVERED, "carrier:test")  # a $20 size return: resolved on delivery
    finished(machine, ret["rma"], "Closed")
    stored = repo.get_return(ret["rma"])[0]
    assert stored.exchange is not None and stored.exchange.instant is not None
    assert stored.exchange.instant.status == "released"
    assert live_stripe.sent[2]["url"] == "https://api.stripe.com/v1/payment_intents/pi_3Instant2/cancel"
    assert len(live_stripe.sent) == 3  # nothing captured, nothing refunded
    told = _told(repo, ret["rma"])
    assert "return.replacement_shipped" in told


def test_an_instant_exchange_charged_off_session_is_refunded_when_the_return_arrives(
    api: Any,
    repo: Repository,
    machine: LocalStepFunctions,
    flow: ReturnWorkflow,
    shops: None,
    live_stripe: ScriptedStripe,
) -> None:
    live_stripe.answers += [
        the_orders_intent(),
        (200, intent(id="pi_3Instant3", status="succeeded")),  # charged off-session at once
        (200, {**REFUND, "id": "re_3Instant3", "amount": 2000, "currency": "usd", "status": "pending",
               "payment_intent": "pi_3Instant3"}),
    ]  # fmt: skip
    pid = _product(api, {"S": 1, "M": 3}, {"S": "20.00", "M": "20.00"}, key=KEYS[CHARGED])
    ret = _request(api, pid, "20.00", "M", key=KEYS[CHARGED], payment_reference=ORDER_INTENT)
    waiting(machine, repo, ret["rma"], Wait.CARRIER)
    assert live_stripe.sent[1]["form"]["capture_method"] == ["automatic"]
    stored = repo.get_return(ret["rma"])[0]
    assert stored.exchange is not None and stored.exchange.instant is not None
    assert stored.exchange.instant.status == "charged"
    flow.carrier_update(ret["rma"], S.DELIVERED, "carrier:test")
    waiting(machine, repo, ret["rma"], Wait.FULFILMENT)
    stored = repo.get_return(ret["rma"])[0]
    assert stored.status is S.EXCHANGED and stored.exchange is not None
    assert stored.exchange.instant is not None and stored.exchange.instant.status == "refunded"
    refund = live_stripe.sent[2]
    assert refund["url"] == "https://api.stripe.com/v1/refunds"
    assert refund["form"]["payment_intent"] == ["pi_3Instant3"] and refund["form"]["amount"] == ["2000"]
    assert refund["headers"]["Idempotency-Key"] == f"boomerang:{ret['rma']}:instant:refund"
