"""What Boomerang asks of a carrier integration.

`ReturnLabels.buy(request)` is the port: a prepaid return label for a LabelRequest
(boomerang.domain.labels: the customer's address, the hub, customs papers where the parcel crosses
a customs border). `Carrier.buy_return_label` is the older call (no address, no customs): the
sandbox answers it for a test-mode shop's order that has no address. `Carriers` is how the
workflow finds the carrier of a shop's hub.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from boomerang.domain.errors import DomainError
from boomerang.domain.labels import LabelRequest
from boomerang.domain.models import Hub, Label, Return
from boomerang.domain.providers import ProviderSettings


class Carrier(Protocol):
    def buy_return_label(self, ret: Return, hub: Hub, valid_until: datetime, now: datetime) -> Label:
        """A prepaid label from the customer to `hub`, valid until `valid_until`."""
        ...


class ReturnLabels(Protocol):
    def buy(self, request: LabelRequest) -> Label:
        """A prepaid label for `request`, bought once per return (the carrier's reference is the
        RMA); with the carrier's QR code and customs papers where there are some."""
        ...


class LabelRefunds(Protocol):
    def refund(self, label: Label) -> str:
        """Hand a label never used back to the carrier for a refund of its postage: the refund's
        status as the carrier gives it ("submitted", "refunded", "rejected")."""
        ...


class Carriers(Protocol):
    """Where the workflow's label step gets its carrier: per shop and hub (carriers/factory.py)."""

    def settings(self, shop: str) -> ProviderSettings:
        """The shop's provider settings: test mode, carriers per hub, customs defaults."""
        ...

    def for_hub(self, shop: str, hub_id: str) -> ReturnLabels:
        """The carrier that buys `hub_id`'s labels for `shop`; CarrierNotConfigured where none."""
        ...


class CarrierUnavailable(DomainError):
    """Rate limited, a 5xx or a timeout: the same label may be asked again (the state machine
    retries the step on this error's name, with backoff)."""

    code = "carrier_unavailable"
    http_status = 503


class LabelRefused(DomainError):
    """The carrier refused this shipment (an address it cannot serve, no rate within the hub's
    carriers and services, customs data it rejects): a person must look. Its message carries the
    carrier's error code, never the address."""

    code = "label_refused"
    http_status = 422


class NoRate(LabelRefused):
    """No rate within the hub's carriers and service levels (and the shop's carrier accounts)."""

    code = "no_rate"


class LabelNotIssued(DomainError):
    """The label step could not issue a label for a reason a person must fix (no carrier configured,
    no address, customs data missing, the carrier refused): the reason is on the return's timeline
    and in a ticket; the state machine asks again later (its retrier names this error)."""

    code = "label_not_issued"
    # As GET /v1/returns/{rma}/label answers for a return without its label (the API never raises it).
    http_status = 404
