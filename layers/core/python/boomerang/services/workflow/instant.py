"""Instant exchange (the policy's `exchanges.instant`): the replacement ships when the label is
issued, not when the return arrives, and the customer's card is held for its value meanwhile.

- **Label issued** (`after_label`): the saved card of the order's Stripe payment is held for the
  replacement's value through a PaymentIntent: authorized (capture_method=manual), or charged
  off-session at once where an authorization would expire before the deadline (Stripe keeps one 7
  days online; `instant.authorization_valid`). The held units leave the catalog and
  `exchange.order_requested` goes out now. The label is valid until the deadline
  (`instant.ship_within`), so the carrier wait runs out then. A card that cannot be held (declined,
  the bank wants the customer present, the provider down) leaves an ordinary exchange: the
  replacement is ordered at resolution, as always.
- **Not in transit by the deadline** (`before_expiry`, the carrier wait running out): the
  authorization is captured; the customer keeps both and has paid for the replacement.
- **Received** (`settle_on_receipt`: the warehouse scan, else resolution): the authorization is
  released, or the off-session charge refunded.
- **Resolution** (`resolve`): the replacement went out already: the return becomes exchanged (and
  replacement_shipped where the merchant reported the shipment meanwhile).

Eligible: an exchange against the catalog at the same price, of an order paid by a Stripe payment
intent (boomerang.domain.exchanges.instant_terms). Each provider call has its own idempotency key.
"""

from __future__ import annotations

import logging
from typing import Any

from boomerang.domain.exchanges import instant_terms
from boomerang.domain.models import Exchange, InstantCharge, Return, TimelineEntry
from boomerang.domain.money import Money
from boomerang.payments.port import PaymentConfigurationError, PaymentProviderUnavailable, RefundRefused
from boomerang.services.retry import retry_stale
from boomerang.services.workflow.core import Phase, S
from boomerang.store.records import Event, ReturnChange

log = logging.getLogger(__name__)
HELD = frozenset({"authorized", "charged"})


def instant_key(rma: str, what: str) -> str:
    return f"boomerang:{rma}:instant:{what}"


