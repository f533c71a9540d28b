"""Exchange: resolving a return whose customer chose a replacement from the catalog.

At resolution the held units are checked once more. Where the feed has since reported fewer units
than are held (or dropped the variant), the policy's fallback applies: the hold is released, the
return becomes store credit (with the policy's bonus) or a refund, the timeline and the customer's
email say why, and resolution.py pays it as any other return. Otherwise the replacement is ordered:
a dearer replacement's difference is first paid by the customer (difference.py); then
the held units leave the catalog, `exchange.order_requested` carries the whole replacement order to
the merchant's ERP or WMS, and a cheaper replacement's difference is paid back, through the same
refund machinery as a refund (quote_refund, the payments router, the store credit ledger). Then
the workflow waits for the merchant to report the replacement's shipment
(`POST /v1/returns/{rma}/exchange-fulfilment`, services/exchange_fulfilment.py), whose tracking the
customer is emailed.
"""

from __future__ import annotations

from typing import Any

from boomerang.domain.catalog import Product
from boomerang.domain.models import (
    Exchange,
    Refund,
    Resolution,
    Return,
    TimelineEntry,
)
from boomerang.domain.money import Money
from boomerang.domain.refund_failures import PayoutMethod
from boomerang.domain.refunds import quote_refund
from boomerang.payments.port import RefundRefused
from boomerang.services.retry import retry_stale
from boomerang.services.workflow.core import Phase, S, WorkflowCore, refund_key
from boomerang.services.workflow.difference import AWAITING_PAYMENT, DifferencePhase
from boomerang.services.workflow.instant import InstantPhase
from boomerang.services.workflow.resolution import RESOLVED, ResolutionPhase
from boomerang.store.catalog import Hold
from boomerang.store.payment_index import payment_index_put, replacement_reference
from boomerang.store.records import Event, ReturnChange

# Where a cheaper replacement's card refund of the difference may still be settled.
AFTER_EXCHANGE = frozenset({S.EXCHANGED, S.REPLACEMENT_SHIPPED, S.CLOSED})


def replacement_order_id(rma: str) -> str:
    return f"EX-{rma}"


