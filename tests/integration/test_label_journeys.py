# ruff: noqa: F811 (the journeys' module-scoped fixtures, imported, are parameters here)
"""Issue 14's label and side-channel journeys through the real state machine (the CDK template on
moto, the task Lambdas in-process, DynamoDB Local), with the label step's real EasyPost SDK talking
over HTTP to the local stand-in that answers with EasyPost's recorded replies (local/easypost.py),
and customer emails through the real SES notifier on moto's SES:

- a live shop with no carrier for its hub gets no label: the return says why, staff get a ticket,
  and the execution keeps asking (it neither fails nor falls back to the sandbox);
- a live shop's label is EasyPost's, and its link and QR code are in the email and the customer's view;
- a German customer returning to a US-only shop's New Jersey hub: customs items on the shipment
  (returned goods, the order number, HS codes and origins) and a commercial invoice PDF stored
  beside the label;
- SES refusing every mail to the customer (its sandbox) leaves the return moving to its refund.
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from pypdf import PdfReader

from boomerang.auth.api_keys import hash_api_key
from boomerang.carriers.factory import carrier_factory
from boomerang.domain.models import Wait
from boomerang.domain.policy import default_policy
from boomerang.domain.status import ReturnStatus as S
from boomerang.notify.ses import SesNotifier
from boomerang.services.tickets import TicketService
from boomerang.services.workflow import ReturnWorkflow
from boomerang.store.records import Repository
from boomerang.store.templates import TemplateOverrides
from boomerang.store.tickets import TicketRepository
from local.demo.data import LIVE_API_KEY, LIVE_SHOP, seed_live_shop
from local.easypost import FakeEasyPost
from local.notifications import sent_mails, ses_sandbox
from local.stepfunctions import LocalStepFunctions
from tests.integration.test_return_journeys import (  # noqa: F401 (fixtures)
    KEYS,
    SHOP,
    execution,
    finished,
    flow,
    machine,
    waiting,
)

SENDER = "returns@boomerang.example"
UNCONFIGURED = "no-carrier"
UNCONFIGURED_KEY = "bk_no-carrier_journey_key"
BERLIN = {"name": "Anna Müller", "line1": "Friedrichstraße 43", "city": "Berlin", "postal_code": "10117",
          "country": "DE", "phone": "+49 30 1234567"}  # fmt: skip
NEW_YORK = {"name": "Ada Lovelace", "line1": "350 5th Ave", "city": "New York", "region": "NY",
            "postal_code": "10118", "country": "US"}  # fmt: skip
# The customer's language, as a storefront sends it (the email is written in it).
LOCALES = {"DE": {"locale": "de-DE"}}


@pytest.fixture(scope="module")
def easypost() -> Iterator[FakeEasyPost]:
    fake = FakeEasyPost().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def label_bucket(local_aws: Any) -> str:
    name = f"labels-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="module")
def ses(local_aws: Any) -> Any:
    """moto's SES, the sender verified (as local/notifications.py's start_ses does)."""
    os.environ["AWS_ENDPOINT_URL_SESV2"] = local_aws.moto_endpoint
    os.environ["AWS_ENDPOINT_URL_SES"] = local_aws.moto_endpoint
    boto3.client("ses").verify_email_identity(EmailAddress=SENDER)
    return boto3.client("sesv2")


@pytest.fixture(scope="module")
def wired(
    machine: LocalStepFunctions,
    flow: ReturnWorkflow,
    repo: Repository,
    easypost: FakeEasyPost,
    label_bucket: str,
    ses: Any,
) -> Iterator[ReturnWorkflow]:
    """The task functions' workflow with what a deployment gives it: each shop's carriers (the
    EasyPost SDK pointed at the stand-in), and customer emails through SES."""
    seed_live_shop(repo)
    repo.put_shop(UNCONFIGURED, "Shop without a carrier")
    repo.put_api_key(hash_api_key(UNCONFIGURED_KEY), UNCONFIGURED, "journeys")
    if repo.current_policy(UNCONFIGURED) is None:
        repo.put_policy(UNCONFIGURED, default_policy().model_copy(update={"version": 2}))
    saved = flow.carriers, flow.notifier
    factory = carrier_factory(repo.table, repo.ddb, label_bucket, easypost.api_base)
    factory.credentials.cache_seconds = 0
    flow.carriers = factory
    flow.notifier = SesNotifier(repo, TemplateOverrides(repo.table, repo.ddb), SENDER, ses=ses_sandbox(ses))
    yield flow
    flow.carriers, flow.notifier = saved


def _order(api: Any, api_key: str, country: str, currency: str, address: dict[str, str],
           lines: list[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    now = datetime.now(UTC)
    oid = f"lj-{uuid.uuid4().hex[:10]}"

    def at(days: int) -> str:
        return (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")

    order = {
        "order_id": oid,
        "order_number": f"#{oid}",
        "customer": {"email": f"{oid}@example.com", "country": country, **LOCALES.get(country, {})},
        "currency": currency,
        "ordered_at": at(5),
        "payment_reference": f"pi_{uuid.uuid4().hex[:24]}",  # a Stripe payment intent to refund to
        "shipping_address": address,
        "lines": [
            {
                "line_id": f"{oid}-{n}",
                "quantity": 1,
                "category": "apparel",
                "delivered_at": at(2),
                **line,
                "unit_price": {"amount": line["unit_price"], "currency": currency},
            }
            for n, line in enumerate(lines, 1)
        ],
    }
    assert api.call("POST", "/v1/orders", order, api_key=api_key)[0] == 201
    return order


def _return(api: Any, api_key: str, order: dict[str, Any]) -> dict[str, Any]:
    items = [
        {"line_id": line["line_id"], "quantity": 1, "reason": "size_too_small"} for line in order["lines"]
    ]
    body = {"order_id": order["order_id"], "items": items, "resolution": "refund"}
    status, ret = api.call(
        "POST", "/v1/returns", body, api_key=api_key, headers={"Idempotency-Key": uuid.uuid4().hex}
    )
    assert status == 201, ret
    return dict(ret)


def _timeline_events(repo: Repository, rma: str) -> list[str]:
    return [e.event for e in repo.get_return(rma)[1]]


def _until(check: Any, seconds: float = 20) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "waited too long"
        time.sleep(0.1)


def test_a_live_shop_without_a_carrier_gets_no_label_the_reason_and_a_ticket(
    api: Any,
    repo: Repository,
    machine: LocalStepFunctions,
    wired: ReturnWorkflow,
) -> None:
    order = _order(api, UNCONFIGURED_KEY, "US", "USD", NEW_YORK, [{"sku": "TEE", "unit_price": "20.00"}])
    ret = _return(api, UNCONFIGURED_KEY, order)
    assert ret["status"] == "approved"
    rma = ret["rma"]
    _until(lambda: "label.not_issued" in _timeline_events(repo, rma))
    stored, timeline = repo.get_return(rma)
    assert stored.status is S.APPROVED and stored.label is None
    why = next(e for e in timeline if e.event == "label.not_issued")
    assert "has no carrier for hub us-nj" in why.message and "docs/CARRIERS.md" in why.message
    # The label step said why it stopped, and the execution is waiting to ask again, not failed.
    failed = [i for i in machine.invocations() if i.event.get("rma") == rma and i.error_type]
    assert [i.error_type for i in failed] == ["LabelNotIssued"]
    assert machine.describe(execution(machine, rma))["status"] == "RUNNING"
    # Asked again (the step, as the state machine's retry would), the reason is not repeated.
    with pytest.raises(Exception, match="carrier_not_configured"):
        wired.issue_label(rma)
    assert _timeline_events(repo, rma).count("label.not_issued") == 1

    # The event opens a ticket for admin staff, linked to the return.
    envelope = {
        "id": f"evt-{rma}",
        "type": "label.not_issued",
        "version": 1,
        "occurred_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "shop": UNCONFIGURED,
        "data": {
            "rma": rma,
            "order_id": order["order_id"],
            "hub_id": "us-nj",
            "reason": "carrier_not_configured",
        },
    }
    from boomerang.classifier.model import default_classifier

    tickets = TicketService(
        TicketRepository(repo.table, repo.ddb), repo, default_classifier, lambda: datetime.now(UTC)
    )
    ticket, opened = tickets.open_system(envelope)
    assert opened and ticket.group.value == "admin" and ticket.rma == rma
    assert "carrier_not_configured" in ticket.subject


def test_an_easypost_label_with_its_link_and_qr_code_in_the_email_and_the_view(
    api: Any,
    repo: Repository,
    machine: LocalStepFunctions,
    wired: ReturnWorkflow,
    easypost: FakeEasyPost,
) -> None:
    order = _order(
        api, LIVE_API_KEY, "US", "USD", NEW_YORK, [{"sku": "TEE", "title": "Tee", "unit_price": "39.00"}]
    )
    ret = _return(api, LIVE_API_KEY, order)
    rma = ret["rma"]
    waiting(machine, repo, rma, Wait.CARRIER)
    stored = repo.get_return(rma)[0]
    label = stored.label
    assert label is not None and label.carrier == "USPS" and not label.specimen
    assert label.shipment_id in easypost.shipments and label.url and label.qr_code_url
    sent = [body for method, path, body in easypost.requests if path == "/v2/shipments"]
    shipment = next(s["shipment"] for s in sent if s["shipment"]["reference"] == rma)
    assert shipment["is_return"] is True and shipment["to_address"]["zip"] == "10118"
    assert "customs_info" not in shipment  # domestic

    _until(lambda: "customer.notified.label_issued" in _timeline_events(repo, rma))
    mail = next(m for m in sent_mails(order["customer"]["email"]) if "label" in m["subject"])
    assert label.url in mail["body"] and label.qr_code_url in mail["body"]
    assert "QR code" in mail["body"]

    status, view = api.call("GET", f"/v1/returns/{rma}", api_key=LIVE_API_KEY)
    assert status == 200
    assert view["label"]["url"] == label.url and view["label"]["qr_code_url"] == label.qr_code_url
    assert view["label"]["href"] == f"/v1/returns/{rma}/label" and view["label"]["customs_papers"] is False
    status, served = api.call("GET", f"/v1/returns/{rma}/label", api_key=LIVE_API_KEY)
    assert status == 200 and served["url"] == label.url and served["qr_code_url"] == label.qr_code_url


def test_a_german_customer_to_the_us_hub_has_customs_items_and_an_invoice_pdf(
    api: Any, repo: Repository, machine: LocalStepFunctions, wired: ReturnWorkflow,
    easypost: FakeEasyPost, label_bucket: str,
) -> None:  # fmt: skip
    lines = [
        {"sku": "SWEATER", "title": "Merino crew sweater", "unit_price": "29.00", "hs_code": "6110.11",
         "origin_country": "PT"},
        {"sku": "BEANIE", "title": "Wool beanie", "unit_price": "12.00"},
    ]  # fmt: skip
    order = _order(api, LIVE_API_KEY, "DE", "EUR", BERLIN, lines)
    ret = _return(api, LIVE_API_KEY, order)
    assert ret["hub"]["hub_id"] == "us-nj" and ret["status"] == "approved"
    rma = ret["rma"]
    waiting(machine, repo, rma, Wait.CARRIER)
    label = repo.get_return(rma)[0].label
    assert label is not None and label.carrier == "DHLExpress" and label.qr_code_url is None

    sent = [body["shipment"] for _, path, body in easypost.requests if path == "/v2/shipments"]
    shipment = next(s for s in sent if s["reference"] == rma)
    assert shipment["to_address"]["country"] == "DE" and shipment["from_address"]["country"] == "US"
    assert shipment["options"]["invoice_number"] == order["order_number"]
    customs = shipment["customs_info"]
    assert (
        customs["contents_type"] == "returned_goods"
        and order["order_number"] in customs["contents_explanation"]
    )
    assert customs["customs_signer"] == "Boomerang Demo Store Inc."
    declared = [(i["description"], i["value"], i["currency"], i["hs_tariff_number"], i["origin_country"])
                for i in customs["customs_items"]]  # fmt: skip
    assert declared == [
        ("Merino crew sweater", "29.00", "EUR", "611011", "PT"),
        ("Wool beanie", "12.00", "EUR", "650500", "US"),  # the shop's defaults
    ]

    # The carrier gave no invoice: Boomerang's is beside the label in the label bucket.
    assert label.customs_document_key == f"labels/{LIVE_SHOP}/{rma}-customs.pdf"
    pdf = boto3.client("s3").get_object(Bucket=label_bucket, Key=label.customs_document_key)["Body"].read()
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    for part in ("RETURNED GOODS", order["order_number"], "Merino crew sweater", "611011", "PT", "41.00",
                 "Anna Müller", "Boomerang Demo Store Inc."):  # fmt: skip
        assert part in text, part
    assert "customs papers" in repo.get_return(rma)[1][-1].message or any(
        "with its customs papers" in e.message for e in repo.get_return(rma)[1]
    )
    status, view = api.call("GET", f"/v1/returns/{rma}", api_key=LIVE_API_KEY)
    assert status == 200 and view["label"]["customs_papers"] is True
    # The email (German) says to print the invoice from the return's page.
    _until(lambda: "customer.notified.label_issued" in _timeline_events(repo, rma))
    mail = next(
        m for m in sent_mails(order["customer"]["email"]) if rma in m["subject"] and "Etikett" in m["body"]
    )
    assert "Handelsrechnung" in mail["body"]


def test_ses_refusing_every_mail_leaves_the_return_moving_to_its_refund(
    api: Any,
    repo: Repository,
    machine: LocalStepFunctions,
    wired: ReturnWorkflow,
) -> None:
    from local.notifications import UNVERIFIED

    # The test-mode journeys shop: a sandbox label and refund. SES's sandbox: the customer's address
    # is not a verified identity, so every mail to them is refused.
    order = _order(api, KEYS[SHOP], "US", "USD", NEW_YORK, [{"sku": "TEE", "unit_price": "20.00"}])
    email = order["customer"]["email"]
    UNVERIFIED.add(email)
    try:
        rma = _return(api, KEYS[SHOP], order)["rma"]
        waiting(machine, repo, rma, Wait.CARRIER)
        wired.carrier_update(rma, S.DELIVERED, "carrier:test")
        waiting(machine, repo, rma, Wait.SETTLEMENT)
        wired.settlement(rma, True, "payments:test")
        finished(machine, rma, "Closed")
    finally:
        UNVERIFIED.discard(email)
    stored, timeline = repo.get_return(rma)
    assert stored.status is S.CLOSED and stored.refund is not None and stored.refund.status == "succeeded"
    failed = [e for e in timeline if e.event.startswith("customer.notification_failed.")]
    assert {e.event.rsplit(".", 1)[1] for e in failed} == {"requested", "label_issued", "refunded"}
    assert all("MessageRejected" in e.message and email not in e.message for e in failed)
    assert not [e for e in timeline if e.event.startswith("customer.notified.")]
    assert sent_mails(email) == []
