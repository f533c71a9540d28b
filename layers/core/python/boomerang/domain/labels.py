"""What a return label is bought for: the parcel's way (from the customer's address to the hub)
and its customs papers where it crosses a customs border. Plain data, built here from the return,
its order and the shop's providers; a carrier adapter only sends it.

The ship-from address is the customer's correction on the return request where they gave one,
else the order's shipping address. It is personal data: it lives in this request for the one call
to the carrier and is never logged, put in a Step Functions payload or an event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from boomerang.domain.customs import CustomsDeclaration, customs_declaration
from boomerang.domain.errors import Unprocessable
from boomerang.domain.models import Address, Hub, Order, Return
from boomerang.domain.providers import ProviderSettings

OUNCE_GRAMS = 28.349523125
# A folded garment when the shop gives no parcel (inches, ounces: as EasyPost takes them).
DEFAULT_PARCEL: dict[str, float] = {"length": 12, "width": 10, "height": 4, "weight": 16}


class NoShipFromAddress(Unprocessable):
    code = "no_ship_from_address"


@dataclass(frozen=True)
class LabelRequest:
    ret: Return
    hub: Hub
    ship_from: Address
    order_number: str
    valid_until: datetime
    now: datetime
    parcel: dict[str, float]
    customs: CustomsDeclaration | None = None
    # Who signs the customs declaration (the shop's legal name), where there is one.
    signer: str = ""
    # The purchase attempt (boomerang.services.workflow.labels): the carrier's reference for it, the
    # shipment it already created (a retried step buys that one, or finds it bought), and whom to
    # tell of a shipment it creates, before it is bought.
    reference: str = ""
    shipment_id: str | None = None
    created: Callable[[str], None] | None = field(default=None, compare=False)

    def attempt(
        self, reference: str, shipment_id: str | None, created: Callable[[str], None]
    ) -> LabelRequest:
        return replace(self, reference=reference, shipment_id=shipment_id, created=created)

    def __repr__(self) -> str:  # a log line or a traceback never prints the address
        return (
            f"LabelRequest(rma={self.ret.rma!r}, hub={self.hub.hub_id!r}, customs={self.customs is not None})"
        )


def ship_from(ret: Return, order: Order) -> Address:
    address = ret.ship_from or order.shipping_address
    if address is None:
        raise NoShipFromAddress(
            f"Return {ret.rma} has no address to pick the parcel up from: the order has no shipping "
            "address and the return request gave none.",
            details=[
                {"field": "ship_from", "code": "missing", "message": "An address is needed for a label."}
            ],
        )
    return address


def label_request(
    ret: Return,
    order: Order,
    hub: Hub,
    settings: ProviderSettings,
    valid_until: datetime,
    now: datetime,
) -> LabelRequest:
    """The label to buy for `ret` to `hub`; raises NoShipFromAddress, or CustomsDataMissing where
    the parcel crosses a customs border and a line's customs data is incomplete."""
    address = ship_from(ret, order)
    account = settings.carrier_for(hub.hub_id)
    parcel = dict(account.parcel) if account and account.parcel else dict(DEFAULT_PARCEL)
    weight_grams = round(parcel.get("weight", DEFAULT_PARCEL["weight"]) * OUNCE_GRAMS)
    customs = customs_declaration(
        order, ret.items, address.country, hub.address.country, settings.customs, weight_grams
    )
    return LabelRequest(
        ret=ret,
        hub=hub,
        ship_from=address,
        order_number=order.order_number,
        valid_until=valid_until,
        now=now,
        parcel=parcel,
        customs=customs,
        signer=settings.legal_name or hub.name,
    )
