"""A return's way from request to close: the steps the state machine runs, and the news from
people and systems that moves it on.

Every change goes through the status table, is conditional on the version read, and writes its
timeline entry and outbox event in the same transaction (Repository.save). Waits are Step
Functions task tokens kept on the return: whoever brings the news writes the new status and, in
the same transaction, takes the token off the return; then it resumes the workflow with it. A
wait that begins after its news already came resumes at once, so neither order loses anything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from boomerang.carriers.port import Carrier
from boomerang.domain import rma as rma_numbers
from boomerang.domain.errors import Conflict, DomainError, NotFound, Unprocessable
from boomerang.domain.models import (
    Acceptance,
    Failure,
    Grade,
    InspectedItem,
    Inspection,
    Reception,
    Refund,
    Resolution,
    Return,
    TimelineEntry,
    Wait,
)
from boomerang.domain.money import Money
from boomerang.domain.policy import Policy, RequestedItem
from boomerang.domain.refund_failures import HOW_LONG, PayoutMethod, refund_failure
from boomerang.domain.refunds import quote_refund, store_credit_amount
from boomerang.domain.status import ReturnStatus, event_type
from boomerang.notify.messages import message_for
from boomerang.notify.port import Notifier
from boomerang.notify.sandbox import SandboxNotifier
from boomerang.orchestration.step_functions import WorkflowEngine
from boomerang.payments.port import (
    PaymentConfigurationError,
    PaymentProviderUnavailable,
    Payments,
    RefundRefused,
)
from boomerang.services.decisions import decide_request, recent_returns
from boomerang.services.retry import retry_stale
from boomerang.services.store_credit import StoreCredit
from boomerang.store.payment_index import payment_index_put, returns_for_payment
from boomerang.store.records import Event, Repository, ReturnChange, moved
from boomerang.store.tracking import tracking_put

S = ReturnStatus
log = logging.getLogger(__name__)
# Where resolving has nothing left to do: a retried step, or news (a webhook, finance) came first.
RESOLVED = frozenset({S.REFUNDED, S.CREDITED, S.EXCHANGED, S.CLOSED, S.REFUND_FAILED})


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
}
# What the return must still be in for the wait to begin (else its news already came).
WAIT_FROM: dict[Wait, frozenset[ReturnStatus]] = {
    Wait.REVIEW: frozenset({S.PENDING_REVIEW}),
    Wait.EVIDENCE: frozenset({S.AWAITING_EVIDENCE}),
    Wait.CARRIER: frozenset({S.LABEL_ISSUED, S.IN_TRANSIT}),
    Wait.INSPECTION: frozenset({S.DELIVERED, S.RECEIVED}),
    Wait.SETTLEMENT: frozenset({S.REFUND_PENDING}),
    Wait.REFUND_RETRY: frozenset({S.REFUND_FAILED}),
}


@dataclass(frozen=True)
class Grading:
    line_id: str
    grade: Grade
    notes: str | None = None


class ReturnWorkflow:
    def __init__(
        self,
        repo: Repository,
        policy_for: Callable[[str], Policy],
        engine: WorkflowEngine,
        carrier: Carrier,
        payments: Payments,
        clock: Callable[[], datetime],
        notifier: Notifier | None = None,
    ):
        self.repo = repo
        self.policy_for = policy_for
        self.engine = engine
        self.carrier = carrier
        self.payments = payments
        self.clock = clock
        self.notifier = notifier or SandboxNotifier()
        self.credit = StoreCredit(repo)

    # --- the shared write ---------------------------------------------------------------------

    def _move(
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
        new = moved(ret, target, now).model_copy(update=changes)
        entry = TimelineEntry(
            version=new.version, at=now, status=target, event=event_type(target), message=message, actor=actor
        )
        event = Event(
            event_type(target),
            {"rma": new.rma, "order_id": new.order_id, "status": target.value, **(data or {})},
        )
        events = [event, *(extra_events or [])]
        self.repo.save(ReturnChange(new, ret.version, [entry], events, extra_items or []))
        if token:
            try:
                self.engine.resume(token, {"rma": new.rma, "status": target.value})
            except Exception:
                # The news is saved; the answer stands. The execution then resumes through its wait's
                # timeout, whose step reads the saved status (escalate, expire) and moves on.
                log.exception("could not resume the workflow", extra={"rma": new.rma, "status": target.value})
        return new

    def _get(self, rma: str) -> Return:
        return self.repo.get_return(rma)[0]

    # --- steps the state machine runs ---------------------------------------------------------

    @retry_stale
    def decide(self, rma: str) -> dict[str, Any]:
        """The decide step. A return requested through the storefront was decided in the request;
        one still `requested` is decided here by the same code. Either way the workflow gets what
        it branches on and how long each wait may last."""
        ret = self._get(rma)
        policy = self.policy_for(ret.shop)
        if ret.status is S.REQUESTED:
            now = self.clock()
            order = self.repo.get_order(ret.shop, ret.order_id)
            prior = recent_returns(self.repo.get_customer(ret.shop, ret.customer_ref), now, excluding=ret.rma)
            items = [
                RequestedItem(line_id=i.line_id, quantity=i.quantity, reason=i.reason) for i in ret.items
            ]
            decision, status = decide_request(policy, order, items, len(prior), now)
            ret = self._move(
                ret,
                status,
                " ".join(rule.message for rule in decision.rules),
                f"policy:v{policy.version}",
                {"outcome": decision.outcome.value},
                decision=decision,
            )
        timeouts = policy.timeouts
        return {
            "rma": rma,
            "status": ret.status.value,
            "refund_on_delivery": ret.decision.refund_on_delivery,
            "timeouts": {f"{name}_seconds": int(value.total_seconds()) for name, value in timeouts},
        }

    @retry_stale
    def hold(self, rma: str, wait: Wait, token: str) -> None:
        """Keep the task token on the return until the news comes; if it came already, resume now."""
        ret = self._get(rma)
        if ret.status not in WAIT_FROM[wait]:
            self.engine.resume(token, {"rma": rma, "status": ret.status.value})
            return
        held = ret.model_copy(
            update={
                "waiting_for": wait,
                "task_token": token,
                "version": ret.version + 1,
                "updated_at": self.clock(),
            }
        )
        self.repo.save(ReturnChange(held, ret.version, [], []))

    @retry_stale
    def issue_label(self, rma: str) -> dict[str, Any]:
        ret = self._get(rma)
        if ret.status is not S.APPROVED:  # a retried step (the label exists) or cancelled meanwhile
            return {"rma": rma, "status": ret.status.value}
        policy = self.policy_for(ret.shop)
        hub = next(h for h in policy.hubs if h.hub_id == ret.hub.hub_id)
        now = self.clock()
        label = self.carrier.buy_return_label(ret, hub, now + policy.timeouts.label_valid, now)
        done = self._move(
            ret,
            S.LABEL_ISSUED,
            f"Prepaid {label.carrier} label issued to {hub.name}, valid until {label.valid_until:%Y-%m-%d}.",
            "workflow",
            {"carrier": label.carrier, "tracking_number": label.tracking_number},
            # Carrier webhooks find the return by its tracking number: indexed with the label.
            extra_items=[tracking_put(self.repo, label.tracking_number, ret.rma, ret.shop, label.carrier)],
            label=label,
        )
        return {"rma": rma, "status": done.status.value}

    @retry_stale
    def resolve(self, rma: str) -> dict[str, Any]:
        """Pay what policy allows (boomerang.domain.refunds: grades, fees, earlier refunds on the
        charge, never more than captured). Store credit and exchanges settle at once; a card refund
        waits for the provider's webhook. A refused refund goes to refund_failed with its reason; a
        provider outage raises PaymentProviderUnavailable (the state machine retries the step with
        backoff; the idempotency key stays the same); a configuration error raises for staff."""
        ret = self._get(rma)
        if ret.status in RESOLVED:
            return {"rma": rma, "status": ret.status.value}
        if ret.status is S.REFUND_PENDING and ret.refund is not None and ret.refund.status == "pending":
            return {"rma": rma, "status": ret.status.value}  # a retried step: already asked
        policy = self.policy_for(ret.shop)
        order = self.repo.get_order(ret.shop, ret.order_id)
        quote = quote_refund(ret, policy.refunds, order.total, self._earlier_refunds(ret))
        amount = quote.amount
        if amount.amount == 0 and ret.status is S.INSPECTED:
            closed = self._move(
                ret,
                S.CLOSED,
                "Nothing to refund: the inspection graded every item unrefundable"
                + (
                    ", or fees and earlier refunds leave nothing."
                    if ret.inspection and ret.inspection.refund_total.amount
                    else "."
                ),
                "workflow",
            )
            return {"rma": rma, "status": closed.status.value}
        reason = (
            "Refund on delivery, as the policy allows for this return."
            if ret.inspection is None
            else f"Refund after inspection: {amount}."
        )
        if quote.return_shipping_fee.amount or any(line.restocking_fee.amount for line in quote.lines):
            fees = sum(line.restocking_fee.amount for line in quote.lines) + quote.return_shipping_fee.amount
            reason += (
                f" Fees deducted as the policy sets them: {Money(amount=fees, currency=amount.currency)}."
            )
        if ret.dispute and ret.resolution is not Resolution.EXCHANGE:
            return self._refund_refused(ret, amount, "charge_disputed", 1)
        if ret.resolution is Resolution.REFUND:
            # Asked first (idempotent by key), then saved with the move in one write: a payment
            # webhook can never find the return pending without the refund it settles.
            attempt = 1
            try:
                refund = self.payments.refund(ret, amount, refund_key(rma, attempt), order.payment_reference)
            except RefundRefused as exc:
                return self._refund_refused(ret, amount, exc.reason, attempt)
            refund = refund.model_copy(update={"attempt": attempt, "paid_via": "card"})
            data = {"amount": amount.amount, "currency": amount.currency, "reference": refund.reference}
            index = (
                [payment_index_put(self.repo, order.payment_reference, rma, ret.shop, ret.order_id)]
                if order.payment_reference
                else []
            )
            self._move(
                ret,
                S.REFUND_PENDING,
                f"{reason} {amount} requested.",
                "workflow",
                data,
                extra_items=index,
                refund=refund,
            )
            return {"rma": rma, "status": S.REFUND_PENDING.value}
        if ret.status is not S.REFUND_PENDING:
            ret = self._move(ret, S.REFUND_PENDING, reason, "workflow")
        if ret.resolution is Resolution.STORE_CREDIT:
            credit, bonus = store_credit_amount(amount, policy.refunds)
            done = self._issue_credit(ret, credit, bonus, "workflow", ret.refund.attempt if ret.refund else 1)
            return {"rma": rma, "status": done.status.value}
        done = self._move(
            ret,
            S.EXCHANGED,
            "Exchange sent.",
            "workflow",
            {"amount": amount.amount, "currency": amount.currency},
            refund=Refund(method=ret.resolution, amount=amount, status="succeeded"),
        )
        return {"rma": rma, "status": done.status.value}

    def _earlier_refunds(self, ret: Return) -> Money:
        """What other returns of the order asked or got back on the same charge."""
        total = Money.zero(ret.amount.currency)
        for other in self.repo.returns_of_order(ret.shop, ret.order_id, limit=100).items:
            refund = other.refund
            if other.rma == ret.rma or refund is None or refund.method is not Resolution.REFUND:
                continue
            if refund.status in ("pending", "succeeded") and refund.paid_via in (None, "card"):
                total = total + refund.amount
        return total

    def _refund_refused(self, ret: Return, amount: Money, reason: str, attempt: int) -> dict[str, Any]:
        failure = refund_failure(reason)
        refund = Refund(
            method=Resolution.REFUND,
            amount=amount,
            status="failed",
            failure_reason=failure.reason,
            attempt=attempt,
            paid_via="card",
        )
        if ret.status is not S.REFUND_PENDING:
            ret = self._move(
                ret, S.REFUND_PENDING, f"Refund of {amount} requested.", "workflow", refund=refund
            )
        changes: dict[str, Any] = {"refund": refund}
        if failure.disputed:
            changes["dispute"] = ret.dispute or "disputed"
        done = self._move(
            ret,
            S.REFUND_FAILED,
            f"The refund was refused ({failure.reason}): {failure.staff_note}",
            "workflow",
            {"failure_reason": failure.reason, "method": "card"},
            **changes,
        )
        return {"rma": ret.rma, "status": done.status.value}

    def _issue_credit(self, ret: Return, credit: Money, bonus: Money, actor: str, attempt: int) -> Return:
        items = self.credit.issue_items(ret.shop, ret.customer_ref, ret.rma, credit, bonus, self.clock())
        what = f"Store credit of {credit} issued" + (
            f", including a {bonus} bonus for choosing store credit." if bonus.amount else "."
        )
        data = {"amount": credit.amount, "currency": credit.currency, "bonus": bonus.amount}
        issued = Event(
            "store_credit.issued",
            {"rma": ret.rma, "order_id": ret.order_id, "customer_ref": ret.customer_ref, **data},
        )
        return self._move(
            ret,
            S.CREDITED,
            what,
            actor,
            data,
            extra_items=items,
            extra_events=[issued],
            refund=Refund(
                method=Resolution.STORE_CREDIT,
                amount=credit,
                status="succeeded",
                attempt=attempt,
                paid_via=PayoutMethod.STORE_CREDIT.value,
            ),
        )

    @retry_stale
    def notify(self, rma: str, announce: ReturnStatus | None = None) -> dict[str, Any]:
        """Tell the customer of `announce` (or of where the return stands now). The state machine
        names the status it announces, so news that moved the return on meanwhile does not
        swallow the message. The timeline records each sending: a retried step sends nothing again."""
        ret, timeline = self.repo.get_return(rma)
        status = announce or ret.status
        event = f"customer.notified.{status.value}"
        if any(entry.event == event for entry in timeline) or status not in {e.status for e in timeline}:
            return {"rma": rma, "status": ret.status.value, "notified": False}
        reason = next(
            (
                e.message.removeprefix("Rejected by staff: ")
                for e in reversed(timeline)
                if e.status is S.REJECTED
            ),
            None,
        )
        message = message_for(ret.model_copy(update={"status": status}), reason)
        if message is None:
            return {"rma": rma, "status": ret.status.value, "notified": False}
        message_id = self.notifier.send(ret, message)
        entry = TimelineEntry(
            version=ret.version + 1,
            at=self.clock(),
            status=ret.status,
            event=event,
            message=f"Customer told: {message.subject}",
            actor="workflow",
        )
        noted = ret.model_copy(update={"version": ret.version + 1, "updated_at": entry.at})
        data = {"rma": rma, "template": message.template, "message_id": message_id}
        self.repo.save(ReturnChange(noted, ret.version, [entry], [Event("customer.notified", data)]))
        return {"rma": rma, "status": ret.status.value, "notified": True}

    @retry_stale
    def close(self, rma: str) -> dict[str, Any]:
        ret = self._get(rma)
        if ret.status is not S.CLOSED:
            ret = self._move(ret, S.CLOSED, "Return closed.", "workflow")
        return {"rma": rma, "status": ret.status.value}

    @retry_stale
    def expire(self, rma: str, wait: Wait) -> dict[str, Any]:
        """A wait's time ran out where running out means the end (evidence never came, label unused)."""
        ret = self._get(rma)
        if ret.status in WAIT_FROM[wait] and ret.status is not S.IN_TRANSIT:
            what = (
                "The unboxing video did not arrive in time."
                if wait is Wait.EVIDENCE
                else ("The return label was not used before it expired.")
            )
            ret = self._move(ret, S.EXPIRED, what, "workflow", waiting_for=None, task_token=None)
        return {"rma": rma, "status": ret.status.value}

    @retry_stale
    def escalate(self, rma: str, wait: Wait) -> dict[str, Any]:
        """A wait's time ran out where a person must act: flag it, say so, and wait again."""
        ret = self._get(rma)
        entry = TimelineEntry(
            version=ret.version + 1,
            at=self.clock(),
            status=ret.status,
            event="return.escalated",
            message=f"Waiting too long for {wait.value}; escalated to staff.",
            actor="workflow",
        )
        flagged = ret.model_copy(
            update={
                "escalated": True,
                "waiting_for": None,
                "task_token": None,
                "version": ret.version + 1,
                "updated_at": entry.at,
            }
        )
        self.repo.save(
            ReturnChange(
                flagged,
                ret.version,
                [entry],
                [Event("return.escalated", {"rma": rma, "wait": wait.value, "status": ret.status.value})],
            )
        )
        return {"rma": rma, "status": ret.status.value}

    @retry_stale
    def record_failure(self, rma: str, step: str, error: str, cause: str) -> dict[str, Any]:
        ret = self._get(rma)
        failure = Failure(step=step, error=error, cause=cause[:2000], at=self.clock())
        entry = TimelineEntry(
            version=ret.version + 1,
            at=failure.at,
            status=ret.status,
            event="workflow.failed",
            message=f"Step '{step}' failed ({error}); staff are alerted.",
            actor="workflow",
        )
        failed = ret.model_copy(
            update={"failure": failure, "version": ret.version + 1, "updated_at": failure.at}
        )
        self.repo.save(
            ReturnChange(
                failed,
                ret.version,
                [entry],
                [Event("workflow.failed", {"rma": rma, "step": step, "error": error})],
            )
        )
        return {"rma": rma, "status": ret.status.value, "failed_step": step}

    # --- news from staff ----------------------------------------------------------------------

    @retry_stale
    def approve(self, rma: str, actor: str, note: str | None = None) -> Return:
        message = f"Approved by staff{': ' + note if note else ''}."
        return self._staff_decision(rma, S.APPROVED, Acceptance.ACCEPTED, message, actor, {})

    @retry_stale
    def reject(self, rma: str, actor: str, reason: str) -> Return:
        message = f"Rejected by staff: {reason}"
        return self._staff_decision(rma, S.REJECTED, Acceptance.REJECTED, message, actor, {"reason": reason})

    def _staff_decision(
        self,
        rma: str,
        target: ReturnStatus,
        acceptance: Acceptance,
        message: str,
        actor: str,
        data: dict[str, Any],
    ) -> Return:
        ret = self._get(rma)
        items = [i.model_copy(update={"acceptance": acceptance}) for i in ret.items]
        return self._move(ret, target, message, actor, {"decided_by": actor, **data}, items=items)

    @retry_stale
    def scan(self, code: str, hub_id: str, actor: str) -> Return:
        """The warehouse scans the RMA on a parcel: refused if the code fails its check character,
        is unknown, or the parcel is at another hub than the return's."""
        try:
            rma = rma_numbers.normalize(code)
        except rma_numbers.InvalidRma as exc:
            raise Unprocessable(
                str(exc),
                code="invalid_rma",
                details=[{"field": "code", "code": "invalid_rma", "message": str(exc)}],
            ) from exc
        try:
            ret = self._get(rma)
        except NotFound as exc:
            raise NotFound(f"No return {rma}.", code="return_not_found") from exc
        hub_id = hub_id.strip().lower()
        if ret.hub.hub_id != hub_id:
            raise Conflict(
                f"Return {rma} goes to {ret.hub.name} ({ret.hub.hub_id}), not {hub_id}: set it aside.",
                code="wrong_hub",
                details=[{"expected_hub": ret.hub.hub_id, "scanned_at": hub_id}],
            )
        if ret.status is S.IN_TRANSIT or ret.status is S.LABEL_ISSUED:
            # The parcel is in our hands before the carrier's delivery scan reached us.
            ret = self._move(ret, S.DELIVERED, f"Delivered to {ret.hub.name} (warehouse scan).", actor)
        items = [i.model_copy(update={"reception": Reception.RECEIVED}) for i in ret.items]
        return self._move(
            ret,
            S.RECEIVED,
            f"Received at {ret.hub.name}.",
            actor,
            {"hub": hub_id},
            items=items,
            received_at_hub=hub_id,
        )

    @retry_stale
    def inspect(self, rma: str, grades: list[Grading], actor: str) -> Return:
        ret = self._get(rma)
        policy = self.policy_for(ret.shop)
        by_line = {i.line_id: i for i in ret.items}
        graded = {g.line_id for g in grades}
        if graded != set(by_line) or len(graded) != len(grades):
            raise Unprocessable(
                "Grade every item of the return once.",
                code="inspection_incomplete",
                details=[{"field": "items", "expected": sorted(by_line), "got": [g.line_id for g in grades]}],
            )
        items: list[InspectedItem] = []
        total = Money.zero(ret.amount.currency)
        for g in grades:
            amount = by_line[g.line_id].amount
            refund = Money(
                amount=amount.amount * policy.grades[g.grade].refund_percent // 100, currency=amount.currency
            )
            items.append(InspectedItem(line_id=g.line_id, grade=g.grade, notes=g.notes, refund=refund))
            total = total + refund
        inspection = Inspection(
            items=items, refund_total=total, inspected_by=actor, inspected_at=self.clock()
        )
        dispositions = [
            {
                "line_id": i.line_id,
                "sku": by_line[i.line_id].sku,
                "grade": i.grade.value,
                "disposition": policy.grades[i.grade].disposition,
            }
            for i in items
        ]
        return self._move(
            ret,
            S.INSPECTED,
            f"Inspected: {', '.join(f'{i.line_id} {i.grade.value}' for i in items)}; refund allowed {total}.",
            actor,
            {"items": dispositions, "refund": total.amount},
            inspection=inspection,
        )

    @retry_stale
    def evidence_arrived(self, rma: str, source: str) -> Return:
        """The customer's evidence is recorded (services/evidence.py): staff review it next."""
        ret = self._get(rma)
        if ret.status is not S.AWAITING_EVIDENCE:
            return ret  # a second upload, or news that came after a decision
        return self._move(
            ret, S.PENDING_REVIEW, "Evidence received; staff review it before approval.", source
        )

    # --- news from carriers and payment providers ---------------------------------------------

    def carrier_update(self, rma: str, status: ReturnStatus, source: str) -> Return:
        return self.carrier_news(rma, status, source)[0]

    @retry_stale
    def carrier_news(self, rma: str, status: ReturnStatus, source: str) -> tuple[Return, bool]:
        """The return after the carrier's news, and whether this news moved it (the workflow may
        move it on meanwhile, so a changed version alone does not say)."""
        ret = self._get(rma)
        if ret.status is status or status not in (S.IN_TRANSIT, S.DELIVERED):
            return ret, False  # a repeated or late scan never moves a return backwards
        if ret.status not in (S.LABEL_ISSUED, S.IN_TRANSIT):
            return ret, False
        items = [i.model_copy(update={"reception": Reception.IN_TRANSIT}) for i in ret.items]
        what = "In transit." if status is S.IN_TRANSIT else f"Delivered to {ret.hub.name}."
        news = items if status is S.IN_TRANSIT else ret.items
        return self._move(ret, status, what, source, items=news), True

    @retry_stale
    def settlement(
        self,
        rma: str,
        succeeded: bool,
        source: str,
        failure_reason: str | None = None,
        reference: str | None = None,
    ) -> Return:
        """The provider's news of a refund. Only the pending refund it names (when it names one) is
        settled: a repeated, late or out-of-order event, or news of an earlier attempt, changes nothing."""
        ret = self._get(rma)
        if ret.status is not S.REFUND_PENDING or ret.refund is None or ret.refund.status != "pending":
            return ret  # stale or repeated news: the refund it settles is settled already
        if reference is not None and ret.refund.reference != reference:
            return ret  # news of another refund (an earlier attempt, or one made outside Boomerang)
        if succeeded:
            refund = ret.refund.model_copy(update={"status": "succeeded"})
            return self._move(
                ret,
                S.REFUNDED,
                f"Refunded {refund.amount}; banks take 5-10 business days to show it.",
                source,
                {"amount": refund.amount.amount, "currency": refund.amount.currency},
                refund=refund,
            )
        failure = refund_failure(failure_reason)
        refund = ret.refund.model_copy(update={"status": "failed", "failure_reason": failure.reason})
        changes: dict[str, Any] = {"refund": refund}
        if failure.disputed:
            changes["dispute"] = ret.dispute or "disputed"
        return self._move(
            ret,
            S.REFUND_FAILED,
            f"The refund failed ({failure.reason}): {failure.staff_note}",
            source,
            {"failure_reason": failure.reason, "method": refund.paid_via or "card"},
            **changes,
        )

    # --- refunds: finance's other ways to pay, and disputes ------------------------------------

    @retry_stale
    def retry_refund(
        self, rma: str, method: PayoutMethod, actor: str, reference: str | None = None
    ) -> Return:
        """Finance pays a failed refund another way: the card again (a new attempt, a new
        idempotency key), store credit at once, or PayPal / bank transfer paid by finance outside
        Boomerang (`reference` is their payout's id). A disputed return is never paid again."""
        ret = self._get(rma)
        if ret.dispute:
            raise Conflict(
                f"Return {rma} is disputed ({ret.dispute}): the dispute decides; nothing is refunded again.",
                code="return_disputed",
            )
        if ret.status is not S.REFUND_FAILED or ret.refund is None:
            raise Conflict(
                f"Return {rma} is {ret.status.value}: only a failed refund is paid another way.",
                code="refund_not_failed",
                details=[{"status": ret.status.value}],
            )
        amount, attempt = ret.refund.amount, ret.refund.attempt + 1
        if method is PayoutMethod.STORE_CREDIT:
            return self._issue_credit(ret, amount, Money.zero(amount.currency), actor, attempt)
        if method is PayoutMethod.CARD:
            failure = refund_failure(ret.refund.failure_reason)
            if not failure.card_retry:
                raise Unprocessable(
                    f"The card cannot take this refund ({failure.reason}): choose store credit, PayPal or "
                    "bank transfer.",
                    code="method_not_possible",
                    details=[{"field": "method", "failure_reason": failure.reason}],
                )
            order = self.repo.get_order(ret.shop, ret.order_id)
            try:
                refund = self.payments.refund(ret, amount, refund_key(rma, attempt), order.payment_reference)
            except RefundRefused as exc:
                refused = refund_failure(exc.reason)
                raise Unprocessable(
                    f"The provider refused the refund again ({refused.reason}): {refused.staff_note}",
                    code="refund_refused",
                    details=[{"failure_reason": refused.reason}],
                ) from exc
            except PaymentProviderUnavailable as exc:
                raise PaymentsUnavailable("The payment provider is unavailable; retry shortly.") from exc
            except PaymentConfigurationError as exc:
                raise PaymentsMisconfigured(f"The payment integration is misconfigured: {exc}") from exc
            index = (
                [payment_index_put(self.repo, order.payment_reference, rma, ret.shop, ret.order_id)]
                if order.payment_reference
                else []
            )
            return self._move(
                ret,
                S.REFUND_PENDING,
                f"Finance retried the refund of {amount} to the card (attempt {attempt}).",
                actor,
                {"amount": amount.amount, "currency": amount.currency, "reference": refund.reference},
                extra_items=index,
                refund=refund.model_copy(update={"attempt": attempt, "paid_via": "card"}),
            )
        if not reference:
            raise Unprocessable(
                f"Name the {method.value} payout's reference.",
                code="validation_failed",
                details=[{"field": "reference", "code": "missing", "message": "Required for this method."}],
            )
        paid = Refund(
            method=Resolution.REFUND,
            amount=amount,
            status="pending",
            reference=f"{method.value}:{reference}",
            attempt=attempt,
            paid_via=method.value,
        )
        ret = self._move(
            ret,
            S.REFUND_PENDING,
            f"Finance pays {amount} by {method.value.replace('_', ' ')}.",
            actor,
            {"amount": amount.amount, "currency": amount.currency, "method": method.value},
            refund=paid,
        )
        return self._move(
            ret,
            S.REFUNDED,
            f"Paid {amount} by {method.value.replace('_', ' ')} (reference {reference}); it reaches the "
            f"customer in {HOW_LONG[method]}.",
            actor,
            {"amount": amount.amount, "currency": amount.currency, "method": method.value},
            refund=paid.model_copy(update={"status": "succeeded"}),
        )

    def dispute_created(
        self, charge: str, payment_intent: str | None, dispute: str, source: str
    ) -> list[Return]:
        """A dispute (chargeback) on a payment: every return refunding it is marked, so nothing
        refunds it again; a pending refund is failed by the provider itself."""
        rmas = returns_for_payment(self.repo, charge)
        if payment_intent:
            rmas += [r for r in returns_for_payment(self.repo, payment_intent) if r not in rmas]
        return [self._mark_disputed(rma, charge, dispute, source) for rma in rmas]

    @retry_stale
    def _mark_disputed(self, rma: str, charge: str, dispute: str, source: str) -> Return:
        ret = self._get(rma)
        if ret.dispute == dispute:
            return ret  # a repeated event
        at = self.clock()
        entry = TimelineEntry(
            version=ret.version + 1,
            at=at,
            status=ret.status,
            event="dispute.created",
            message="The customer disputed the payment with their bank: dispute handling decides; "
            "nothing is refunded again.",
            actor=source,
        )
        marked = ret.model_copy(update={"dispute": dispute, "version": ret.version + 1, "updated_at": at})
        event = Event(
            "dispute.created", {"rma": rma, "order_id": ret.order_id, "charge": charge, "dispute": dispute}
        )
        self.repo.save(ReturnChange(marked, ret.version, [entry], [event]))
        return marked


def refund_key(rma: str, attempt: int) -> str:
    """The provider's idempotency key: one per return and attempt, so a retried step asks once."""
    return f"boomerang:{rma}:refund:{attempt}"
