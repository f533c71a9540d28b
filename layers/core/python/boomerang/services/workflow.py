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
from boomerang.domain.errors import Conflict, NotFound, Unprocessable
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
from boomerang.domain.status import ReturnStatus, event_type
from boomerang.notify.messages import message_for
from boomerang.notify.port import Notifier
from boomerang.notify.sandbox import SandboxNotifier
from boomerang.payments.port import Payments
from boomerang.services.decisions import decide_request, recent_returns
from boomerang.services.retry import retry_stale
from boomerang.store.records import Event, Repository, ReturnChange, moved
from boomerang.store.tracking import tracking_put
from boomerang.workflow.engine import WorkflowEngine

S = ReturnStatus
log = logging.getLogger(__name__)

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

    # --- the shared write ---------------------------------------------------------------------

    def _move(
        self,
        ret: Return,
        target: ReturnStatus,
        message: str,
        actor: str,
        data: dict[str, Any] | None = None,
        extra: list[dict[str, Any]] | None = None,
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
        self.repo.save(ReturnChange(new, ret.version, [entry], [event], extra or []))
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
            extra=[tracking_put(self.repo, label.tracking_number, ret.rma, ret.shop, label.carrier)],
            label=label,
        )
        return {"rma": rma, "status": done.status.value}

    @retry_stale
    def resolve(self, rma: str) -> dict[str, Any]:
        """Pay what policy allows: the inspection's refund, or the whole amount where policy refunds
        on delivery. Store credit and exchanges settle at once; a card refund waits for settlement."""
        ret = self._get(rma)
        if (
            ret.inspection is not None
            and ret.inspection.refund_total.amount == 0
            and ret.status is S.INSPECTED
        ):
            closed = self._move(
                ret, S.CLOSED, "Nothing to refund: the inspection graded every item unrefundable.", "workflow"
            )
            return {"rma": rma, "status": closed.status.value}
        amount = ret.inspection.refund_total if ret.inspection else ret.amount
        reason = (
            "Refund on delivery, as the policy allows for this return."
            if ret.inspection is None
            else f"Refund after inspection: {ret.inspection.refund_total}."
        )
        if ret.resolution is Resolution.REFUND:
            if ret.status is S.REFUND_PENDING and ret.refund is not None and ret.refund.status == "pending":
                return {"rma": rma, "status": ret.status.value}  # a retried step: already asked
            # Asked first (idempotent by key), then saved with the move in one write: a payment
            # webhook can never find the return pending without the refund it settles.
            previous = ret.refund.reference if ret.refund and ret.refund.status == "failed" else None
            key = f"{ret.rma}:refund:{'retry-' + previous if previous else 'first'}"
            refund = self.payments.refund(ret, amount, key)
            data = {"amount": amount.amount, "currency": amount.currency, "reference": refund.reference}
            self._move(
                ret, S.REFUND_PENDING, f"{reason} {amount} requested.", "workflow", data, refund=refund
            )
            return {"rma": rma, "status": S.REFUND_PENDING.value}
        if ret.status is not S.REFUND_PENDING:
            ret = self._move(ret, S.REFUND_PENDING, reason, "workflow")
        target = S.CREDITED if ret.resolution is Resolution.STORE_CREDIT else S.EXCHANGED
        what = f"Store credit of {amount} issued." if target is S.CREDITED else "Exchange sent."
        done = self._move(
            ret,
            target,
            what,
            "workflow",
            {"amount": amount.amount, "currency": amount.currency},
            refund=Refund(method=ret.resolution, amount=amount, status="succeeded"),
        )
        return {"rma": rma, "status": done.status.value}

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

    @retry_stale
    def carrier_update(self, rma: str, status: ReturnStatus, source: str) -> Return:
        ret = self._get(rma)
        if ret.status is status or status not in (S.IN_TRANSIT, S.DELIVERED):
            return ret  # a repeated or late scan never moves a return backwards
        if ret.status not in (S.LABEL_ISSUED, S.IN_TRANSIT):
            return ret
        items = [i.model_copy(update={"reception": Reception.IN_TRANSIT}) for i in ret.items]
        what = "In transit." if status is S.IN_TRANSIT else f"Delivered to {ret.hub.name}."
        return self._move(ret, status, what, source, items=items if status is S.IN_TRANSIT else ret.items)

    @retry_stale
    def settlement(self, rma: str, succeeded: bool, source: str, failure_reason: str | None = None) -> Return:
        ret = self._get(rma)
        if ret.status is not S.REFUND_PENDING or ret.refund is None or ret.refund.status != "pending":
            return ret  # stale or repeated news: the refund it settles is settled already
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
        refund = ret.refund.model_copy(
            update={"status": "failed", "failure_reason": failure_reason or "unknown"}
        )
        return self._move(
            ret,
            S.REFUND_FAILED,
            f"The refund failed ({refund.failure_reason}); finance will pay another way.",
            source,
            {"reason": refund.failure_reason},
            refund=refund,
        )
