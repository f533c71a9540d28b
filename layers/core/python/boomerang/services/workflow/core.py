"""What every phase of a return's journey shares: the dependencies, the one transactional move,
the waits' tables, the errors the payment steps raise and the refund idempotency key.

Every change goes through the status table, is conditional on the version read, and writes its
timeline entry and outbox event in the same transaction (Repository.save). Waits are Step
Functions task tokens kept on the return: whoever brings the news writes the new status and, in
the same transaction, takes the token off the return; then it resumes the workflow with it. A
wait that begins after its news already came resumes at once, so neither order loses anything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from boomerang.carriers.fixed import NO_LABELS, OneCarrier
from boomerang.carriers.port import Carrier, Carriers, ReturnLabels
from boomerang.domain.errors import DomainError
from boomerang.domain.models import Return, TimelineEntry, Wait
from boomerang.domain.policy import Policy
from boomerang.domain.status import ReturnStatus, event_type
from boomerang.notify.port import Notifier
from boomerang.notify.sandbox import SandboxNotifier
from boomerang.orchestration.step_functions import WorkflowEngine
from boomerang.payments.port import Payments
from boomerang.services.rates import RatesReader
from boomerang.services.store_credit import StoreCredit
from boomerang.store.catalog import CatalogStore, Hold
from boomerang.store.rates import RatesStore
from boomerang.store.records import Event, Repository, ReturnChange, moved

S = ReturnStatus
log = logging.getLogger(__name__)


class PaymentsUnavailable(DomainError):
    """The payment provider is rate limiting, failing or unreachable: retry the same request later."""

    code = "payment_provider_unavailable"
    http_status = 503


class PaymentsMisconfigured(DomainError):
    """The payment integration is misconfigured (e.g. a bad Stripe key): an administrator must fix it."""

    code = "payment_provider_misconfigured"
    http_status = 502


# Which statuses end each wait: the news the waiting task is resumed with.
WAIT_ENDS: dict[Wait, frozenset[ReturnStatus]] = {
    Wait.REVIEW: frozenset({S.APPROVED, S.REJECTED, S.AWAITING_EVIDENCE, S.CANCELLED}),
    Wait.EVIDENCE: frozenset({S.APPROVED, S.PENDING_REVIEW, S.REJECTED, S.CANCELLED, S.EXPIRED}),
    Wait.CARRIER: frozenset({S.IN_TRANSIT, S.DELIVERED, S.CANCELLED, S.EXPIRED}),
    Wait.INSPECTION: frozenset({S.INSPECTED}),
    Wait.SETTLEMENT: frozenset({S.REFUNDED, S.REFUND_FAILED}),
    Wait.REFUND_RETRY: frozenset({S.REFUND_PENDING, S.CREDITED, S.CLOSED}),
    Wait.FULFILMENT: frozenset({S.REPLACEMENT_SHIPPED}),
    # The payment's news keeps the status (difference.py takes the token); these end it too.
    Wait.PAYMENT: frozenset({S.EXCHANGED, S.REFUNDED, S.CREDITED, S.REFUND_FAILED}),
}
# Where an exchange's held replacement units go back to the catalog: the return ends unexchanged.
RELEASES_HOLD = frozenset({S.REJECTED, S.EXPIRED, S.CANCELLED})

# What the return must still be in for the wait to begin (else its news already came).
WAIT_FROM: dict[Wait, frozenset[ReturnStatus]] = {
    Wait.REVIEW: frozenset({S.PENDING_REVIEW}),
    Wait.EVIDENCE: frozenset({S.AWAITING_EVIDENCE}),
    Wait.CARRIER: frozenset({S.LABEL_ISSUED, S.IN_TRANSIT}),
    Wait.INSPECTION: frozenset({S.DELIVERED, S.RECEIVED}),
    Wait.SETTLEMENT: frozenset({S.REFUND_PENDING}),
    Wait.REFUND_RETRY: frozenset({S.REFUND_FAILED}),
    Wait.FULFILMENT: frozenset({S.EXCHANGED}),
    Wait.PAYMENT: frozenset({S.REFUND_PENDING}),
}


class WorkflowCore:
    """The dependencies every phase uses, and the one write they all go through. ReturnWorkflow is
    one: a dependency swapped on it (a test's engine, a local notifier) is what every phase uses."""

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
        self.repo = repo
        self.policy_for = policy_for
        self.engine = engine
        # The shop's carrier per hub (CarrierFactory); one carrier given alone serves every hub (a
        # test's sandbox); None: this function buys no labels.
        if carrier is None:
            carrier = NO_LABELS
        self.carriers: Carriers = carrier if hasattr(carrier, "for_hub") else OneCarrier(carrier)  # type: ignore[assignment]
        self.payments = payments
        self.clock = clock
        self.notifier = notifier or SandboxNotifier()
        self.credit = StoreCredit(repo)
        self.rates = RatesReader(RatesStore(repo.table, repo.ddb))
        self.catalog = CatalogStore(repo.table, repo.ddb)
        # The portal's base URL (PORTAL_BASE_URL): where a customer who paid comes back to.
        self.portal_base_url = ""

    def move(
        self,
        ret: Return,
        target: ReturnStatus,
        message: str,
        actor: str,
        data: dict[str, Any] | None = None,
        *,
        extra_items: list[dict[str, Any]] | None = None,
        extra_events: list[Event] | None = None,
        **changes: Any,
    ) -> Return:
        """Write `ret` in `target` (checked by the status table) with its timeline entry and event;
        if the move ends the open wait, take the token and resume the workflow with the news."""
        now = self.clock()
        token = ret.task_token if ret.waiting_for and target in WAIT_ENDS[ret.waiting_for] else None
        if token:
            changes.update(waiting_for=None, task_token=None)
        extra = list(extra_items or [])
        exchange = changes.get("exchange", ret.exchange)
        if target in RELEASES_HOLD and exchange is not None and exchange.hold == "held":
            extra += self.release_hold(ret.shop, exchange)
            changes["exchange"] = exchange.model_copy(update={"hold": "released"})
        new = moved(ret, target, now).model_copy(update=changes)
        entry = TimelineEntry(
            version=new.version, at=now, status=target, event=event_type(target), message=message, actor=actor
        )
        event = Event(
            event_type(target),
            {"rma": new.rma, "order_id": new.order_id, "status": target.value, **(data or {})},
        )
        events = [event, *(extra_events or [])]
        self.repo.save(ReturnChange(new, ret.version, [entry], events, extra))
        if token:
            try:
                self.engine.resume(token, {"rma": new.rma, "status": target.value})
            except Exception:
                # The news is saved; the answer stands. The execution then resumes through its wait's
                # timeout, whose step reads the saved status (escalate, expire) and moves on.
                log.exception("could not resume the workflow", extra={"rma": new.rma, "status": target.value})
        return new

    def portal_url(self, ret: Return) -> str:
        return f"{self.portal_base_url.rstrip('/')}/{ret.shop}/returns/{ret.rma}"

    def get(self, rma: str) -> Return:
        return self.repo.get_return(rma)[0]

    def release_hold(self, shop: str, exchange: Any) -> list[dict[str, Any]]:
        """TransactItems giving an exchange's held units back to the catalog."""
        holds = [Hold(r.product_id, r.variant_id, r.quantity) for r in exchange.lines]
        return self.catalog.release_items(shop, holds)


class Phase:
    """One part of a return's journey: its steps and news, working through the shared core."""

    def __init__(self, core: WorkflowCore):
        self.core = core


def refund_key(rma: str, attempt: int) -> str:
    """The provider's idempotency key: one per return and attempt, so a retried step asks once."""
    return f"boomerang:{rma}:refund:{attempt}"
