"""Resolution: paying the customer back as the return asks. The refund amount (grades, fees, earlier
refunds), the card refund asked of the provider, store credit issued at once, an exchange marked sent.
A refused refund goes to refund_failed; settlement.py takes it from there."""

from __future__ import annotations

from typing import Any

from boomerang.domain.decision import Thresholds
from boomerang.domain.markets import ReturnShipping, refund_terms_for
from boomerang.domain.models import Refund, Resolution, Return
from boomerang.domain.money import Money
from boomerang.domain.policy import Policy
from boomerang.domain.refund_failures import PayoutMethod, refund_failure
from boomerang.domain.refunds import RefundTerms, quote_refund, store_credit_amount
from boomerang.payments.port import RefundRefused
from boomerang.services.retry import retry_stale
from boomerang.services.workflow.core import Phase, S, refund_key
from boomerang.store.payment_index import payment_index_put
from boomerang.store.records import Event

# Where resolving has nothing left to do: a retried step, or news (a webhook, finance) came first.
RESOLVED = frozenset({S.REFUNDED, S.CREDITED, S.EXCHANGED, S.CLOSED, S.REFUND_FAILED})


class ResolutionPhase(Phase):
    @retry_stale
    def resolve(self, rma: str) -> dict[str, Any]:
        """Pay what policy allows (boomerang.domain.refunds: grades, fees, earlier refunds on the
        charge, never more than captured). Store credit and exchanges settle at once; a card refund
        waits for the provider's webhook. A refused refund goes to refund_failed with its reason; a
        provider outage raises PaymentProviderUnavailable (the state machine retries the step with
        backoff; the idempotency key stays the same); a configuration error raises for staff."""
        ret = self.core.get(rma)
        if ret.status in RESOLVED:
            return {"rma": rma, "status": ret.status.value}
        if ret.status is S.REFUND_PENDING and ret.refund is not None and ret.refund.status == "pending":
            return {"rma": rma, "status": ret.status.value}  # a retried step: already asked
        policy = self.core.policy_for(ret.shop)
        order = self.core.repo.get_order(ret.shop, ret.order_id)
        quote = quote_refund(ret, self._terms(ret, policy), order.total, self._earlier_refunds(ret))
        amount = quote.amount
        if amount.amount == 0 and ret.status is S.INSPECTED:
            closed = self.core.move(
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
        if ret.decision.keep_item:
            reason = "Resolved without a return: the customer keeps the item, as the policy says."
        elif ret.status is S.IN_TRANSIT:
            reason = "Refund at the carrier's first scan, as the policy allows for this trusted customer."
        elif ret.inspection is None:
            reason = "Refund on delivery, as the policy allows for this return."
        else:
            reason = f"Refund after inspection: {amount}."
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
                refund = self.core.payments.refund(
                    ret, amount, refund_key(rma, attempt), order.payment_reference
                )
            except RefundRefused as exc:
                return self._refund_refused(ret, amount, exc.reason, attempt)
            refund = refund.model_copy(update={"attempt": attempt, "paid_via": "card"})
            data = {"amount": amount.amount, "currency": amount.currency, "reference": refund.reference}
            index = (
                [payment_index_put(self.core.repo, order.payment_reference, rma, ret.shop, ret.order_id)]
                if order.payment_reference
                else []
            )
            self.core.move(
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
            ret = self.core.move(ret, S.REFUND_PENDING, reason, "workflow")
        if ret.resolution is Resolution.STORE_CREDIT:
            credit, bonus = store_credit_amount(amount, policy.refunds)
            done = self.issue_credit(ret, credit, bonus, "workflow", ret.refund.attempt if ret.refund else 1)
            return {"rma": rma, "status": done.status.value}
        done = self.core.move(
            ret,
            S.EXCHANGED,
            "Exchange sent.",
            "workflow",
            {"amount": amount.amount, "currency": amount.currency},
            refund=Refund(method=ret.resolution, amount=amount, status="succeeded"),
        )
        return {"rma": rma, "status": done.status.value}

    @staticmethod
    def _terms(ret: Return, policy: Policy) -> RefundTerms:
        """The refund terms, as the customer's market says who pays return shipping: the merchant
        (no fee), or the customer (the terms' fee, pinned in the return's currency or converted
        from the base currency at the rate the decision used)."""
        market = ret.decision.market
        shipping = ReturnShipping(market.return_shipping) if market and market.return_shipping else None
        fee = None
        if shipping is ReturnShipping.CUSTOMER and policy.refunds.return_shipping:
            limits = Thresholds(
                policy.base_currency, ret.amount.currency, recorded=ret.decision.exchange_rate
            )
            fee = limits.limit(policy.refunds.return_shipping)
        return refund_terms_for(policy.refunds, shipping, fee)

    def _earlier_refunds(self, ret: Return) -> Money:
        """What other returns of the order asked or got back on the same charge."""
        total = Money.zero(ret.amount.currency)
        for other in self.core.repo.returns_of_order(ret.shop, ret.order_id, limit=100).items:
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
            ret = self.core.move(
                ret, S.REFUND_PENDING, f"Refund of {amount} requested.", "workflow", refund=refund
            )
        changes: dict[str, Any] = {"refund": refund}
        if failure.disputed:
            changes["dispute"] = ret.dispute or "disputed"
        done = self.core.move(
            ret,
            S.REFUND_FAILED,
            f"The refund was refused ({failure.reason}): {failure.staff_note}",
            "workflow",
            {"failure_reason": failure.reason, "method": "card"},
            **changes,
        )
        return {"rma": ret.rma, "status": done.status.value}

    def issue_credit(self, ret: Return, credit: Money, bonus: Money, actor: str, attempt: int) -> Return:
        items = self.core.credit.issue_items(
            ret.shop, ret.customer_ref, ret.rma, credit, bonus, self.core.clock()
        )
        what = f"Store credit of {credit} issued" + (
            f", including a {bonus} bonus for choosing store credit." if bonus.amount else "."
        )
        data = {"amount": credit.amount, "currency": credit.currency, "bonus": bonus.amount}
        issued = Event(
            "store_credit.issued",
            {"rma": ret.rma, "order_id": ret.order_id, "customer_ref": ret.customer_ref, **data},
        )
        return self.core.move(
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
