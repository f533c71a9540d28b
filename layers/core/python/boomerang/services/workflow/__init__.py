"""A return's way from request to close: the steps the state machine runs, and the news from
people and systems that moves it on.

ReturnWorkflow is the one entry point (the workflow function, the APIs, the webhooks call it);
each part of the journey lives in a module of its own and ReturnWorkflow routes to it:

    core.py        the dependencies, the transactional move, the waits' tables, errors, refund_key
    decision.py    decide; staff approve / reject
    shipping.py    the return label; carrier news (in transit, delivered)
    labels.py      the label bought once (claim, buy, record); an unused label refunded
    receipt.py     evidence arriving; the warehouse scan; inspection (Grading)
    resolution.py  resolve: refund amount, card refund, store credit, a catalog-less exchange
    exchange.py    resolve an exchange: stock checked again (else the policy's fallback), the
                   replacement ordered, the difference paid back, the difference's refund settled
    difference.py  a dearer replacement: the customer pays the difference first (or it falls back)
    instant.py     instant exchange: the replacement ships with the label, the card held meanwhile
    settlement.py  the provider's news of a refund; finance's retry_refund; disputes
    lifecycle.py   hold a wait, expire, escalate, notify, close, record_failure

A new phase is a Phase subclass built in ReturnWorkflow.__init__ with the others, and its public
steps get a one-line route below.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from boomerang.carriers.port import Carrier, Carriers, ReturnLabels
from boomerang.domain.models import Return, Wait
from boomerang.domain.policy import Policy
from boomerang.domain.refund_failures import PayoutMethod
from boomerang.domain.status import ReturnStatus
from boomerang.notify.port import Notifier
from boomerang.orchestration.step_functions import WorkflowEngine
from boomerang.payments.port import PaymentConfigurationError, Payments
from boomerang.payments.port import PaymentProviderUnavailable as PaymentProviderUnavailableError
from boomerang.services.workflow.core import (
    WAIT_ENDS,
    WAIT_FROM,
    PaymentsMisconfigured,
    PaymentsUnavailable,
    Phase,
    WorkflowCore,
    refund_key,
)
from boomerang.services.workflow.decision import DecisionPhase
from boomerang.services.workflow.exchange import ExchangePhase
from boomerang.services.workflow.labels import LabelAttempts
from boomerang.services.workflow.lifecycle import LifecyclePhase
from boomerang.services.workflow.receipt import Grading, ReceiptPhase
from boomerang.services.workflow.resolution import RESOLVED, ResolutionPhase
from boomerang.services.workflow.settlement import SettlementPhase
from boomerang.services.workflow.shipping import ShippingPhase
from boomerang.store.records import Repository

__all__ = [
    "RESOLVED",
    "WAIT_ENDS",
    "WAIT_FROM",
    "Grading",
    "PaymentsMisconfigured",
    "PaymentsUnavailable",
    "Phase",
    "ReturnWorkflow",
    "WorkflowCore",
    "refund_key",
]

log = logging.getLogger(__name__)


class ReturnWorkflow(WorkflowCore):
    """Routes each step and each piece of news to the phase that owns it. The dependencies live on
    this object (WorkflowCore): the phases read them from here, so replacing one (a test's engine,
    `make local`'s notifier) reaches every phase."""

    def __init__(
        self,
        repo: Repository,
        policy_for: Callable[[str], Policy],
        engine: WorkflowEngine,
        carrier: Carriers | Carrier | ReturnLabels | None,
        payments: Payments,
        clock: Callable[[], datetime],
        notifier: Notifier | None = None,
    ):
        super().__init__(repo, policy_for, engine, carrier, payments, clock, notifier)
        self.lifecycle = LifecyclePhase(self)
        self.deciding = DecisionPhase(self)
        self.labels = LabelAttempts(self)
        self.shipping = ShippingPhase(self)
        self.receiving = ReceiptPhase(self)
        self.resolving = ResolutionPhase(self)
        self.settling = SettlementPhase(self, self.resolving)
        self.exchanging = ExchangePhase(self, self.resolving)

    # --- steps the state machine runs ---------------------------------------------------------

    def decide(self, rma: str) -> dict[str, Any]:
        return self.deciding.decide(rma)

    def hold(self, rma: str, wait: Wait, token: str) -> None:
        self.lifecycle.hold(rma, wait, token)

    def issue_label(self, rma: str) -> dict[str, Any]:
        issued = self.shipping.issue_label(rma)
        if issued["status"] == ReturnStatus.LABEL_ISSUED.value:  # an instant exchange ships now
            self.exchanging.instant.after_label(rma, self.exchanging._order_event)
        return issued

    def refund_unused_label(self, rma: str) -> dict[str, Any]:
        return self.labels.refund_unused(rma)

    def label_refund_failed(self, rma: str, error: str) -> dict[str, Any]:
        return self.labels.refund_failed(rma, error)

    def resolve(self, rma: str) -> dict[str, Any]:
        # An exchange against the catalog is exchange.py's; it hands anything else to resolution.py.
        return self.exchanging.resolve(rma)

    def notify(self, rma: str, announce: ReturnStatus | None = None) -> dict[str, Any]:
        return self.lifecycle.notify(rma, announce)

    def notification_failed(self, rma: str, announce: ReturnStatus | None, error: str) -> dict[str, Any]:
        return self.lifecycle.notification_failed(rma, announce, error)

    def close(self, rma: str) -> dict[str, Any]:
        return self.lifecycle.close(rma)

    def expire(self, rma: str, wait: Wait) -> dict[str, Any]:
        if wait is Wait.PAYMENT:  # the difference unpaid in time: the exchange falls back
            return self.exchanging.difference.expired(rma)
        if wait is Wait.CARRIER:  # an instant exchange's return not sent: its card is captured
            self.exchanging.instant.before_expiry(rma)
        return self.lifecycle.expire(rma, wait)

    def escalate(self, rma: str, wait: Wait) -> dict[str, Any]:
        return self.lifecycle.escalate(rma, wait)

    def record_failure(self, rma: str, step: str, error: str, cause: str) -> dict[str, Any]:
        return self.lifecycle.record_failure(rma, step, error, cause)

    # --- news from staff and the warehouse ----------------------------------------------------

    def approve(self, rma: str, actor: str, note: str | None = None) -> Return:
        return self.deciding.approve(rma, actor, note)

    def reject(self, rma: str, actor: str, reason: str) -> Return:
        return self.deciding.reject(rma, actor, reason)

    def scan(self, code: str, hub_id: str, actor: str) -> Return:
        scanned = self.receiving.scan(code, hub_id, actor)
        if scanned.exchange is not None and scanned.exchange.instant is not None:
            try:  # an instant exchange's card is let go (else at resolution, which asks again)
                return self.exchanging.instant.settle_on_receipt(scanned.rma, actor)
            except (PaymentProviderUnavailableError, PaymentConfigurationError):
                log.exception("instant exchange not settled at the scan", extra={"rma": scanned.rma})
        return scanned

    def inspect(self, rma: str, grades: list[Grading], actor: str) -> Return:
        return self.receiving.inspect(rma, grades, actor)

    def evidence_arrived(self, rma: str, source: str) -> Return:
        return self.receiving.evidence_arrived(rma, source)

    # --- news from carriers and payment providers ---------------------------------------------

    def carrier_update(self, rma: str, status: ReturnStatus, source: str) -> Return:
        return self.shipping.carrier_update(rma, status, source)

    def carrier_news(self, rma: str, status: ReturnStatus, source: str) -> tuple[Return, bool]:
        return self.shipping.carrier_news(rma, status, source)

    def settlement(
        self,
        rma: str,
        succeeded: bool,
        source: str,
        failure_reason: str | None = None,
        reference: str | None = None,
    ) -> Return:
        # A cheaper replacement's difference refund settles on the exchanged return (exchange.py).
        settled = self.exchanging.settled(rma, succeeded, source, failure_reason, reference)
        if settled is not None:
            return settled
        return self.settling.settlement(rma, succeeded, source, failure_reason, reference)

    # --- refunds: finance's other ways to pay, and disputes ------------------------------------

    def retry_refund(
        self, rma: str, method: PayoutMethod, actor: str, reference: str | None = None
    ) -> Return:
        return self.settling.retry_refund(rma, method, actor, reference)

    def difference_paid(
        self, rma: str, reference: str, amount: int, currency: str, source: str
    ) -> Return | None:
        """A dearer replacement's difference paid (Stripe Checkout, a Shopify invoice); None where
        `reference` is not this return's request."""
        return self.exchanging.difference.paid(rma, reference, amount, currency, source)

    def dispute_created(
        self, charge: str, payment_intent: str | None, dispute: str, source: str
    ) -> list[Return]:
        return self.settling.dispute_created(charge, payment_intent, dispute, source)
