"""A dearer replacement's difference: the customer pays it before the replacement is ordered.

At resolution (exchange.py) a replacement that costs more than the returned items are worth asks
the customer for the difference: a Stripe Checkout Session (mode=payment, the shop's Stripe key),
or a Shopify draft order invoice for a Shopify order (boomerang.payments.router). The link is kept
on the return (`exchange.payment`): the portal's return page and the email show it. The return
waits in refund_pending (Wait.PAYMENT), for as long as the policy's `timeouts.difference_payment`.

- `paid`: the provider's news (`checkout.session.completed`, services/stripe_events.py) marks the
  payment paid, takes the wait's token in the same write, and resumes the workflow, whose resolve
  step then orders the replacement (exchange.py).
- `expired`: the wait ran out. The request is withdrawn at the provider (a Checkout Session is
  expired, so no late payment can happen); where the provider says it was paid meanwhile, it is
  paid. Otherwise the held units go back, and the exchange becomes the policy's `unpaid_fallback`
  (a refund, or store credit) with the reason on the timeline and in the email; the resolve step
  pays it as any other return.

One request per return: its idempotency key is `boomerang:<rma>:exchange-difference`, so a retried
step gets the same session.
"""

from __future__ import annotations

import logging
from typing import Any

from boomerang.domain.models import DifferencePayment, Exchange, Resolution, Return, TimelineEntry, Wait
from boomerang.domain.money import Money
from boomerang.payments.port import PaymentConfigurationError, PaymentRequest, PaymentRequests
from boomerang.services.retry import retry_stale
from boomerang.services.workflow.core import Phase, S
from boomerang.store.records import Event, ReturnChange

log = logging.getLogger(__name__)
AWAITING_PAYMENT = "awaiting_payment"  # what the resolve step answers while the customer pays


def payment_key(rma: str) -> str:
    return f"boomerang:{rma}:exchange-difference"


def awaiting_payment(ret: Return) -> bool:
    payment = ret.exchange.payment if ret.exchange else None
    return ret.status is S.REFUND_PENDING and payment is not None and payment.status == "open"


