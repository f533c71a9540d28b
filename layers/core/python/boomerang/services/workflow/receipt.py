"""Receipt: what arrives and what it is worth. The customer's evidence arriving before a decision, the
warehouse scanning the RMA on a parcel, and the inspection grading each item."""

from __future__ import annotations

from dataclasses import dataclass

from boomerang.domain import rma as rma_numbers
from boomerang.domain.automation import metadata_check
from boomerang.domain.decision import after_evidence
from boomerang.domain.errors import Conflict, NotFound, Unprocessable
from boomerang.domain.models import (
    Grade,
    InspectedItem,
    Inspection,
    Outcome,
    Reception,
    Return,
    TimelineEntry,
)
from boomerang.domain.money import Money
from boomerang.services.retry import retry_stale
from boomerang.services.workflow.core import Phase, S
from boomerang.store.records import Event, ReturnChange

# Where a return paid on delivery or at the first scan may be when its parcel reaches the hub.
_PAID_EARLY = frozenset({S.REFUND_PENDING, S.REFUNDED, S.CREDITED, S.EXCHANGED, S.REFUND_FAILED, S.CLOSED})


@dataclass(frozen=True)
class Grading:
    line_id: str
    grade: Grade
    notes: str | None = None


class ReceiptPhase(Phase):
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
            ret = self.core.get(rma)
        except NotFound as exc:
            raise NotFound(f"No return {rma}.", code="return_not_found") from exc
        hub_id = hub_id.strip().lower()
        if ret.hub.hub_id != hub_id:
            raise Conflict(
                f"Return {rma} goes to {ret.hub.name} ({ret.hub.hub_id}), not {hub_id}: set it aside.",
                code="wrong_hub",
                details=[{"expected_hub": ret.hub.hub_id, "scanned_at": hub_id}],
            )
        if (
            ret.received_at_hub is None
            and ret.status in _PAID_EARLY
            and (ret.decision.refund_on_delivery or ret.decision.refund_on_first_scan)
        ):
            return self._received_after_refund(ret, hub_id, actor)
        if ret.status is S.IN_TRANSIT or ret.status is S.LABEL_ISSUED:
            # The parcel is in our hands before the carrier's delivery scan reached us.
            ret = self.core.move(ret, S.DELIVERED, f"Delivered to {ret.hub.name} (warehouse scan).", actor)
        items = [i.model_copy(update={"reception": Reception.RECEIVED}) for i in ret.items]
        return self.core.move(
            ret,
            S.RECEIVED,
            f"Received at {ret.hub.name}.",
            actor,
            {"hub": hub_id},
            items=items,
            received_at_hub=hub_id,
        )

    def _received_after_refund(self, ret: Return, hub_id: str, actor: str) -> Return:
        """The parcel of a return paid on delivery or at the first scan reaches the hub: its receipt
        goes on the timeline, its status stays (the money went already)."""
        now = self.core.clock()
        items = [i.model_copy(update={"reception": Reception.RECEIVED}) for i in ret.items]
        noted = ret.model_copy(
            update={"items": items, "received_at_hub": hub_id, "version": ret.version + 1, "updated_at": now}
        )
        entry = TimelineEntry(
            version=noted.version,
            at=now,
            status=ret.status,
            event="return.received",
            message=f"Received at {ret.hub.name}, after the refund was paid early; no inspection is needed.",
            actor=actor,
        )
        data = {"rma": ret.rma, "order_id": ret.order_id, "status": ret.status.value, "hub": hub_id}
        self.core.repo.save(ReturnChange(noted, ret.version, [entry], [Event("return.received", data)]))
        return noted

    @retry_stale
    def inspect(self, rma: str, grades: list[Grading], actor: str) -> Return:
        ret = self.core.get(rma)
        policy = self.core.policy_for(ret.shop)
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
            items=items, refund_total=total, inspected_by=actor, inspected_at=self.core.clock()
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
        return self.core.move(
            ret,
            S.INSPECTED,
            f"Inspected: {', '.join(f'{i.line_id} {i.grade.value}' for i in items)}; refund allowed {total}.",
            actor,
            {"items": dispositions, "refund": total.amount},
            inspection=inspection,
        )

    @retry_stale
    def evidence_arrived(self, rma: str, source: str) -> Return:
        """The customer's evidence is recorded (services/evidence.py). Staff review it next, unless the
        policy's evidence-checked approval applies (domain/decision.after_evidence): the check passed,
        no rule asks for a person, no flag. The check is the upload check's result where it left one
        on the return (`evidence_check`, basis "content"), else the stored evidence's metadata."""
        ret = self.core.get(rma)
        if ret.status is not S.AWAITING_EVIDENCE:
            return ret  # a second upload, or news that came after a decision
        policy = self.core.policy_for(ret.shop)
        now = self.core.clock()
        check = ret.evidence_check
        if check is None or check.basis == "metadata":
            option = policy.automation.evidence_checked_approval
            check = metadata_check(ret.evidence, policy.evidence, option, now)
        decision, message = after_evidence(policy, ret.decision, check, ret.amount, now)
        approved = decision.outcome is Outcome.APPROVED
        return self.core.move(
            ret,
            S.APPROVED if approved else S.PENDING_REVIEW,
            message,
            decision.decided_by or source if approved else source,
            {"outcome": decision.outcome.value, "evidence_check": check.passed},
            decision=decision,
            evidence_check=check,
        )
