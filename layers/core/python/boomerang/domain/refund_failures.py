"""Why a refund failed and what happens next: one catalogue for the workflow, finance and the
customer's message. These texts are English (the sandbox channel and the timeline); the email
templates in each language (notify/templates) carry the same next steps, picked by `next_steps`.

Keys are Stripe's refund `failure_reason` values and the API error codes Stripe answers a refund
request with; anything else reads as `unknown`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PayoutMethod(StrEnum):
    """How finance may pay a refund after the original payment failed."""

    CARD = "card"  # the original payment again, through Stripe
    STORE_CREDIT = "store_credit"
    PAYPAL = "paypal"
    BANK_TRANSFER = "bank_transfer"


# How long each alternative takes to reach the customer: told to them, shown to finance.
HOW_LONG: dict[PayoutMethod, str] = {
    PayoutMethod.STORE_CREDIT: "at once",
    PayoutMethod.PAYPAL: "1-2 business days",
    PayoutMethod.BANK_TRANSFER: "5-7 business days",
    PayoutMethod.CARD: "5-10 business days",
}

ALTERNATIVES_TEXT = (
    "We can pay you store credit at once, by PayPal (1-2 business days) or by bank transfer "
    "(5-7 business days); reply to tell us which you prefer."
)


@dataclass(frozen=True)
class RefundFailure:
    reason: str
    staff_note: str  # what happened, for finance
    customer_text: str  # what the customer is told happens next
    card_retry: bool  # whether asking the original payment method again can work
    disputed: bool = False  # the charge is in a dispute: never refund it again, dispute handling decides

    @property
    def next_steps(self) -> str:
        """Which next steps the customer's email names (each language has its own text for each):
        `dispute` (the bank's dispute decides), `retry` (we retry; alternatives if they would rather
        not wait), `checking` (our team checks first) or `alternatives` (store credit, PayPal, bank
        transfer)."""
        if self.disputed:
            return "dispute"
        return {"insufficient_funds": "retry", "charge_already_refunded": "checking"}.get(
            self.reason, "alternatives"
        )


_FAILURES = (
    RefundFailure(
        "lost_or_stolen_card",
        "The card was reported lost or stolen; its bank refuses the refund.",
        "The card you paid with was reported lost or stolen, so your bank cannot take the refund. "
        + ALTERNATIVES_TEXT,
        card_retry=False,
    ),
    RefundFailure(
        "expired_or_canceled_card",
        "The card has expired or was cancelled.",
        "The card you paid with has expired or was cancelled, so your bank cannot take the refund. "
        + ALTERNATIVES_TEXT,
        card_retry=False,
    ),
    RefundFailure(
        "charge_for_pending_refund_disputed",
        "The customer disputed the charge while the refund was pending: dispute handling decides.",
        "You opened a dispute with your bank for this payment, so the refund now goes through that "
        "dispute; we will not pay it twice. Your bank will tell you the outcome.",
        card_retry=False,
        disputed=True,
    ),
    RefundFailure(
        "charge_disputed",
        "The charge is disputed (chargeback): dispute handling decides, no refund is sent.",
        "You opened a dispute with your bank for this payment, so the refund now goes through that "
        "dispute; we will not pay it twice. Your bank will tell you the outcome.",
        card_retry=False,
        disputed=True,
    ),
    RefundFailure(
        "insufficient_funds",
        "The merchant's Stripe balance could not cover the refund; top it up and retry the card.",
        "Your refund is delayed on our side and we will retry it within 2 business days. If you would "
        "rather not wait, we can pay you store credit at once, by PayPal (1-2 business days) or by "
        "bank transfer (5-7 business days); reply to tell us which you prefer.",
        card_retry=True,
    ),
    RefundFailure(
        "declined",
        "The card's bank declined the refund.",
        "Your bank declined the refund to your card. " + ALTERNATIVES_TEXT,
        card_retry=True,
    ),
    RefundFailure(
        "merchant_request",
        "The refund was cancelled from the Stripe dashboard.",
        "Your refund was stopped before it was paid; our team will contact you. " + ALTERNATIVES_TEXT,
        card_retry=True,
    ),
    RefundFailure(
        "payment_method_unusable",
        "Stripe cannot refund to the payment method used (e.g. a closed account).",
        "The way you paid cannot take a refund. " + ALTERNATIVES_TEXT,
        card_retry=False,
    ),
    RefundFailure(
        "charge_already_refunded",
        "Stripe says the charge is already fully refunded: check the charge before paying again.",
        "Our team is checking your refund; we will write within 2 business days.",
        card_retry=False,
    ),
    RefundFailure(
        "charge_expired_for_refund",
        "The charge is too old for Stripe to refund to the card.",
        "Your payment is too old to refund to your card. " + ALTERNATIVES_TEXT,
        card_retry=False,
    ),
    RefundFailure(
        "no_payment_reference",
        "The order carries no payment reference to refund through (a Shopify order, a Stripe payment "
        "intent or charge, a PayPal capture): pay another way.",
        "We could not refund to your card automatically. " + ALTERNATIVES_TEXT,
        card_retry=False,
    ),
    RefundFailure(
        "unknown",
        "Stripe gave no reason; check the refund in the Stripe dashboard.",
        "Your bank could not take the refund. " + ALTERNATIVES_TEXT,
        card_retry=True,
    ),
)

CATALOGUE: dict[str, RefundFailure] = {f.reason: f for f in _FAILURES}
# Stripe's refund failure_reason values (the webhook's refund.failure_reason).
STRIPE_FAILURE_REASONS = (
    "lost_or_stolen_card",
    "expired_or_canceled_card",
    "charge_for_pending_refund_disputed",
    "insufficient_funds",
    "declined",
    "merchant_request",
    "unknown",
)


def refund_failure(reason: str | None) -> RefundFailure:
    """The catalogue entry for a failure reason or API error code; `unknown` for anything else."""
    return CATALOGUE.get(reason or "unknown", CATALOGUE["unknown"])
