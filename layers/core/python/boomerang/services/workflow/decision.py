"""Decision: whether a return goes ahead. The decide step (the policy, for a return not decided
in its request) and staff approving or rejecting one held for review."""

from __future__ import annotations

from typing import Any

from boomerang.domain.decision import explain
from boomerang.domain.exchanges import instant_terms
from boomerang.domain.models import Acceptance, Outcome, Return
from boomerang.domain.policy import RequestedItem
from boomerang.domain.status import ReturnStatus
from boomerang.services.decisions import decide_request, kept_orders, recent_returns
from boomerang.services.retry import retry_stale
from boomerang.services.workflow.core import Phase, S


class DecisionPhase(Phase):
    @retry_stale
    def decide(self, rma: str) -> dict[str, Any]:
        """The decide step. A return requested through the storefront was decided in the request;
        one still `requested` is decided here by the same code. Either way the workflow gets what
        it branches on and how long each wait may last."""
        ret = self.core.get(rma)
        policy = self.core.policy_for(ret.shop)
        if ret.status is S.REQUESTED:
            now = self.core.clock()
            order = self.core.repo.get_order(ret.shop, ret.order_id)
            customer = self.core.repo.get_customer(ret.shop, ret.customer_ref)
            prior = recent_returns(customer, now, excluding=ret.rma)
            items = [
                RequestedItem(line_id=i.line_id, quantity=i.quantity, reason=i.reason) for i in ret.items
            ]
            rates = self.core.rates.rates_for(policy, order)
            kept = kept_orders(customer, order.order_id)
            decision, status = decide_request(policy, order, items, len(prior), now, rates, kept)
            ret = self.core.move(
                ret,
                status,
                explain(decision),
                f"policy:v{policy.version}",
                {"outcome": decision.outcome.value},
                decision=decision,
            )
        timeouts = policy.timeouts
        waits = {f"{name}_seconds": int(value.total_seconds()) for name, value in timeouts}
        instant = None
        if policy.exchanges.instant is not None and ret.exchange is not None:  # else no read
            reference = self.core.repo.get_order(ret.shop, ret.order_id).payment_reference
            instant = instant_terms(policy, ret, reference)
        if instant is not None:  # the label is valid until the instant exchange's deadline
            waits["label_valid_seconds"] = int(min(timeouts.label_valid, instant.ship_within).total_seconds())
        return {
            "rma": rma,
            "status": ret.status.value,
            "refund_on_delivery": ret.decision.refund_on_delivery,
            "refund_on_first_scan": ret.decision.refund_on_first_scan,
            # Returnless: no label, resolved at once (the customer keeps the item).
            "keep_item": ret.decision.keep_item,
            "timeouts": waits,
        }

    @retry_stale
    def approve(self, rma: str, actor: str, note: str | None = None) -> Return:
        message = f"Approved by staff{': ' + note if note else ''}."
        return self._staff_decision(
            rma, S.APPROVED, Outcome.APPROVED, Acceptance.ACCEPTED, message, actor, {}
        )

    @retry_stale
    def reject(self, rma: str, actor: str, reason: str) -> Return:
        message = f"Rejected by staff: {reason}"
        return self._staff_decision(
            rma, S.REJECTED, Outcome.REJECTED, Acceptance.REJECTED, message, actor, {"reason": reason}
        )

    def _staff_decision(
        self,
        rma: str,
        target: ReturnStatus,
        outcome: Outcome,
        acceptance: Acceptance,
        message: str,
        actor: str,
        data: dict[str, Any],
    ) -> Return:
        """The staff member's decision is the final one: `decision.outcome` says it and who made it,
        next to what the policy decided (`policy_outcome`) and the rules that fired."""
        ret = self.core.get(rma)
        items = [i.model_copy(update={"acceptance": acceptance}) for i in ret.items]
        decision = ret.decision.model_copy(
            update={"outcome": outcome, "decided_by": actor, "decided_at": self.core.clock()}
        )
        return self.core.move(
            ret, target, message, actor, {"decided_by": actor, **data}, items=items, decision=decision
        )
