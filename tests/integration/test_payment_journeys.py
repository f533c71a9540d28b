"""Money goes back the way it came, through the real adapters and SDKs: the PaymentsRouter built as
the functions build it (boomerang.payments.factory), a live shop's credentials in Secrets Manager
(moto), and the providers answered by the local fakes with their recorded replies
(local/payment_fakes.py; PAYMENT_ENDPOINTS sends the SDKs' HTTPS there). The `make demo` journeys
of the same names walk these through the whole local stack (local/demo/payments.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from boomerang.carriers.sandbox import SandboxCarrier
from boomerang.classifier.model import default_classifier
from boomerang.domain.models import Order, OrderLine, Resolution, Return
from boomerang.domain.money import Money
from boomerang.domain.policy import default_policy
from boomerang.domain.status import ReturnStatus as S
from boomerang.domain.tickets import Group
from boomerang.payments.factory import payments_router
from boomerang.services.returns import Principal, RequestedItem, ReturnRequest, ReturnsService
from boomerang.services.tickets import TicketService
from boomerang.services.workflow import ReturnWorkflow, refund_key
from boomerang.store.records import Repository
from boomerang.store.tickets import TicketRepository
from local.payment_fakes import PaymentFakes, connect_shop
from tests.integration.test_workflow_service import RecordingEngine

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def fakes(local_aws: Any) -> Iterator[PaymentFakes]:
    started = PaymentFakes().start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def shop(local_aws: Any) -> str:
    """A live shop (no provider settings: live), connected to Stripe, Shopify and PayPal."""
    name = f"pay-{uuid.uuid4().hex[:10]}"
    connect_shop(name)
    return name


@pytest.fixture
def flow(repo: Repository, fakes: PaymentFakes) -> ReturnWorkflow:
    payments = payments_router(repo.table, repo.ddb, endpoints=fakes.endpoints(), settings_cache_seconds=0)
    return ReturnWorkflow(
        repo,
        lambda _: default_policy(),
        RecordingEngine(),
        SandboxCarrier(),
        payments,
        lambda: datetime.now(UTC),
    )


def delivered(repo: Repository, flow: ReturnWorkflow, shop: str, reference: str | None) -> Return:
    """A $20 size return of an order paid as `reference` says, labelled and delivered: the default
    policy refunds it on delivery."""
    oid = uuid.uuid4().hex[:12]
    repo.upsert_order(
        Order(
            shop=shop,
            order_id=oid,
            order_number=f"#{oid}",
            customer_email=f"{oid}@example.com",
            customer_country="US",
            currency="USD",
            ordered_at=NOW - timedelta(days=3),
            payment_reference=reference,
            lines=[
                OrderLine(
                    line_id="L1",
                    sku="S1",
                    category="apparel",
                    quantity=1,
                    unit_price=Money(amount=2000, currency="USD"),
                    delivered_at=NOW - timedelta(days=1),
                )
            ],
        )
    )
    service = ReturnsService(repo, lambda _: default_policy(), lambda: b"k" * 32)
    request = ReturnRequest(oid, [RequestedItem(line_id="L1", quantity=1, reason="size_too_small")],
                            Resolution.REFUND, {}, "en")  # fmt: skip
    ret = service.create_return(Principal(shop=shop), request, NOW)
    flow.issue_label(ret.rma)
    return flow.carrier_update(ret.rma, S.DELIVERED, "carrier:test")


def calls_for(fakes: PaymentFakes, rma: str) -> list[tuple[str, str]]:
    return [(c.provider, c.path) for c in fakes.calls if c.key and rma in c.key]


def test_a_shopify_order_is_refunded_through_shopify(
    repo: Repository, flow: ReturnWorkflow, shop: str, fakes: PaymentFakes
) -> None:
    ret = delivered(repo, flow, shop, "gid://shopify/Order/734509473")
    assert flow.resolve(ret.rma)["status"] == "refunded"  # Shopify paid at once
    stored = repo.get_return(ret.rma)[0]
    refund = stored.refund
    assert refund is not None and refund.provider == "shopify" and refund.status == "succeeded"
    assert refund.reference and refund.reference.startswith("gid://shopify/Refund/")
    assert refund.amount == Money(amount=2000, currency="USD") and stored.payment_claim is None
    assert calls_for(fakes, ret.rma) == [("shopify", "/admin/api/2026-01/graphql.json")]
    assert "refund.succeeded" in [e["type"] for e in repo.outbox_events(ret.rma)]
    assert flow.resolve(ret.rma)["status"] == "refunded"  # a retried step asks nobody
    assert len(calls_for(fakes, ret.rma)) == 1


def test_a_stripe_payment_intent_is_refunded_by_its_id(
    repo: Repository, flow: ReturnWorkflow, shop: str, fakes: PaymentFakes
) -> None:
    ret = delivered(repo, flow, shop, "pi_3MtwBwLkdIwHu7ix28a3tqPa")
    assert flow.resolve(ret.rma)["status"] == "refund_pending"  # Stripe's webhook settles it
    refund = repo.get_return(ret.rma)[0].refund
    assert refund is not None and refund.provider == "stripe" and refund.reference
    assert calls_for(fakes, ret.rma) == [("stripe", "/v1/refunds")]
    assert [c.key for c in fakes.calls if c.key and ret.rma in c.key] == [refund_key(ret.rma, 1)]
    settled = flow.settlement(ret.rma, True, "stripe:evt_test", reference=refund.reference)
    assert settled.status is S.REFUNDED


def test_a_paypal_capture_is_refunded_through_paypal(
    repo: Repository, flow: ReturnWorkflow, shop: str, fakes: PaymentFakes
) -> None:
    ret = delivered(repo, flow, shop, "paypal:9BT885563M275774M")
    assert flow.resolve(ret.rma)["status"] == "refunded"  # the recorded refund is COMPLETED
    refund = repo.get_return(ret.rma)[0].refund
    assert refund is not None and refund.provider == "paypal" and refund.status == "succeeded"
    assert calls_for(fakes, ret.rma) == [("paypal", "/v2/payments/captures/9BT885563M275774M/refund")]


def test_an_order_without_a_payment_reference_fails_with_a_ticket_for_finance(
    repo: Repository, flow: ReturnWorkflow, shop: str, fakes: PaymentFakes
) -> None:
    ret = delivered(repo, flow, shop, None)
    before = len(fakes.calls)
    assert flow.resolve(ret.rma)["status"] == "refund_failed"
    stored = repo.get_return(ret.rma)[0]
    assert stored.refund is not None and stored.refund.failure_reason == "no_payment_reference"
    assert len(fakes.calls) == before  # no provider was asked, no sandbox "refunded" it
    failed = [e for e in repo.outbox_events(ret.rma) if e["type"] == "refund.failed"]
    assert failed and failed[0]["data"]["failure_reason"] == "no_payment_reference"
    # The system tickets function turns the event into finance's ticket (functions/system_tickets).
    tickets = TicketService(TicketRepository(repo.table, repo.ddb), repo, default_classifier, lambda: NOW)
    ticket, opened = tickets.open_system(failed[0])
    assert opened and ticket.group is Group.FINANCE and ticket.rma == ret.rma
    assert "no_payment_reference" in (ticket.subject or "")
