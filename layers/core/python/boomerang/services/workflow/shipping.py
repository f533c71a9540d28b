"""Shipping: the parcel on its way back. The prepaid label from the return's hub, and the carrier's
news (in transit, delivered) that moves the return on; a late or repeated scan never moves it back."""

from __future__ import annotations

from typing import Any

from boomerang.domain.models import Reception, Return
from boomerang.domain.status import ReturnStatus
from boomerang.services.retry import retry_stale
from boomerang.services.workflow.core import Phase, S
from boomerang.store.tracking import tracking_put


class ShippingPhase(Phase):
    @retry_stale
    def issue_label(self, rma: str) -> dict[str, Any]:
        ret = self.core.get(rma)
        if ret.status is not S.APPROVED:  # a retried step (the label exists) or cancelled meanwhile
            return {"rma": rma, "status": ret.status.value}
        policy = self.core.policy_for(ret.shop)
        hub = next(h for h in policy.hubs if h.hub_id == ret.hub.hub_id)
        now = self.core.clock()
        label = self.core.carrier.buy_return_label(ret, hub, now + policy.timeouts.label_valid, now)
        done = self.core.move(
            ret,
            S.LABEL_ISSUED,
            f"Prepaid {label.carrier} label issued to {hub.name}, valid until {label.valid_until:%Y-%m-%d}.",
            "workflow",
            {"carrier": label.carrier, "tracking_number": label.tracking_number},
            # Carrier webhooks find the return by its tracking number: indexed with the label.
            extra_items=[
                tracking_put(self.core.repo, label.tracking_number, ret.rma, ret.shop, label.carrier)
            ],
            label=label,
        )
        return {"rma": rma, "status": done.status.value}

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
