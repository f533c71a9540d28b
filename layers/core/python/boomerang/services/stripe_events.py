"""What a (verified, first-seen) Stripe event means for Boomerang's returns.

`checkout.session.completed` pays a dearer replacement's difference: the session's metadata names
the RMA and the purpose (boomerang.payments.stripe_payments puts them there). Refund events carry
the refund object, whose metadata names the RMA (the adapter puts it there);
`charge.refunded` carries the charge with its refunds where Stripe includes them; a dispute names
the charge, whose returns the payment index finds. Every outcome goes through the workflow's news
methods, which only move a return forwards: a repeated, late or out-of-order event changes
nothing. Unknown event types are acknowledged and ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from boomerang.domain import rma as rma_numbers
from boomerang.domain.errors import NotFound
from boomerang.payments.port import PURPOSE
from boomerang.services.workflow import ReturnWorkflow

REFUND_EVENTS = frozenset({"refund.created", "refund.updated", "refund.failed", "charge.refund.updated"})
# A Checkout Session paid: a dearer replacement's difference (card payments complete at once,
# delayed methods with async_payment_succeeded).
CHECKOUT_EVENTS = frozenset({"checkout.session.completed", "checkout.session.async_payment_succeeded"})
HANDLED = REFUND_EVENTS | CHECKOUT_EVENTS | {"charge.refunded", "charge.dispute.created"}
SOURCE = "payments:stripe"


@dataclass(frozen=True)
class Outcome:
    event_id: str
    event_type: str
    result: str  # ignored | not_ours | unmatched (no refund id) | unchanged | <the return's status after>
    rmas: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.event_id, "type": self.event_type, "result": self.result, "rmas": list(self.rmas)}


class StripeEvents:
    def __init__(self, workflow: ReturnWorkflow):
        self.workflow = workflow

    def handle(self, event: dict[str, Any]) -> Outcome:
        event_id, kind = str(event.get("id", "")), str(event.get("type", ""))
        obj = (event.get("data") or {}).get("object") or {}
        if kind in REFUND_EVENTS:
            return self._refund(event_id, kind, obj)
        if kind == "charge.refunded":
            refunds = ((obj.get("refunds") or {}).get("data")) or []
            outcomes = [self._refund(event_id, kind, r) for r in refunds if isinstance(r, dict)]
            ours = [o for o in outcomes if o.rmas]
            if not ours:
                return Outcome(event_id, kind, "not_ours")
            return Outcome(
                event_id, kind, ",".join(o.result for o in ours), tuple(r for o in ours for r in o.rmas)
            )
        if kind in CHECKOUT_EVENTS:
            return self._checkout(event_id, kind, obj)
        if kind == "charge.dispute.created":
            charge = str(obj.get("charge") or "")
            marked = self.workflow.dispute_created(
                charge, obj.get("payment_intent") or None, str(obj.get("id", "")), SOURCE
            )
            return Outcome(event_id, kind, "disputed" if marked else "not_ours", tuple(r.rma for r in marked))
        return Outcome(event_id, kind, "ignored")

    def _checkout(self, event_id: str, kind: str, session: dict[str, Any]) -> Outcome:
        metadata = session.get("metadata") or {}
        if metadata.get("purpose") != PURPOSE:
            return Outcome(event_id, kind, "not_ours")  # a session made outside Boomerang
        try:
            rma = rma_numbers.normalize(str(metadata.get("rma", "")))
        except rma_numbers.InvalidRma:
            return Outcome(event_id, kind, "not_ours")
        if session.get("payment_status") not in ("paid", "no_payment_required"):
            return Outcome(event_id, kind, "unchanged", (rma,))  # a delayed method: not paid yet
        try:
            ret = self.workflow.difference_paid(
                rma,
                str(session.get("id", "")),
                int(session.get("amount_total") or 0),
                str(session.get("currency") or "").upper(),
                SOURCE,
            )
        except NotFound:
            return Outcome(event_id, kind, "not_ours", (rma,))
        if ret is None:
            return Outcome(event_id, kind, "unmatched", (rma,))
        return Outcome(event_id, kind, ret.status.value, (rma,))

    def _refund(self, event_id: str, kind: str, refund: dict[str, Any]) -> Outcome:
        metadata = refund.get("metadata") or {}
        try:
            rma = rma_numbers.normalize(str(metadata.get("rma", "")))
        except rma_numbers.InvalidRma:
            return Outcome(event_id, kind, "not_ours")  # a refund made outside Boomerang
        refund_id = refund.get("id")
        if not (isinstance(refund_id, str) and refund_id):
            # Refunds are matched by their id only: news that names none settles nothing (without
            # this, the workflow would take it as news of whichever refund is pending).
            return Outcome(event_id, kind, "unmatched", (rma,))
        status = str(refund.get("status", ""))
        if status not in ("succeeded", "failed", "canceled"):
            return Outcome(event_id, kind, "unchanged", (rma,))  # pending, requires_action: no news yet
        try:
            ret = self.workflow.settlement(
                rma,
                status == "succeeded",
                SOURCE,
                failure_reason=refund.get("failure_reason")
                or ("merchant_request" if status == "canceled" else None),
                reference=refund_id,
            )
        except NotFound:
            return Outcome(event_id, kind, "not_ours", (rma,))
        return Outcome(event_id, kind, ret.status.value, (rma,))