class DifferencePhase(Phase):
    def requests(self) -> PaymentRequests:
        payments: Any = self.core.payments
        if not hasattr(payments, "request_payment"):
            raise PaymentConfigurationError("The payments integration cannot ask a customer to pay")
        return payments  # type: ignore[no-any-return]

    def ask(self, ret: Return, exchange: Exchange, due: Money) -> dict[str, Any]:
        """Ask the customer for `due` and keep the link on the return, in refund_pending."""
        order = self.core.repo.get_order(ret.shop, ret.order_id)
        request = PaymentRequest(
            amount=due,
            idempotency_key=payment_key(ret.rma),
            return_url=self.core.portal_url(ret),
            description=f"Exchange {ret.rma}: the replacement's price difference",
            customer_email=order.customer_email,
            payment_reference=order.payment_reference,
        )
        payment = self.requests().request_payment(ret, request)
        said = (
            f"The replacement costs {due} more than the returned items: the customer is asked to pay "
            f"the difference (through {payment.provider}) before it ships."
        )
        data = {
            "rma": ret.rma,
            "order_id": ret.order_id,
            "status": S.REFUND_PENDING.value,
            "amount": due.amount,
            "currency": due.currency,
            "provider": payment.provider,
            "reference": payment.reference,
        }
        changes: dict[str, Any] = {"exchange": exchange.model_copy(update={"payment": payment})}
        events = [Event("exchange.payment_requested", data)]
        if ret.status is S.REFUND_PENDING:
            self._save(ret, said, "exchange.payment_requested", events, **changes)
        else:
            self.core.move(ret, S.REFUND_PENDING, said, "workflow", extra_events=events, **changes)
        return {"rma": ret.rma, "status": AWAITING_PAYMENT, "amount_due": due.amount}

    # --- news: paid, or the wait ran out --------------------------------------------------------

    @retry_stale
    def paid(self, rma: str, reference: str, amount: int, currency: str, source: str) -> Return | None:
        """The provider says the request `reference` is paid; None where it is not this return's."""
        ret = self.core.get(rma)
        payment = ret.exchange.payment if ret.exchange else None
        if payment is None or payment.reference != reference:
            return None
        if payment.status == "paid":
            return ret  # a repeated event
        if amount != payment.amount.amount or currency.upper() != payment.amount.currency:
            log.error("difference paid with another amount", extra={"rma": rma, "reference": reference})
            return ret
        return self._record_paid(ret, payment, source)

    @retry_stale
    def expired(self, rma: str) -> dict[str, Any]:
        """The policy's time to pay ran out: withdraw the request; paid meanwhile, or fall back."""
        ret = self.core.get(rma)
        if not awaiting_payment(ret):
            return {"rma": rma, "status": ret.status.value}
        exchange = ret.exchange
        assert exchange is not None and exchange.payment is not None
        payment = exchange.payment
        if self.requests().close_payment(ret, payment) == "paid":
            ret = self._record_paid(ret, payment, "workflow")
            return {"rma": rma, "status": ret.status.value}
        return {"rma": rma, "status": self._fall_back(ret, exchange, payment).status.value}

    def _record_paid(self, ret: Return, payment: DifferencePayment, source: str) -> Return:
        assert ret.exchange is not None
        now = self.core.clock()
        settled = payment.model_copy(update={"status": "paid", "paid_at": now})
        data = {"rma": ret.rma, "order_id": ret.order_id, "status": ret.status.value,
                "amount": payment.amount.amount,
                "currency": payment.amount.currency, "reference": payment.reference}  # fmt: skip
        if payment.status == "expired" or ret.status is not S.REFUND_PENDING:
            # Paid after the exchange fell back (an invoice paid late): staff pay it back.
            said = (
                f"The difference of {payment.amount} was paid after the exchange fell back: staff refund it."
            )
            return self._save(
                ret, said, "exchange.difference_paid", [Event("exchange.difference_paid", data)],
                actor=source, escalated=True, exchange=ret.exchange.model_copy(update={"payment": settled}),
            )  # fmt: skip
        token = ret.task_token if ret.waiting_for is Wait.PAYMENT else None
        changes: dict[str, Any] = {"exchange": ret.exchange.model_copy(update={"payment": settled})}
        if token:
            changes |= {"waiting_for": None, "task_token": None}
        said = f"The difference of {payment.amount} is paid: the replacement is ordered."
        done = self._save(
            ret, said, "exchange.difference_paid", [Event("exchange.difference_paid", data)], actor=source,
            **changes,
        )  # fmt: skip
        if token:
            try:
                news = {"rma": ret.rma, "status": done.status.value, "payment": "paid"}
                self.core.engine.resume(token, news)
            except Exception:
                # Saved; the wait's timeout step then finds it paid and the execution moves on.
                log.exception("could not resume the workflow", extra={"rma": ret.rma})
        return done

    def _fall_back(self, ret: Return, exchange: Exchange, payment: DifferencePayment) -> Return:
        policy = self.core.policy_for(ret.shop)
        fallback = policy.exchanges.unpaid_fallback
        how = "store credit" if fallback is Resolution.STORE_CREDIT else "a refund"
        reason = (
            f"The difference of {payment.amount} was not paid in time, so the exchange becomes {how}, "
            "as the policy says."
        )
        data = {"rma": ret.rma, "order_id": ret.order_id, "status": ret.status.value,
                "reason": "unpaid", "fallback": fallback.value,
                "variant_ids": [r.variant_id for r in exchange.lines]}  # fmt: skip
        changed = exchange.model_copy(
            update={
                "hold": "released",
                "fallback_reason": reason,
                "payment": payment.model_copy(update={"status": "expired"}),
            }
        )
        return self._save(
            ret, reason, "exchange.fallen_back", [Event("exchange.fallen_back", data)],
            extra_items=self.core.release_hold(ret.shop, exchange), resolution=fallback, exchange=changed,
            waiting_for=None, task_token=None,
        )  # fmt: skip

    def _save(
        self,
        ret: Return,
        message: str,
        event: str,
        events: list[Event],
        *,
        actor: str = "workflow",
        extra_items: list[dict[str, Any]] | None = None,
        **changes: Any,
    ) -> Return:
        """A change that keeps the return's status, with its timeline entry and events."""
        now = self.core.clock()
        new = ret.model_copy(update={**changes, "version": ret.version + 1, "updated_at": now})
        entry = TimelineEntry(
            version=new.version, at=now, status=ret.status, event=event, message=message, actor=actor
        )
        self.core.repo.save(ReturnChange(new, ret.version, [entry], events, list(extra_items or [])))
        return new
