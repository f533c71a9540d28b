"""Shipping: the parcel on its way back. The prepaid label from the return's hub, and the carrier's
news (in transit, delivered) that moves the return on; a late or repeated scan never moves it back.

The label is bought once (boomerang.services.workflow.labels: claimed on the return, the carrier's
shipment recorded before it is bought, the label recorded), from the shop's carrier for the hub
(boomerang.carriers.factory: EasyPost for a live shop, the sandbox for a shop in test mode) for a
LabelRequest (boomerang.domain.labels: the customer's address, customs papers where the parcel
crosses a customs border). Where no label can
be issued for a reason a person must fix (no carrier configured, no address, customs data missing,
the carrier refused the shipment), the return records why on its timeline with a `label.not_issued`
event (which opens a ticket for staff) and the step raises LabelNotIssued: the state machine asks
again later, so the label follows once the configuration is fixed. Nothing falls back to a sandbox.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from boomerang.carriers.port import LabelNotIssued, LabelRefused
from boomerang.domain.customs import CustomsDataMissing
from boomerang.domain.errors import DomainError
from boomerang.domain.exchanges import instant_terms
from boomerang.domain.labels import NoShipFromAddress, label_request
from boomerang.domain.models import Hub, Label, LabelClaim, Reception, Return, TimelineEntry
from boomerang.domain.providers import CarrierNotConfigured
from boomerang.domain.status import ReturnStatus
from boomerang.services.retry import retry_stale
from boomerang.services.workflow.core import Phase, S
from boomerang.services.workflow.labels import ENDED, LabelAbandoned, LabelAttempts
from boomerang.store.records import Event, ReturnChange
from boomerang.store.tracking import tracking_put

# What stops a label until a person acts: recorded on the return, a ticket, the step asked again.
NEEDS_A_PERSON = (CarrierNotConfigured, NoShipFromAddress, CustomsDataMissing, LabelRefused)
NOT_ISSUED = "label.not_issued"


class ShippingPhase(Phase):
    @retry_stale
    def issue_label(self, rma: str) -> dict[str, Any]:
        """Claim the purchase, buy it (resuming a purchase whose step stopped), record the label:
        boomerang.services.workflow.labels says why in that order."""
        ret = self.core.get(rma)
        if ret.status is not S.APPROVED:  # a retried step (the label exists) or cancelled meanwhile
            return {"rma": rma, "status": ret.status.value}
        policy = self.core.policy_for(ret.shop)
        hub = next(h for h in policy.hubs if h.hub_id == ret.hub.hub_id)
        now = self.core.clock()
        valid_until = now + policy.timeouts.label_valid
        order = self.core.repo.get_order(ret.shop, ret.order_id)
        instant = instant_terms(policy, ret, order.payment_reference)
        if instant is not None:  # an instant exchange: the return must be sent by its deadline
            valid_until = now + min(policy.timeouts.label_valid, instant.ship_within)
        attempts = LabelAttempts(self.core)
        ret, claim = attempts.claim(ret)  # StaleVersion on a lost race: read again (retry_stale)
        try:
            label = self._buy(ret, hub, valid_until, now, attempts, claim)
        except NEEDS_A_PERSON as exc:
            attempts.release(ret, claim, keep=False)  # refused before anything was bought
            self._not_issued(self.core.get(rma), exc)
            raise LabelNotIssued(f"No label for return {rma}: {exc.code}", code=exc.code) from None
        except LabelAbandoned:
            attempts.release(ret, claim, keep=False)
            return {"rma": rma, "status": self.core.get(rma).status.value}
        except Exception:
            attempts.release(ret, claim, keep=True)  # the carrier may have bought it: resume it
            raise
        done = attempts.record(ret, claim, lambda current: self._issued(current, hub, label, attempts))
        if done.status in ENDED:  # cancelled while it was bought: hand it back at once
            attempts.refund_unused(rma)
        return {"rma": rma, "status": done.status.value}

    def _issued(self, ret: Return, hub: Hub, label: Label, attempts: LabelAttempts) -> Return:
        """Record the bought label: the return moves to label_issued, or keeps it if it ended."""
        if ret.status is not S.APPROVED:
            what = f"A {label.carrier} label was bought as the return ended: it is handed back."
            return attempts.note(ret, what, "label.bought_late", label=label, label_claim=None)
        papers = " with its customs papers" if label.customs_invoice_url or label.customs_document_key else ""
        specimen = " (a specimen: this shop is in test mode)" if label.specimen else ""
        return self.core.move(
            ret,
            S.LABEL_ISSUED,
            f"Prepaid {label.carrier} label issued to {hub.name}{papers}, valid until "
            f"{label.valid_until:%Y-%m-%d}{specimen}.",
            "workflow",
            {"carrier": label.carrier, "tracking_number": label.tracking_number},
            # Carrier webhooks find the return by its tracking number: indexed with the label.
            extra_items=[
                tracking_put(self.core.repo, label.tracking_number, ret.rma, ret.shop, label.carrier)
            ],
            label=label,
            label_claim=None,
        )

    def _buy(
        self,
        ret: Return,
        hub: Hub,
        valid_until: datetime,
        now: datetime,
        attempts: LabelAttempts,
        claim: LabelClaim,
    ) -> Label:
        carriers = self.core.carriers
        carrier = carriers.for_hub(ret.shop, hub.hub_id)  # CarrierNotConfigured for a live shop
        settings = carriers.settings(ret.shop)
        order = self.core.repo.get_order(ret.shop, ret.order_id)
        needs_address = getattr(carrier, "needs_address", True)
        if not needs_address and ret.ship_from is None and order.shipping_address is None:
            # A specimen needs no address (it shows the hub and the RMA): a test-mode shop's order
            # imported without one still gets its label, without customs papers.
            return carrier.buy_return_label(ret, hub, valid_until, now)  # type: ignore[attr-defined,no-any-return]
        request = label_request(ret, order, hub, settings, valid_until, now)
        return carrier.buy(request.attempt(claim.key, claim.shipment_id, attempts.created(ret, claim)))

    def _not_issued(self, ret: Return, exc: DomainError) -> None:
        """Say on the return why it has no label, once per reason (the step is asked again and
        again until it is fixed); the event opens a ticket for staff."""
        message = f"No label issued: {exc.message}"
        _, timeline = self.core.repo.get_return(ret.rma)
        if any(e.event == NOT_ISSUED and e.message == message for e in timeline):
            return
        entry = TimelineEntry(
            version=ret.version + 1,
            at=self.core.clock(),
            status=ret.status,
            event=NOT_ISSUED,
            message=message,
            actor="workflow",
        )
        noted = ret.model_copy(update={"version": ret.version + 1, "updated_at": entry.at})
        data = {"rma": ret.rma, "order_id": ret.order_id, "hub_id": ret.hub.hub_id, "reason": exc.code}
        self.core.repo.save(ReturnChange(noted, ret.version, [entry], [Event(NOT_ISSUED, data)]))

    def carrier_update(self, rma: str, status: ReturnStatus, source: str) -> Return:
        return self.carrier_news(rma, status, source)[0]

    @retry_stale
    def carrier_news(self, rma: str, status: ReturnStatus, source: str) -> tuple[Return, bool]:
        """The return after the carrier's news, and whether this news moved it (the workflow may
        move it on meanwhile, so a changed version alone does not say)."""
        ret = self.core.get(rma)
        if ret.status is status or status not in (S.IN_TRANSIT, S.DELIVERED):
            return ret, False  # a repeated or late scan never moves a return backwards
        if ret.status not in (S.LABEL_ISSUED, S.IN_TRANSIT):
            return ret, False
        items = [i.model_copy(update={"reception": Reception.IN_TRANSIT}) for i in ret.items]
        what = "In transit." if status is S.IN_TRANSIT else f"Delivered to {ret.hub.name}."
        news = items if status is S.IN_TRANSIT else ret.items
        return self.core.move(ret, status, what, source, items=news), True