class InstantPhase(Phase):
    @retry_stale
    def after_label(self, rma: str, order_event: Any) -> None:
        """Hold the card and order the replacement now, where the return gets an instant exchange.
        `order_event(ret, exchange, back)` is the exchange.order_requested data (exchange.py)."""
        ret = self.core.get(rma)
        exchange = ret.exchange
        if ret.status is not S.LABEL_ISSUED or ret.label is None or exchange is None:
            return
        if exchange.instant is not None or exchange.replacement_order_id is not None:
            return  # a retried step
        policy = self.core.policy_for(ret.shop)
        order = self.core.repo.get_order(ret.shop, ret.order_id)
        terms = instant_terms(policy, ret, order.payment_reference)
        if terms is None:
            return
        deadline = ret.label.valid_until
        charge = deadline >= self.core.clock() + terms.authorization_valid
        try:
            reference, state = self.core.payments.hold_card(  # type: ignore[attr-defined]
                ret, exchange.value, instant_key(rma, "hold"), order.payment_reference, charge
            )
        except (RefundRefused, PaymentProviderUnavailable, PaymentConfigurationError) as exc:
            reason = getattr(exc, "reason", type(exc).__name__)
            self._save(ret, f"No instant exchange: the card could not be held ({reason}); the replacement "
                       "ships when the return arrives.", "exchange.not_instant", [])  # fmt: skip
            return
        from boomerang.services.workflow.exchange import replacement_order_id
        from boomerang.store.catalog import Hold

        held = InstantCharge(reference=reference, amount=exchange.value, status=state, deadline=deadline)
        ordered = exchange.model_copy(
            update={
                "hold": "ordered",
                "replacement_order_id": replacement_order_id(rma),
                "requested_at": self.core.clock(),
                "instant": held,
            }
        )
        data = order_event(ret, exchange, Money.zero(exchange.value.currency)) | {"status": ret.status.value}
        how = "charged (an authorization would expire first)" if state == "charged" else "authorized"
        said = (f"Instant exchange: the card is {how} for {exchange.value}; the replacement is ordered now. "
                f"The return must be sent by {deadline:%Y-%m-%d}.")  # fmt: skip
        consumed = self.core.catalog.consume_items(
            ret.shop, [Hold(r.product_id, r.variant_id, r.quantity) for r in exchange.lines]
        )
        self._save(
            ret, said, "exchange.card_held",
            [Event("exchange.order_requested", data), Event("exchange.card_held", self._data(ret, held))],
            extra_items=consumed, exchange=ordered,
        )  # fmt: skip

    @retry_stale
    def before_expiry(self, rma: str) -> None:
        """The carrier wait ran out: a return not in transit has its authorization captured."""
        ret = self.core.get(rma)
        held = ret.exchange.instant if ret.exchange else None
        if held is None or held.status != "authorized" or ret.status is not S.LABEL_ISSUED:
            return
        self.core.payments.capture_hold(ret, held.reference, instant_key(rma, "capture"))  # type: ignore[attr-defined]
        self._settled(ret, held, "captured", f"The return was not sent by {held.deadline:%Y-%m-%d}: the "
                      f"replacement's {held.amount} is captured.", "workflow")  # fmt: skip

    @retry_stale
    def settle_on_receipt(self, rma: str, actor: str) -> Return:
        """The return arrived: release the authorization, or refund the off-session charge."""
        ret = self.core.get(rma)
        held = ret.exchange.instant if ret.exchange else None
        if held is None or held.status not in HELD:
            return ret
        if held.status == "authorized":
            self.core.payments.release_hold(ret, held.reference)  # type: ignore[attr-defined]
            return self._settled(ret, held, "released", f"The return arrived: the {held.amount} "
                                 "authorization is released.", actor)  # fmt: skip
        # The charge is refunded on its own payment intent, not the order's.
        self.core.payments.refund(ret, held.amount, instant_key(rma, "refund"), held.reference)
        return self._settled(ret, held, "refunded", f"The return arrived: the {held.amount} charged for the "
                             "replacement is refunded.", actor)  # fmt: skip

    def resolve(self, ret: Return, exchange: Exchange) -> dict[str, Any]:
        """The replacement went out with the label: settle the card, and the return is exchanged."""
        ret = self.settle_on_receipt(ret.rma, "workflow")
        if ret.status is not S.REFUND_PENDING:
            ret = self.core.move(ret, S.REFUND_PENDING, "Exchange approved.", "workflow")
        ret = self.core.move(
            ret, S.EXCHANGED, "Instant exchange: the replacement went out when the label was issued.",
            "workflow", {"amount": 0, "currency": exchange.value.currency},
        )  # fmt: skip
        shipment = ret.exchange.shipment if ret.exchange else None
        if shipment is not None:  # reported while the return travelled
            ret = self.core.move(
                ret, S.REPLACEMENT_SHIPPED, f"The replacement shipped with {shipment.carrier}.", "workflow",
                {"carrier": shipment.carrier, "tracking_number": shipment.tracking_number,
                 "replacement_order_id": exchange.replacement_order_id},
            )  # fmt: skip
        return {
            "rma": ret.rma,
            "status": S.EXCHANGED.value,
            "replacement_order_id": exchange.replacement_order_id,
        }

    # --- helpers -----------------------------------------------------------------------------------

    def _settled(self, ret: Return, held: InstantCharge, outcome: str, said: str, actor: str) -> Return:
        assert ret.exchange is not None
        done = held.model_copy(update={"status": outcome})
        data = self._data(ret, done) | {"outcome": outcome}
        data.pop("mode")
        return self._save(
            ret, said, "exchange.card_settled", [Event("exchange.card_settled", data)], actor=actor,
            exchange=ret.exchange.model_copy(update={"instant": done}),
        )  # fmt: skip

    @staticmethod
    def _data(ret: Return, held: InstantCharge) -> dict[str, Any]:
        return {"rma": ret.rma, "order_id": ret.order_id, "status": ret.status.value,
                "amount": held.amount.amount, "currency": held.amount.currency,
                "reference": held.reference, "mode": held.status}  # fmt: skip

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
        now = self.core.clock()
        new = ret.model_copy(update={**changes, "version": ret.version + 1, "updated_at": now})
        entry = TimelineEntry(
            version=new.version, at=now, status=ret.status, event=event, message=message, actor=actor
        )
        self.core.repo.save(ReturnChange(new, ret.version, [entry], events, list(extra_items or [])))
        return new
