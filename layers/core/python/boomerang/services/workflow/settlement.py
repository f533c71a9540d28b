"""Settlement: how a refund ends. The provider's news of a refund, finance paying a failed refund
another way (card again, store credit, PayPal or bank transfer), and disputes (chargebacks) that stop
any further refund."""

from __future__ import annotations

from typing import Any

from boomerang.domain.errors import Conflict, Unprocessable
from boomerang.domain.models import PaymentClaim, Refund, Resolution, Return, TimelineEntry
from boomerang.domain.money import Money
from boomerang.domain.refund_failures import PayoutMethod, refund_failure
from boomerang.payments.port import PaymentConfigurationError, PaymentProviderUnavailable, RefundRefused
from boomerang.services.retry import retry_stale
from boomerang.services.workflow.core import (
    PaymentsMisconfigured,
    PaymentsUnavailable,
    Phase,
    S,
    WorkflowCore,
)
from boomerang.services.workflow.resolution import ResolutionPhase
from boomerang.store.payment_index import returns_for_payment
from boomerang.store.records import Event, ReturnChange


class SettlementPhase(Phase):
    def __init__(self, core: WorkflowCore, resolution: ResolutionPhase):
        super().__init__(core)
        self.resolution = resolution  # finance's store credit is issued as resolving issues it

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
        ret = self.core.get(rma)
        if ret.status is not S.REFUND_PENDING or ret.refund is None or ret.refund.status != "pending":
            return ret  # stale or repeated news: the refund it settles is settled already
        if reference is not None and ret.refund.reference != reference:
            return ret  # news of another refund (an earlier attempt, or one made outside Boomerang)
        if succeeded:
            refund = ret.refund.model_copy(update={"status": "succeeded"})
            return self.core.move(
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
        return self.core.move(
            ret,
            S.REFUND_FAILED,
            f"The refund failed ({failure.reason}): {failure.staff_note}",
            source,
            {"failure_reason": failure.reason, "method": refund.paid_via or "card"},
            **changes,
        )

    @retry_stale
    def retry_refund(
        self, rma: str, method: PayoutMethod, actor: str, reference: str | None = None
    ) -> Return:
        """Finance pays a failed refund another way: the card again (a new attempt, a new
        idempotency key), store credit at once, PayPal (a payout to the customer's PayPal account,
        through PayPal) or a bank transfer finance made (`reference` is its id). Each claims the
        payment attempt first (services/workflow/payment.py): of two requests at once, one pays and
        the other answers 409 having asked nobody. A disputed return is never paid again."""
        ret = self.core.get(rma)
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
        if method is PayoutMethod.CARD:
            failure = refund_failure(ret.refund.failure_reason)
            if not failure.card_retry:
                raise Unprocessable(
                    f"The card cannot take this refund ({failure.reason}): choose store credit, PayPal or "
                    "bank transfer.",
                    code="method_not_possible",
                    details=[{"field": "method", "failure_reason": failure.reason}],
                )
        if method is PayoutMethod.BANK_TRANSFER and not reference:
            raise Unprocessable(
                "Name the bank transfer's reference.",
                code="validation_failed",
                details=[{"field": "reference", "code": "missing", "message": "Required for this method."}],
            )
        amount, attempt = ret.refund.amount, ret.refund.attempt + 1
        try:
            return self._pay(ret, method, amount, actor, attempt, reference)
        except PaymentProviderUnavailable as exc:
            raise PaymentsUnavailable(
                f"The payment provider is unavailable; retry {method.value} shortly (the same attempt "
                "asks once)."
            ) from exc
        except PaymentConfigurationError as exc:
            raise PaymentsMisconfigured(f"The payment integration is misconfigured: {exc}") from exc

    def _pay(
        self,
        ret: Return,
        method: PayoutMethod,
        amount: Money,
        actor: str,
        attempt: int,
        reference: str | None,
    ) -> Return:
        attempts = self.resolution.attempts
        if method is PayoutMethod.CARD:
            said = f"Finance retried the refund of {amount} to the card (attempt {attempt})."
            return self.resolution.refund_card(ret, amount, actor, attempt, said, refused=self._refused_again)
        if method is PayoutMethod.STORE_CREDIT:
            return attempts.pay(
                ret, method.value, amount, actor, attempt,
                lambda current, claim: None,
                lambda current, claim, _: self.resolution.issue_credit(
                    current, claim.amount, Money.zero(claim.amount.currency), actor, claim.attempt
                ),
            )  # fmt: skip
        if method is PayoutMethod.PAYPAL:

            def payout(current: Return, claim: PaymentClaim) -> Refund:
                pay = getattr(self.core.payments, "payout", None)
                if pay is None:
                    raise PaymentConfigurationError("This deployment's payments pay no PayPal payouts")
                # To the PayPal account of the order's email (read after the claim; never logged).
                order = self.core.repo.get_order(current.shop, current.order_id)
                made: Refund = pay(current, claim.amount, claim.key, order.customer_email, current.shop)
                return made

            ask: Any = payout
        else:

            def ask(current: Return, claim: PaymentClaim) -> Refund:
                # Finance paid it outside Boomerang: nothing to ask, the reference says which transfer.
                return Refund(
                    method=Resolution.REFUND,
                    amount=claim.amount,
                    status="succeeded",
                    reference=f"{method.value}:{reference}",
                    paid_via=method.value,
                )

        def settle(current: Return, claim: PaymentClaim, paid: Refund | None) -> Return:
            assert paid is not None
            refund = paid.model_copy(update={"attempt": claim.attempt, "paid_via": method.value,
                                              "status": "succeeded"})  # fmt: skip
            return self.core.move(
                current,
                S.REFUND_PENDING,
                f"Finance pays {claim.amount} by {method.value.replace('_', ' ')} (attempt {claim.attempt}).",
                actor,
                {"amount": claim.amount.amount, "currency": claim.amount.currency, "method": method.value},
                refund=refund,
                payment_claim=None,
            )

        paid = attempts.pay(ret, method.value, amount, actor, attempt, ask, settle, self._refused_again)
        return self.resolution.finish(paid, actor)

    def _refused_again(self, current: Return, claim: PaymentClaim, exc: RefundRefused) -> Return:
        """The provider refused finance's attempt: recorded on the return (still refund_failed, the
        claim taken off), then 422 names the reason."""
        refused = refund_failure(exc.reason)
        refund = Refund(
            method=Resolution.REFUND,
            amount=claim.amount,
            status="failed",
            failure_reason=refused.reason,
            attempt=claim.attempt,
            paid_via=claim.method,
        )
        self.resolution.attempts.note(
            current,
            f"The provider refused attempt {claim.attempt} ({claim.method}, {refused.reason}): "
            + refused.staff_note,
            claim.actor,
            "payment.refused",
            refund=refund,
            payment_claim=None,
        )
        raise Unprocessable(
            f"The provider refused the refund again ({refused.reason}): {refused.staff_note}",
            code="refund_refused",
            details=[{"failure_reason": refused.reason, "method": claim.method}],
        ) from exc

    def dispute_created(
        self, charge: str, payment_intent: str | None, dispute: str, source: str
    ) -> list[Return]:
        """A dispute (chargeback) on a payment: every return refunding it is marked, so nothing
        refunds it again; a pending refund is failed by the provider itself."""
        rmas = returns_for_payment(self.core.repo, charge)
        if payment_intent:
            rmas += [r for r in returns_for_payment(self.core.repo, payment_intent) if r not in rmas]
        return [self._mark_disputed(rma, charge, dispute, source) for rma in rmas]

    @retry_stale
    def _mark_disputed(self, rma: str, charge: str, dispute: str, source: str) -> Return:
        ret = self.core.get(rma)
        if ret.dispute == dispute:
            return ret  # a repeated event
        at = self.core.clock()
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
        self.core.repo.save(ReturnChange(marked, ret.version, [entry], [event]))
        return marked
