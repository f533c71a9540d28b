"""Receipt: what arrives and what it is worth. The customer's evidence arriving before a decision, the
warehouse scanning the RMA on a parcel, and the inspection grading each item."""

from __future__ import annotations

from dataclasses import dataclass

from boomerang.domain import rma as rma_numbers
from boomerang.domain.errors import Conflict, NotFound, Unprocessable
from boomerang.domain.models import Grade, InspectedItem, Inspection, Reception, Return
from boomerang.domain.money import Money
from boomerang.services.retry import retry_stale
from boomerang.services.workflow.core import Phase, S


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
        """The customer's evidence is recorded (services/evidence.py): staff review it next."""
        ret = self.core.get(rma)
        if ret.status is not S.AWAITING_EVIDENCE:
            return ret  # a second upload, or news that came after a decision
        return self.core.move(
            ret, S.PENDING_REVIEW, "Evidence received; staff review it before approval.", source
        )
