"""What Boomerang asks of a payment integration."""

from __future__ import annotations

from typing import Protocol

from boomerang.domain.models import Refund, Return
from boomerang.domain.money import Money


class Payments(Protocol):
    def refund(self, ret: Return, amount: Money, idempotency_key: str) -> Refund:
        """Ask for a refund; it settles later (the provider's webhook says how)."""
        ...
