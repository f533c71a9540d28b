"""What Boomerang asks of a payment integration, and the three ways a refund request can fail."""

from __future__ import annotations

from typing import Protocol

from boomerang.domain.models import Refund, Return
from boomerang.domain.money import Money


class Payments(Protocol):
    def refund(
        self, ret: Return, amount: Money, idempotency_key: str, payment_reference: str | None = None
    ) -> Refund:
        """Ask for a refund of `amount` on the order's payment (`payment_reference`: the order's
        own, see boomerang.domain.payment_sources). The same key asks once, however often it is
        called. The answer's `status` is "succeeded" where the provider paid at once (Shopify,
        PayPal), "pending" where its webhook settles it later (Stripe); `provider` names who."""
        ...


class Payouts(Protocol):
    def payout(
        self, ret: Return, amount: Money, idempotency_key: str, receiver_email: str, shop_name: str
    ) -> Refund:
        """Pay `amount` to the customer another way than the original payment (finance's "pay by
        PayPal"): money really leaves, once per key."""
        ...


class PaymentProviderUnavailable(Exception):
    """Rate limited, a 5xx or a timeout: the same request (same key) may be retried with backoff.
    The workflow's state machine retries the step on this error's name."""


class PaymentConfigurationError(Exception):
    """The integration is misconfigured (bad or missing key, missing permission): staff must act;
    nothing is told to the customer."""


class RefundRefused(Exception):
    """The provider refused this refund for a reason of the payment (unusable method, disputed
    charge ...): `reason` is a key of boomerang.domain.refund_failures.CATALOGUE."""

    def __init__(self, reason: str, message: str = ""):
        super().__init__(message or reason)
        self.reason = reason
