"""What Boomerang asks of a carrier integration."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from boomerang.domain.models import Hub, Label, Return


class Carrier(Protocol):
    def buy_return_label(self, ret: Return, hub: Hub, valid_until: datetime, now: datetime) -> Label:
        """A prepaid label from the customer to `hub`, valid until `valid_until`."""
        ...