class ExchangePhase(Phase):
    def __init__(self, core: WorkflowCore, resolution: ResolutionPhase):
        super().__init__(core)
        self.resolution = resolution  # the fallback and the difference are paid as refunds are
        self.difference = DifferencePhase(core)  # a dearer replacement's, paid by the customer
        self.instant = InstantPhase(core)  # the replacement shipped with the label

    def applies(self, rma: str) -> bool:
        ret = self.core.get(rma)
        return ret.exchange is not None and ret.exchange.fallback_reason is None

    @retry_stale
    def resolve(self, rma: str) -> dict[str, Any]:
        ret = self.core.get(rma)
        exchange = ret.exchange
        if (
            exchange is not None
            and exchange.instant is not None
            and ret.status not in AFTER_EXCHANGE
            and exchange.replacement_order_id is not None
        ):
            return self.instant.resolve(ret, exchange)  # ordered when the label was issued
        if exchange is not None and exchange.replacement_order_id is not None:
            # A retried step: ordered already. The state machine then waits for its shipment.
            return {
                "rma": rma,
                "status": ret.status.value,
                "replacement_order_id": exchange.replacement_order_id,
            }
        if ret.status in RESOLVED or exchange is None or exchange.fallback_reason is not None:
            return self.resolution.resolve(rma)
        # A retried step that already began ordering keeps to it (the units are still held).
        short = [] if ret.status is S.REFUND_PENDING else self._short(ret, exchange)
        if short:
            self._fall_back(ret, exchange, short)
            return self.resolution.resolve(rma)
        due = self._due(ret, exchange)
        if due.amount and exchange.payment is None:
            return self.difference.ask(ret, exchange, due)
        if exchange.payment is not None and exchange.payment.status == "open":
            # A retried step, or news that is not the payment's: the customer has still to pay.
            return {"rma": rma, "status": AWAITING_PAYMENT, "amount_due": exchange.payment.amount.amount}
        return self._order_replacement(ret, exchange)

    def _due(self, ret: Return, exchange: Exchange) -> Money:
        """What the customer pays for a dearer replacement: its value less what the returned items
        are worth after grades and fees (zero where they cover it)."""
        policy = self.core.policy_for(ret.shop)
        order = self.core.repo.get_order(ret.shop, ret.order_id)
        quote = quote_refund(
            ret, self.resolution._terms(ret, policy), order.total, self.resolution._earlier_refunds(ret)
        )
        currency = exchange.value.currency
        return Money(amount=max(0, exchange.value.amount - quote.amount.amount), currency=currency)

    def _short(self, ret: Return, exchange: Exchange) -> list[str]:
        """The replacement variants the catalog can no longer cover (dropped, or oversold)."""
        products: dict[str, Product] = self.core.catalog.many(
            ret.shop, {r.product_id for r in exchange.lines}
        )
        short = []
        for line in exchange.lines:
            product = products.get(line.product_id)
            variant = product.variant(line.variant_id) if product else None
            if variant is None or variant.available < 0:
                short.append(line.variant_id)
        return short

    def _fall_back(self, ret: Return, exchange: Exchange, short: list[str]) -> None:
        policy = self.core.policy_for(ret.shop)
        fallback = policy.exchanges.out_of_stock_fallback
        names = ", ".join(f"{r.title or r.sku} ({r.sku})" for r in exchange.lines if r.variant_id in short)
        how = "store credit" if fallback is Resolution.STORE_CREDIT else "a refund"
        reason = (
            f"The replacement is out of stock ({names}), so the exchange becomes {how}, as the policy says."
        )
        now = self.core.clock()
        changed = ret.model_copy(
            update={
                "resolution": fallback,
                "exchange": exchange.model_copy(update={"hold": "released", "fallback_reason": reason}),
                "version": ret.version + 1,
                "updated_at": now,
            }
        )
        entry = TimelineEntry(
            version=changed.version,
            at=now,
            status=ret.status,
            event="exchange.fallen_back",
            message=reason,
            actor="workflow",
        )
        data = {
            "rma": ret.rma,
            "order_id": ret.order_id,
            "status": ret.status.value,
            "reason": "out_of_stock",
            "fallback": fallback.value,
            "variant_ids": short,
        }
        release = self.core.release_hold(ret.shop, exchange)
        self.core.repo.save(
            ReturnChange(changed, ret.version, [entry], [Event("exchange.fallen_back", data)], release)
        )

    def _order_replacement(self, ret: Return, exchange: Exchange) -> dict[str, Any]:
        policy = self.core.policy_for(ret.shop)
        order = self.core.repo.get_order(ret.shop, ret.order_id)
        # What the returned items are worth after grades and fees, less what replaces them.
        quote = quote_refund(
            ret, self.resolution._terms(ret, policy), order.total, self.resolution._earlier_refunds(ret)
        )
        back = Money(
            amount=max(0, quote.amount.amount - exchange.value.amount), currency=exchange.value.currency
        )
        if ret.status is not S.REFUND_PENDING:
            ret = self.core.move(
                ret, S.REFUND_PENDING, "Exchange approved: ordering the replacement.", "workflow"
            )
        extra: list[dict[str, Any]] = [
            *self.core.catalog.consume_items(
                ret.shop, [Hold(r.product_id, r.variant_id, r.quantity) for r in exchange.lines]
            )
        ]
        # A Shopify order's replacement is made in Shopify, where the merchant fulfils it; any other
        # is the ERP's or WMS's, told by the event.
        made = self._ordered_in_shopify(ret, exchange, order.payment_reference)
        ordered_id = made[0] if made else replacement_order_id(ret.rma)
        if made:  # its fulfilment webhook finds the return (services/exchange_fulfilment.py)
            shopify_id = made[0].rsplit("/", 1)[-1]
            reference = replacement_reference(ret.shop, shopify_id)
            extra.append(payment_index_put(self.core.repo, reference, ret.rma, ret.shop, ret.order_id))
        events = [] if made else [Event("exchange.order_requested", self._order_event(ret, exchange, back))]
        refund: Refund | None = None
        said = f"Replacement ordered in Shopify ({made[1]})." if made else "Replacement ordered."
        if back.amount and ret.dispute:
            said += f" The difference of {back} is not paid back: the payment is disputed."
        elif back.amount and policy.exchanges.difference_to is Resolution.STORE_CREDIT:
            extra += self.core.credit.issue_items(
                ret.shop, ret.customer_ref, ret.rma, back, Money.zero(back.currency), self.core.clock()
            )
            events.append(
                Event(
                    "store_credit.issued",
                    {
                        "rma": ret.rma,
                        "order_id": ret.order_id,
                        "amount": back.amount,
                        "currency": back.currency,
                    },
                )
            )
            refund = Refund(
                method=Resolution.STORE_CREDIT,
                amount=back,
                status="succeeded",
                paid_via=PayoutMethod.STORE_CREDIT.value,
            )
            said += f" The difference of {back} is paid as store credit."
        elif back.amount:
            try:
                refund = self.core.payments.refund(ret, back, refund_key(ret.rma, 1), order.payment_reference)
                refund = refund.model_copy(update={"attempt": 1, "paid_via": "card"})
                said += f" The difference of {back} is refunded."
                if order.payment_reference:
                    extra.append(
                        payment_index_put(
                            self.core.repo, order.payment_reference, ret.rma, ret.shop, ret.order_id
                        )
                    )
            except RefundRefused as exc:
                refund = Refund(
                    method=Resolution.REFUND,
                    amount=back,
                    status="failed",
                    failure_reason=exc.reason,
                    paid_via="card",
                )
                said += f" The refund of the difference ({back}) was refused ({exc.reason}): staff pay it."
        done = self.core.move(
            ret,
            S.EXCHANGED,
            said,
            "workflow",
            {"amount": back.amount, "currency": back.currency},
            extra_items=extra,
            extra_events=events,
            exchange=exchange.model_copy(
                update={
                    "hold": "ordered",
                    "replacement_order_id": ordered_id,
                    "requested_at": self.core.clock(),
                }
            ),
            refund=refund,
        )
        return {"rma": ret.rma, "status": done.status.value, "replacement_order_id": ordered_id}

    def _ordered_in_shopify(
        self, ret: Return, exchange: Exchange, payment_reference: str | None
    ) -> tuple[str, str] | None:
        order_replacement = getattr(self.core.payments, "order_replacement", None)
        if order_replacement is None:
            return None
        made: tuple[str, str] | None = order_replacement(ret, exchange.lines, payment_reference)
        return made

    @staticmethod
    def _order_event(ret: Return, exchange: Exchange, back: Money) -> dict[str, Any]:
        return {
            "rma": ret.rma,
            "order_id": ret.order_id,
            "status": S.EXCHANGED.value,
            "replacement_order_id": replacement_order_id(ret.rma),
            "currency": exchange.value.currency,
            "lines": [
                {
                    "line_id": r.line_id,
                    "product_id": r.product_id,
                    "variant_id": r.variant_id,
                    "sku": r.sku,
                    "title": r.title,
                    "options": r.options,
                    "quantity": r.quantity,
                    "unit_price": r.unit_price.amount,
                }
                for r in exchange.lines
            ],
            "value": exchange.value.amount,
            # A dearer replacement's difference, paid by the customer before it was ordered.
            "amount_due": exchange.payment.amount.amount if exchange.payment else 0,
            "difference_paid_back": back.amount,
            "ship_to_order_id": ret.order_id,
            "ship_to_corrected": ret.ship_from is not None,
        }

    # --- news: the difference settled (the shipment: services/exchange_fulfilment.py) ----------

    @retry_stale
    def settled(
        self, rma: str, succeeded: bool, source: str, failure_reason: str | None, reference: str | None
    ) -> Return | None:
        """The provider's news of a cheaper replacement's difference refund, or None where the news
        is not about one (settlement.py takes it)."""
        ret = self.core.get(rma)
        refund = ret.refund
        if ret.status not in AFTER_EXCHANGE or refund is None or refund.status != "pending":
            return None
        if reference is not None and refund.reference != reference:
            return ret
        settled = refund.model_copy(
            update={"status": "succeeded" if succeeded else "failed", "failure_reason": failure_reason}
        )
        now = self.core.clock()
        message = (
            f"The difference of {refund.amount} is refunded."
            if succeeded
            else f"The refund of the difference ({refund.amount}) failed ({failure_reason}): staff pay it."
        )
        changed = ret.model_copy(update={"refund": settled, "version": ret.version + 1, "updated_at": now})
        entry = TimelineEntry(
            version=changed.version,
            at=now,
            status=ret.status,
            event="refund.succeeded" if succeeded else "refund.failed",
            message=message,
            actor=source,
        )
        data: dict[str, Any] = {"rma": rma, "order_id": ret.order_id, "status": ret.status.value}
        if succeeded:
            data |= {"amount": refund.amount.amount, "currency": refund.amount.currency}
        else:
            data |= {"failure_reason": failure_reason, "method": "card"}
        event = Event("refund.succeeded" if succeeded else "refund.failed", data)
        self.core.repo.save(ReturnChange(changed, ret.version, [entry], [event]))
        return changed
