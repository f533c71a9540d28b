"""What Boomerang asks of a payment integration, and the three ways a refund request can fail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from boomerang.domain.models import DifferencePayment, Refund, Return
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


# What a payment request of Boomerang's says it is for (Stripe metadata, Shopify draft order tags).
PURPOSE = "exchange_difference"
INSTANT = "instant_exchange"


@dataclass(frozen=True)
class PaymentRequest:
    """What the customer is asked to pay: a dearer replacement's difference."""

    amount: Money
    idempotency_key: str
    return_url: str  # the return's page on the portal: where the customer comes back to
    description: str
    customer_email: str | None = None
    payment_reference: str | None = None  # the order's: Shopify orders are invoiced by Shopify


class PaymentRequests(Protocol):
    def request_payment(self, ret: Return, request: PaymentRequest) -> DifferencePayment:
        """Ask the customer to pay `request.amount` (a link they pay at), once per key."""
        ...

    def payment_state(self, ret: Return, payment: DifferencePayment) -> str:
        """open | paid | expired, as the provider has it now."""
        ...

    def close_payment(self, ret: Return, payment: DifferencePayment) -> str:
        """Withdraw an unpaid request; "paid" where it was paid meanwhile, else "expired"."""
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
