"""A Shopify shop's exchanges (issue 17) through the real state machine (synthesized from the CDK
app, executed by moto), the task Lambdas and the storefront API on DynamoDB Local. The replacement is
made in Shopify through Admin GraphQL (a draft order of the replacement variants, 100 % discounted,
completed into an order) with the shop's Admin token read from Secrets Manager (moto), the HTTP
answered by constructed replies shaped on Shopify's documented objects (tests/data/shopify). A
dearer replacement is invoiced by a Shopify draft order; found paid when the policy's time runs
out, the replacement is ordered."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from boomerang.auth.api_keys import hash_api_key
from boomerang.credentials import ShopCredentials
from boomerang.domain.models import Resolution, Wait
from boomerang.domain.policy import ExchangeTerms, Timeouts, default_policy
from boomerang.domain.providers import ProviderSettings
from boomerang.domain.status import ReturnStatus as S
from boomerang.payments.router import PaymentsRouter
from boomerang.services.shopify_orders import difference_news
from boomerang.services.workflow import ReturnWorkflow
from boomerang.shopify.payloads import DraftOrder
from boomerang.store.records import Repository
from boomerang.store.shopify import ShopifyConnection, ShopifyStore
from local.demo.data import in_test_mode
from local.stepfunctions import LocalStepFunctions
from tests.integration.test_exchange_journeys import _product, _request, _stock, _told
from tests.integration.test_return_journeys import finished, flow, machine, waiting
from tests.unit.cassettes import CassetteAdapter, replaying_session

SHOP = "swapshopify"
KEY = "bk_swapshopify_journey_key"
SHOPIFY_ORDER = "gid://shopify/Order/734509473"
SAMPLES = Path(__file__).resolve().parents[2] / "events" / "samples" / "shopify"


@pytest.fixture(scope="module")
def shop(repo: Repository, machine: LocalStepFunctions) -> str:
    repo.put_shop(SHOP, SHOP)
    repo.put_api_key(hash_api_key(KEY), SHOP, "journeys")
    in_test_mode(repo, SHOP)  # sandbox labels; the exchange goes through Shopify (shopify_admin below)
    terms = ExchangeTerms(dearer_replacements=True, unpaid_fallback=Resolution.STORE_CREDIT)
    timeouts = Timeouts(difference_payment=timedelta(seconds=2))
    repo.put_policy(
        SHOP, default_policy().model_copy(update={"version": 2, "exchanges": terms, "timeouts": timeouts})
    )
    # The shop's Admin API token, where `boomerang connect` puts it.
    manager = boto3.client("secretsmanager")
    value = {"shop_domain": "boomerang-demo.myshopify.com", "access_token": "shpat_constructed_for_tests",
             "api_version": "2026-01"}  # fmt: skip
    with contextlib.suppress(manager.exceptions.ResourceExistsException):
        manager.create_secret(Name=f"boomerang/{SHOP}/shopify-admin", SecretString=json.dumps(value))
    return SHOP


@pytest.fixture
def shopify_admin(flow: ReturnWorkflow) -> Iterator[list[CassetteAdapter]]:
    """The workflow's payments as a live Shopify shop's: the router with its secret, its HTTP
    replayed from the cassettes a test appends (each with `RMA-REPLACE` set to the return's)."""
    played: list[CassetteAdapter] = []

    def session(provider: Any) -> requests.Session:
        assert played, "no Shopify replies given"
        made = requests.Session()
        made.mount("https://", played[0])
        return made

    saved = flow.payments
    flow.payments = PaymentsRouter(lambda _: ProviderSettings(), ShopCredentials(), sessions=session)
    yield played
    flow.payments = saved


def replies(rma: str, *names: str) -> CassetteAdapter:
    _, adapter = replaying_session("shopify", *names)
    for interaction in adapter.recorded:
        body = interaction["response"]["body"]
        body["string"] = body["string"].replace("RMA-REPLACE", rma)
    return adapter


def test_a_shopify_shops_replacement_is_a_completed_draft_order_in_shopify(
    api: Any,
    repo: Repository,
    machine: LocalStepFunctions,
    flow: ReturnWorkflow,
    shop: str,
    shopify_admin: list[CassetteAdapter],
) -> None:
    pid = _product(api, {"S": 1, "M": 3}, {"S": "20.00", "M": "20.00"}, key=KEY)
    ret = _request(api, pid, "20.00", "M", key=KEY, payment_reference=SHOPIFY_ORDER)
    waiting(machine, repo, ret["rma"], Wait.CARRIER)
    shopify_admin.append(replies(ret["rma"], "draft_replacement"))
    flow.carrier_update(ret["rma"], S.DELIVERED, "carrier:test")
    waiting(machine, repo, ret["rma"], Wait.FULFILMENT)
    stored, timeline = repo.get_return(ret["rma"])
    assert stored.status is S.EXCHANGED and stored.exchange is not None
    assert stored.exchange.replacement_order_id == "gid://shopify/Order/1073459962"
    assert any("Replacement ordered in Shopify (#1002)" in e.message for e in timeline)
    sent = shopify_admin[0].sent
    assert [s.body["query"].split("(")[0].split()[-1] for s in sent] == [
        "BoomerangDraft", "BoomerangReplacementFor", "BoomerangDraftCreate", "BoomerangDraftComplete",
    ]  # fmt: skip
    assert sent[2].body["variables"]["input"]["lineItems"][0]["variantId"] == (
        f"gid://shopify/ProductVariant/{pid}-M"
    )
    assert sent[0].headers["X-Shopify-Access-Token"] == "shpat_constructed_for_tests"  # from Secrets Manager
    # Shopify is where the merchant fulfils it: no event asks the ERP to ship it again.
    assert not [e for e in repo.outbox_events(ret["rma"]) if e["type"] == "exchange.order_requested"]
    assert _stock(repo, pid, "M", SHOP) == (2, 0, 2)
    assert "return.exchanged" in _told(repo, ret["rma"])


def test_a_dearer_replacement_invoiced_by_shopify_and_found_paid_is_ordered(
    api: Any,
    repo: Repository,
    machine: LocalStepFunctions,
    flow: ReturnWorkflow,
    shop: str,
    shopify_admin: list[CassetteAdapter],
) -> None:
    pid = _product(api, {"S": 1, "M": 3}, {"S": "20.00", "M": "30.00"}, key=KEY)
    ret = _request(api, pid, "20.00", "M", key=KEY, payment_reference=SHOPIFY_ORDER)
    waiting(machine, repo, ret["rma"], Wait.CARRIER)
    shopify_admin.append(replies(ret["rma"], "draft_invoice", "draft_invoice_paid", "draft_replacement"))
    flow.carrier_update(ret["rma"], S.DELIVERED, "carrier:test")
    waiting(machine, repo, ret["rma"], Wait.FULFILMENT)  # 2 s: the wait ran out, the invoice was paid
    stored, timeline = repo.get_return(ret["rma"])
    assert stored.status is S.EXCHANGED and stored.exchange is not None
    payment = stored.exchange.payment
    assert payment is not None and payment.provider == "shopify" and payment.status == "paid"
    assert payment.reference == "gid://shopify/DraftOrder/622762746" and payment.amount.amount == 1000
    assert stored.exchange.replacement_order_id == "gid://shopify/Order/1073459962"
    invoice = [s.body for s in shopify_admin[0].sent if "draftOrderInvoiceSend" in s.body["query"]]
    assert len(invoice) == 1
    assert "return.refund_pending.payment_due" in _told(repo, ret["rma"])
    events = [e["type"] for e in repo.outbox_events(ret["rma"]) if e["type"].startswith("exchange.")]
    assert events == ["exchange.payment_requested", "exchange.difference_paid"]
    assert any(e.event == "exchange.difference_paid" and e.actor == "workflow" for e in timeline)


PATIENT = "swapshopify2"  # the policy's day to pay: the invoice's webhook comes first


@pytest.fixture(scope="module")
def patient_shop(repo: Repository, machine: LocalStepFunctions, shop: str) -> str:
    repo.put_shop(PATIENT, PATIENT)
    repo.put_api_key(hash_api_key(f"bk_{PATIENT}_journey_key"), PATIENT, "journeys")
    in_test_mode(repo, PATIENT)
    terms = ExchangeTerms(dearer_replacements=True)
    repo.put_policy(PATIENT, default_policy().model_copy(update={"version": 2, "exchanges": terms}))
    manager = boto3.client("secretsmanager")
    value = {"shop_domain": "boomerang-demo.myshopify.com", "access_token": "shpat_constructed_for_tests",
             "api_version": "2026-01"}  # fmt: skip
    for name, secret in ((f"boomerang/{PATIENT}/shopify-admin", json.dumps(value)),
                         (f"boomerang/shopify/{PATIENT}", APP_SECRET)):  # fmt: skip
        with contextlib.suppress(manager.exceptions.ResourceExistsException):
            manager.create_secret(Name=name, SecretString=secret)
    ShopifyStore(repo).put_connection(
        ShopifyConnection(f"{PATIENT}.myshopify.com", PATIENT, f"boomerang/shopify/{PATIENT}", {})
    )
    return PATIENT


APP_SECRET = "constructed-app-secret-for-these-tests"


def draft_orders_update(rma: str, status: str) -> bytes:
    """Shopify's draft_orders/update payload (REST DraftOrder: id, admin_graphql_api_id, status,
    comma-separated tags, total_price, currency, order_id), for the invoice of draft_invoice.yaml."""
    return json.dumps({
        "id": 622762746, "admin_graphql_api_id": "gid://shopify/DraftOrder/622762746", "name": "#D3",
        "status": status, "tags": f"boomerang, boomerang-difference-{rma}, exchange-difference",
        "total_price": "10.00", "subtotal_price": "10.00", "currency": "USD",
        "order_id": 1073459963 if status == "completed" else None,
        "invoice_url": "https://boomerang-demo.myshopify.com/26371970/invoices/8e31a4c5c1d94b7da2f5",
    }).encode()  # fmt: skip


def post_draft(body: bytes, topic: str = "draft_orders/update") -> tuple[int, Any]:
    import importlib

    from boomerang.shopify.signature import sign
    from local.apigw_events import LambdaContext, rest_event

    module = importlib.import_module("functions.webhooks_shopify.handler")
    headers = {
        "Content-Type": "application/json", "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(body, APP_SECRET), "X-Shopify-Shop-Domain": f"{PATIENT}.myshopify.com",
        "X-Shopify-Webhook-Id": uuid.uuid4().hex, "X-Shopify-API-Version": "2026-01",
    }  # fmt: skip
    event = rest_event("POST", "/webhooks/shopify", headers=headers, body=body.decode())
    result = module.handler(event, LambdaContext(function_name="webhooks_shopify"))
    return int(result["statusCode"]), json.loads(result["body"])


def test_a_shopify_invoice_paid_resumes_the_exchange_through_the_webhook(
    api: Any,
    repo: Repository,
    machine: LocalStepFunctions,
    flow: ReturnWorkflow,
    patient_shop: str,
    shopify_admin: list[CassetteAdapter],
) -> None:
    key = f"bk_{PATIENT}_journey_key"
    pid = _product(api, {"S": 1, "M": 3}, {"S": "20.00", "M": "30.00"}, key=key)
    ret = _request(api, pid, "20.00", "M", key=key, payment_reference=SHOPIFY_ORDER)
    waiting(machine, repo, ret["rma"], Wait.CARRIER)
    shopify_admin.append(replies(ret["rma"], "draft_invoice", "draft_replacement"))
    flow.carrier_update(ret["rma"], S.DELIVERED, "carrier:test")
    waiting(machine, repo, ret["rma"], Wait.PAYMENT)
    status, out = post_draft(draft_orders_update(ret["rma"], "open"))  # the invoice sent: no news
    assert status == 200 and out["outcome"] == "unchanged", out
    status, out = post_draft(draft_orders_update(ret["rma"], "completed"))
    assert status == 200 and out["outcome"] == "refund_pending", out
    waiting(machine, repo, ret["rma"], Wait.FULFILMENT)
    stored = repo.get_return(ret["rma"])[0]
    assert stored.status is S.EXCHANGED and stored.exchange is not None
    assert stored.exchange.payment is not None and stored.exchange.payment.status == "paid"
    assert stored.exchange.replacement_order_id == "gid://shopify/Order/1073459962"
    # Shopify fulfils the replacement order (its fulfillments/create sample, re-keyed to it): the
    # return hears of the shipment and closes.
    fulfilment = json.loads((SAMPLES / "fulfillments_create.json").read_text())
    fulfilment["order_id"] = 1073459962
    status, out = post_draft(json.dumps(fulfilment).encode(), "fulfillments/create")
    assert status in (200, 404), out  # 404: the replacement order itself is not imported in this test
    finished(machine, ret["rma"], "Closed")
    stored = repo.get_return(ret["rma"])[0]
    assert stored.exchange is not None and stored.exchange.shipment is not None
    assert stored.exchange.shipment.tracking_number in json.dumps(fulfilment)
    assert "return.replacement_shipped" in _told(repo, ret["rma"])
    # Another shop's webhook naming this return changes nothing.
    assert difference_news(flow, "someone-else", DraftOrder.model_validate_json(
        draft_orders_update(ret["rma"], "completed"))) == "not_ours"  # fmt: skip
