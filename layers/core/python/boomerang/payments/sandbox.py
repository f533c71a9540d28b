"""A payment provider that accepts every refund as pending: settlement comes from a (simulated)
webhook. The reference is derived from the idempotency key, so a retried step asks once."""

from __future__ import annotations

import hashlib

from boomerang.domain.models import Refund, Resolution, Return
from boomerang.domain.money import Money


class SandboxPayments:
    def __init__(self) -> None:
        self.requests: dict[str, Refund] = {}

    def refund(self, ret: Return, amount: Money, idempotency_key: str) -> Refund:
        if idempotency_key not in self.requests:
            reference = "re_sbx_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:20]
            self.requests[idempotency_key] = Refund(
                method=Resolution.REFUND, amount=amount, status="pending", reference=reference
            )
        return self.requests[idempotency_key]
