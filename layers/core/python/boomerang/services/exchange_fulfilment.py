"""The replacement of an exchange shipped: `POST /v1/returns/{rma}/exchange-fulfilment` from the
merchant's ERP or WMS (or their storefront's server). The tracking goes on the return, the workflow
waiting for it (Wait.FULFILMENT) is resumed, and its notify step emails the customer the tracking.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from boomerang.auth.principal import Principal
from boomerang.domain import rma as rma_numbers
from boomerang.domain.errors import Conflict, Forbidden, NotFound
from boomerang.domain.models import ReplacementShipment, Return, TimelineEntry, Wait
from boomerang.domain.status import ReturnStatus, event_type
from boomerang.orchestration.step_functions import WorkflowEngine
from boomerang.services.retry import retry_stale
from boomerang.store.records import Event, Repository, ReturnChange, moved

log = logging.getLogger(__name__)


class ExchangeFulfilment:
    def __init__(self, repo: Repository, engine: Callable[[], WorkflowEngine | None]):
        self.repo = repo
        # Read at each call: the engine the returns service uses (one the tests may swap).
        self.engine = engine

    @retry_stale
    def shipped(self, caller: Principal, rma: str, shipment: ReplacementShipment, now: datetime) -> Return:
        """Record the shipment once: the same one again answers the return as it is; another one
        after it, or one for a return whose replacement is not ordered, is 409 no_replacement."""
        if caller.is_customer:
            raise Forbidden("Only the storefront's server may report a shipment.", code="api_key_required")
        try:
            canonical = rma_numbers.normalize(rma)
        except rma_numbers.InvalidRma as exc:
            raise NotFound(str(exc), code="invalid_rma") from exc
        ret, _, _ = self.repo.read_return(canonical)
        caller.ensure_order(ret.shop, ret.order_id, missing="return_not_found")
        exchange = ret.exchange
        if exchange is None or exchange.replacement_order_id is None:
            raise Conflict("The return has no replacement order to ship (yet).", code="no_replacement")
        if exchange.shipment is not None:
            if (exchange.shipment.carrier, exchange.shipment.tracking_number) == (
                shipment.carrier,
                shipment.tracking_number,
            ):
                return ret
            raise Conflict("The replacement's shipment is recorded already.", code="no_replacement")
        # An instant exchange's replacement ships while the return travels: kept, and the return
        # moves on to replacement_shipped at its resolution (services/workflow/instant.py).
        early = exchange.instant is not None and ret.status is not ReturnStatus.EXCHANGED
        target = ret.status if early else ReturnStatus.REPLACEMENT_SHIPPED
        token = ret.task_token if ret.waiting_for is Wait.FULFILMENT and not early else None
        recorded = {"exchange": exchange.model_copy(update={"shipment": shipment})}
        if early:
            new = ret.model_copy(update={**recorded, "version": ret.version + 1, "updated_at": now})
        else:
            new = moved(ret, target, now).model_copy(
                update={**recorded, **({"waiting_for": None, "task_token": None} if token else {})}
            )
        entry = TimelineEntry(
            version=new.version,
            at=now,
            status=target,
            event="exchange.shipped_early" if early else event_type(target),
            message=f"Replacement shipped with {shipment.carrier}: {shipment.tracking_number}.",
            actor="storefront",
        )
        data = {
            "rma": new.rma,
            "order_id": new.order_id,
            "status": target.value,
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "replacement_order_id": exchange.replacement_order_id,
        }
        shipped = event_type(ReturnStatus.REPLACEMENT_SHIPPED)
        self.repo.save(ReturnChange(new, ret.version, [entry], [Event(shipped, data)]))
        engine = self.engine()
        if token and engine is not None:
            try:
                engine.resume(token, {"rma": new.rma, "status": target.value})
            except Exception:
                # Saved either way: the wait's timeout step reads the status and moves on.
                log.exception("could not resume the workflow", extra={"rma": new.rma})
        return new


def shopify_replacement_shipped(
    service: ExchangeFulfilment, shop: str, order_id: str, carrier: str, number: str, at: datetime
) -> str | None:
    """A Shopify order's fulfilment, where the order is an exchange's replacement made in Shopify
    (payments/shopify_drafts.py): the replacement shipped, as POST .../exchange-fulfilment says it.
    The return's RMA, or None where the order replaces nothing."""
    from boomerang.store.payment_index import replacement_reference, returns_for_payment

    found = returns_for_payment(service.repo, replacement_reference(shop, order_id))
    if not found:
        return None
    shipment = ReplacementShipment(carrier=carrier, tracking_number=number, shipped_at=at)
    try:
        service.shipped(Principal(shop=shop), found[0], shipment, at)
    except Conflict:
        log.info("replacement shipment already recorded", extra={"rma": found[0]})
    return found[0]
