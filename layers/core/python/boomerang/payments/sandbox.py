"""A payment provider for local runs, tests and shops explicitly in test mode. It accepts every
refund as pending: settlement comes from a (simulated or signed sample) webhook. The reference is
derived from the idempotency key, so a retried step asks once."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from boomerang.domain.models import DifferencePayment, Refund, Resolution, Return
from boomerang.domain.money import Money
from boomerang.payments.port import PaymentRequest


class SandboxPayments:
    def __init__(self) -> None:
        self.requests: dict[str, Refund] = {}
        # Payment requests' states by reference: paid by a (simulated) webhook, or `pay` in tests.
        self.payments: dict[str, str] = {}

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

    def request_payment(self, ret: Return, request: PaymentRequest) -> DifferencePayment:
        """A test-mode shop's payment request: a link back to the return's page; nothing is charged.
        A signed sample `checkout.session.completed` pays it (local/stripe_local.py)."""
        reference = "cs_sbx_" + hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:24]
        self.payments.setdefault(reference, "open")
        return DifferencePayment(
            provider="sandbox",
            reference=reference,
            url=f"{request.return_url}?sandbox_payment={reference}",
            amount=request.amount,
            requested_at=datetime.now(UTC),
        )

    def payment_state(self, reference: str) -> str:
        return self.payments.get(reference, "open")

    def close_payment(self, reference: str) -> str:
        if self.payment_state(reference) == "open":
            self.payments[reference] = "expired"
        return self.payment_state(reference)

    def hold_card(
        self, ret: Return, amount: Money, idempotency_key: str, payment_reference: str | None, charge: bool
    ) -> tuple[str, str]:
        """A test-mode shop's instant exchange: a held card nothing is taken from."""
        reference = "pi_sbx_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:20]
        self.payments.setdefault(reference, "charged" if charge else "authorized")
        return reference, self.payments[reference]

    def capture_hold(self, reference: str, idempotency_key: str) -> str:
        self.payments[reference] = "captured"
        return "captured"

    def release_hold(self, reference: str) -> str:
        self.payments[reference] = "released"
        return "released"


def sandbox_reference(idempotency_key: str) -> str:
    return "re_sbx_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:20]
