"""How long each provider call may take: one table for the adapters (their SDK and HTTP timeouts)
and the CDK (the timeouts of the functions that make those calls), so a function never times out
while an SDK is still waiting (Stripe's SDK would otherwise wait 80 s, three times).

A budget is per request: `timeout_seconds` bounds one attempt (connect and read), `attempts` counts
the SDK's own retries of it. `worst_case_seconds(calls)` is what `calls` such requests in a row
may take at most; each function's timeout is that of its slowest use plus a margin, and the infra
tests hold them to it. Retrying beyond one invocation is the state machine's job (with backoff and
the same idempotency key), not the SDK's.

Requests made behind the storefront or admin API must also fit API Gateway's 29 s: their budgets
below keep a whole refund (two requests in a row) well under it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CallBudget:
    timeout_seconds: float
    attempts: int = 1
    # What the SDK sleeps between its attempts at most (Stripe: 0.5 s doubling, capped at 2 s).
    backoff_seconds: float = 0.0

    def worst_case_seconds(self, calls: int = 1) -> float:
        one = self.timeout_seconds * self.attempts + self.backoff_seconds * (self.attempts - 1)
        return one * calls


# Stripe: one refund request, retried once by the SDK (same Idempotency-Key) on a network error.
STRIPE = CallBudget(timeout_seconds=8, attempts=2, backoff_seconds=2)
# Shopify Admin GraphQL: the order's transactions and refunds, then refundCreate.
SHOPIFY = CallBudget(timeout_seconds=8)
SHOPIFY_CALLS = 2
# PayPal REST: an OAuth token, then the refund or payout (and on a duplicate payout, a read of it).
PAYPAL = CallBudget(timeout_seconds=7)
PAYPAL_CALLS = 3
# EasyPost: shipment (rates), buy, the QR form, the tracker.
EASYPOST = CallBudget(timeout_seconds=15)
EASYPOST_CALLS = 4
# Tracking providers (17TRACK, AfterShip): registering one parcel, from the fulfilment request.
TRACKING = CallBudget(timeout_seconds=5)
# Klaviyo's Create Event through klaviyo-api: each request bounded (the SDK sets none), retried twice
# by the SDK on 429/5xx after at most 5 s (plus its jitter of half that). Failures go back to the queue.
KLAVIYO = CallBudget(timeout_seconds=5, attempts=3, backoff_seconds=7.5)
# AWS calls inside Lambda (S3 puts of label PDFs, SES, SNS): botocore's connect and read timeouts.
AWS = CallBudget(timeout_seconds=5, attempts=3, backoff_seconds=1)

# API Gateway ends a proxied request after 29 s: a synchronous refund must be done well before.
API_GATEWAY_SECONDS = 29


def refund_seconds() -> float:
    """The slowest refund any payments adapter may make, one invocation."""
    return max(
        STRIPE.worst_case_seconds(1),
        SHOPIFY.worst_case_seconds(SHOPIFY_CALLS),
        PAYPAL.worst_case_seconds(PAYPAL_CALLS),
    )


def label_seconds() -> float:
    """The slowest label purchase: EasyPost's calls and storing the PDFs (label, invoice)."""
    return EASYPOST.worst_case_seconds(EASYPOST_CALLS) + AWS.worst_case_seconds(2)


# How long a payment attempt's claim (boomerang.services.workflow.payment) holds: longer than any
# function that claims may run (the resolve step, the admin API behind API Gateway's 29 s, each a
# few refunds' budgets at most), so a claim past it belongs to a caller that is no longer running.
PAYMENT_CLAIM_LEASE_SECONDS = 120
# How long a label purchase's claim (boomerang.services.workflow.labels) holds: longer than the label
# step may run (its timeout is label_seconds() plus the CDK's margin of 20 s).
LABEL_CLAIM_LEASE_SECONDS = int(label_seconds()) + 40
