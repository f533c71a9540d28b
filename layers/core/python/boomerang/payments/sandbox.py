"""A payment provider for local runs, tests and shops explicitly in test mode. It accepts every
refund as pending: settlement comes from a (simulated or signed sample) webhook. The reference is
derived from the idempotency key, so a retried step asks once."""

from __future__ import annotations

import hashlib

from boomerang.domain.models import Refund, Resolution, Return
from boomerang.domain.money import Money


class SandboxPayments:
    def __init__(self) -> None:
        self.requests: dict[str, Refund] = {}

    def refund(
        self, ret: Return, amount: Money, idempotency_key: str, payment_reference: str | None = None
    ) -> Refund:
        if idempotency_key not in self.requests:
            self.requests[idempotency_key] = Refund(
                method=Resolution.REFUND,
                amount=amount,
                status="pending",
                reference=sandbox_reference(idempotency_key),
                paid_via="card",
                provider="sandbox",
            )
        return self.requests[idempotency_key]

    def payout(
        self, ret: Return, amount: Money, idempotency_key: str, receiver_email: str, shop_name: str
    ) -> Refund:
        """A test-mode shop's "pay by PayPal": paid at once, nothing leaves."""
        if idempotency_key not in self.requests:
            self.requests[idempotency_key] = Refund(
                method=Resolution.REFUND,
                amount=amount,
                status="succeeded",
                reference="po_sbx_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:20],
                paid_via="paypal",
                provider="sandbox",
            )
        return self.requests[idempotency_key]


def sandbox_reference(idempotency_key: str) -> str:
    return "re_sbx_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:20]
