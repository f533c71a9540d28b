"""EasyPost, through its official SDK: a return shipment to the hub, the lowest rate within the
hub's carriers and service levels (policy data), the label bought, a tracker created so EasyPost's
`tracker.updated` webhooks move the return.

The SDK is imported by whoever builds the client (see `easypost_client`), never at cold start of a
function that does not buy labels.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from boomerang.domain.models import Address, Hub, Label, Return
from boomerang.domain.money import Money

# A small parcel (inches, ounces) when the shop gives no dimensions: a folded garment.
DEFAULT_PARCEL = {"length": 12, "width": 10, "height": 4, "weight": 16}


def easypost_client(api_key: str) -> Any:
    from easypost.easypost_client import EasyPostClient

    return EasyPostClient(api_key, timeout=20)


def _address(address: Address) -> dict[str, str]:
    fields = {
        "name": address.name,
        "street1": address.line1,
        "street2": address.line2,
        "city": address.city,
        "state": address.region,
        "zip": address.postal_code,
        "country": address.country,
    }
    return {k: v for k, v in fields.items() if v}


def to_minor_units(amount: str, currency: str) -> Money:
    """EasyPost's decimal rate string ("6.07") as integer minor units, never through a float."""
    return Money(amount=int(Decimal(amount).scaleb(2).to_integral_value()), currency=currency)


class EasyPostCarrier:
    """`client` builds an EasyPostClient (its API key from Secrets Manager); `sender_of` gives the
    customer's address for a return (held by the storefront, never stored by Boomerang)."""

    def __init__(
        self,
        client: Callable[[], Any],
        sender_of: Callable[[Return], Address],
        parcel: dict[str, float] | None = None,
    ):
        self._client = client
        self.sender_of = sender_of
        self.parcel = parcel or DEFAULT_PARCEL

    def buy_return_label(self, ret: Return, hub: Hub, valid_until: datetime, now: datetime) -> Label:
        client = self._client()
        # EasyPost's return shipments keep the outbound roles: `from` is the hub, `to` the customer,
        # and is_return swaps them on the label, so the parcel travels from the customer to the hub.
        shipment = client.shipment.create(
            is_return=True,
            from_address=_address(hub.address),
            to_address=_address(self.sender_of(ret)),
            parcel=self.parcel,
            reference=ret.rma,
            options={"print_custom_1": ret.rma, "label_format": "PDF"},
        )
        rate = shipment.lowest_rate(carriers=hub.carriers or None, services=hub.services or None)
        bought = client.shipment.buy(shipment.id, rate=rate)
        client.tracker.create(tracking_code=bought.tracking_code, carrier=rate.carrier)
        selected = bought.selected_rate
        return Label(
            carrier=str(selected.carrier),
            tracking_number=str(bought.tracking_code),
            cost=to_minor_units(str(selected.rate), str(selected.currency)),
            issued_at=now,
            valid_until=valid_until,
            url=str(bought.postage_label.label_url),
            shipment_id=str(bought.id),
        )
