"""Resolution: paying the customer back as the return asks. The refund amount (grades, fees, earlier
refunds), the card refund asked of the provider, store credit issued at once, an exchange marked sent.
A refused refund goes to refund_failed; settlement.py takes it from there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from boomerang.domain.decision import Thresholds
from boomerang.domain.errors import StaleVersion
from boomerang.domain.markets import ReturnShipping, refund_terms_for
from boomerang.domain.models import Order, PaymentClaim, Refund, Resolution, Return
from boomerang.domain.money import Money
from boomerang.domain.policy import Policy
from boomerang.domain.refund_failures import HOW_LONG, PayoutMethod, refund_failure
from boomerang.domain.refunds import RefundTerms, quote_refund, store_credit_amount
from boomerang.payments.port import RefundRefused
from boomerang.services.retry import retry_stale
from boomerang.services.workflow.core import Phase, S, WorkflowCore
from boomerang.services.workflow.payment import PaymentAttempts
from boomerang.store.payment_index import payment_index_put
from boomerang.store.records import Event

# Where resolving has nothing left to do: a retried step, or news (a webhook, finance) came first.
RESOLVED = frozenset({S.REFUNDED, S.CREDITED, S.EXCHANGED, S.CLOSED, S.REFUND_FAILED})


class ResolutionPhase(Phase):
    def __init__(self, core: WorkflowCore):
        super().__init__(core)
        self.attempts = PaymentAttempts(core)

    @retry_stale
    def resolve(self, rma: str) -> dict[str, Any]:
        """Pay what policy allows (boomerang.domain.refunds: grades, fees, earlier refunds on the
        charge, never more than captured). Store credit and exchanges settle at once; a card refund
        waits for the provider's webhook. A refused refund goes to refund_failed with its reason; a
        provider outage raises PaymentProviderUnavailable (the state machine retries the step with
        backoff; the idempotency key stays the same); a configuration error raises for staff.
        The card refund is claimed before it is asked (services/workflow/payment.py): a second
        invocation of this step meanwhile raises PaymentInProgress, which the state machine retries."""
        ret = self.core.get(rma)
        if ret.status in RESOLVED:
            return {"rma": rma, "status": ret.status.value}
        if ret.status is S.REFUND_PENDING and ret.refund is not None and ret.payment_claim is None:
            if ret.refund.status in ("succeeded", "failed"):
                return {"rma": rma, "status": self.finish(ret).status.value}  # its second write
            if ret.refund.status == "pending":
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
            done = self.refund_card(ret, amount, "workflow", 1, f"{reason} {amount} requested.", order)
            return {"rma": rma, "status": done.status.value}
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
        """Refused before anything was asked (a disputed charge): the same two writes as a refusal."""
        refund = self._failed(amount, reason, attempt)
        if ret.status is not S.REFUND_PENDING:
            ret = self.core.move(
                ret, S.REFUND_PENDING, f"Refund of {amount} requested.", "workflow", refund=refund
            )
        return {"rma": ret.rma, "status": self.finish(ret).status.value}

    @staticmethod
    def _failed(amount: Money, reason: str, attempt: int) -> Refund:
        return Refund(
            method=Resolution.REFUND,
            amount=amount,
            status="failed",
            failure_reason=refund_failure(reason).reason,
            attempt=attempt,
            paid_via="card",
        )

    def refund_card(
        self,
        ret: Return,
        amount: Money,
        actor: str,
        attempt: int,
        message: str,
        order: Order | None = None,
        refused: Callable[[Return, PaymentClaim, RefundRefused], Return] | None = None,
    ) -> Return:
        """A refund to the order's payment, paid once: claimed, asked of its provider with the
        attempt's key (boomerang.payments.router picks the provider from the order's reference;
        none usable: refused as `no_payment_reference`), then recorded in refund_pending with the
        refund (the webhook settles it) and, where the provider paid at once or refused, finished
        in refunded or refund_failed (finish())."""
        # The order is read after the claim (finance's retry): the claim is the first thing written.
        known = [order] if order else []

        def ask(current: Return, claim: PaymentClaim) -> Refund:
            if not known:
                known.append(self.core.repo.get_order(current.shop, current.order_id))
            return self.core.payments.refund(current, claim.amount, claim.key, known[0].payment_reference)

        def settle(current: Return, claim: PaymentClaim, paid: Refund | None) -> Return:
            assert paid is not None
            refund = paid.model_copy(update={"attempt": claim.attempt, "paid_via": "card"})
            data = {"amount": refund.amount.amount, "currency": refund.amount.currency,
                    "reference": refund.reference}  # fmt: skip
            reference = known[0].payment_reference
            index = (
                [payment_index_put(self.core.repo, reference, current.rma, current.shop, current.order_id)]
                if reference
                else []
            )
            if current.status is S.REFUND_PENDING:
                # Asked from refund_pending: an exchange whose difference went unpaid (difference.py).
                return self.attempts.note(current, message, actor, "refund.requested", extra_items=index,
                                          refund=refund, payment_claim=None)  # fmt: skip
            return self.core.move(
                current, S.REFUND_PENDING, message, actor, data, extra_items=index, refund=refund,
                payment_claim=None,
            )  # fmt: skip

        def refused_now(current: Return, claim: PaymentClaim, exc: RefundRefused) -> Return:
            refund = self._failed(claim.amount, exc.reason, claim.attempt)
            if current.status is S.REFUND_PENDING:
                return self.attempts.note(current, f"Refund of {claim.amount} refused.", actor,
                                          "payment.refused", refund=refund, payment_claim=None)  # fmt: skip
            return self.core.move(
                current, S.REFUND_PENDING, f"Refund of {claim.amount} requested.", actor,
                refund=refund, payment_claim=None,
            )  # fmt: skip

        recorded = self.attempts.pay(ret, "card", amount, actor, attempt, ask, settle, refused or refused_now)
        return self.finish(recorded, actor)

    def finish(self, ret: Return, actor: str = "workflow") -> Return:
        """The second write of a refund the provider paid at once (refunded) or refused
        (refund_failed); anyone who reads it half-done (a retried step, finance) may write it."""
        for _ in range(4):
            refund = ret.refund
            if ret.status is not S.REFUND_PENDING or refund is None or ret.payment_claim is not None:
                return ret
            try:
                if refund.status == "succeeded" and refund.method is Resolution.REFUND:
                    return self.core.move(
                        ret,
                        S.REFUNDED,
                        _paid_text(refund),
                        actor,
                        {"amount": refund.amount.amount, "currency": refund.amount.currency,
                         "method": refund.paid_via or "card"},
                    )  # fmt: skip
                if refund.status == "failed":
                    failure = refund_failure(refund.failure_reason)
                    changes: dict[str, Any] = (
                        {"dispute": ret.dispute or "disputed"} if failure.disputed else {}
                    )
                    return self.core.move(
                        ret,
                        S.REFUND_FAILED,
                        f"The refund was refused ({failure.reason}): {failure.staff_note}",
                        actor,
                        {"failure_reason": failure.reason, "method": refund.paid_via or "card"},
                        **changes,
                    )
                return ret
            except StaleVersion:
                ret = self.core.get(ret.rma)
        return ret

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
            payment_claim=None,  # finance's claim, where finance pays it (settlement.py)
        )


def _paid_text(refund: Refund) -> str:
    via = refund.paid_via or "card"
    by = {"card": "", "paypal": " by PayPal", "bank_transfer": " by bank transfer"}.get(via, "")
    through = f" through {refund.provider}" if refund.provider and via == "card" else ""
    when = (
        "banks take 5-10 business days to show it."
        if via == "card"
        else f"it reaches the customer in {HOW_LONG[PayoutMethod(via)]}."
    )
    return f"Refunded {refund.amount}{by}{through} (reference {refund.reference}); {when}"
