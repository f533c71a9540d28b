"""Where an order's money was taken, read from its payment reference: money goes back the way it
came, so this picks the refund's provider.

The reference is what the storefront sent (`POST /v1/orders`) or what the Shopify mapping set:

- `gid://shopify/Order/<id>`: a Shopify order, refunded through Shopify's Admin API (whatever
  gateway took the money, Shopify refunds through it);
- `pi_...`: a Stripe PaymentIntent; `ch_...` or `py_...`: a Stripe charge (older integrations);
- `paypal:<capture id>`: a PayPal capture (v2 Payments), e.g. `paypal:2GG279541U471931P`.

Anything else (empty, a gid of another resource, a bare number) is no usable reference: the refund
fails with reason `no_payment_reference` and finance pays another way. Nothing is guessed: a
Shopify id must never reach Stripe, and an unknown reference is never "refunded" by a sandbox.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Provider(StrEnum):
    STRIPE = "stripe"
    SHOPIFY = "shopify"
    PAYPAL = "paypal"


class SourceKind(StrEnum):
    PAYMENT_INTENT = "payment_intent"
    CHARGE = "charge"
    SHOPIFY_ORDER = "shopify_order"
    PAYPAL_CAPTURE = "paypal_capture"


@dataclass(frozen=True)
class PaymentSource:
    provider: Provider
    kind: SourceKind
    id: str  # what the provider's API names: pi_..., ch_..., the order's gid, the capture id


PAYPAL_PREFIX = "paypal:"
_SHOPIFY_ORDER = re.compile(r"^gid://shopify/Order/[0-9]{1,20}$")
_STRIPE_ID = re.compile(r"^(pi|ch|py)_[A-Za-z0-9]{1,250}$")
# PayPal's ids are upper-case letters and digits (17 for a capture); a little room either way.
_PAYPAL_CAPTURE = re.compile(r"^[A-Z0-9]{10,40}$")


def payment_source(reference: str | None) -> PaymentSource | None:
    """The provider and object a refund of this order names; None when there is none to use."""
    ref = (reference or "").strip()
    if _SHOPIFY_ORDER.fullmatch(ref):
        return PaymentSource(Provider.SHOPIFY, SourceKind.SHOPIFY_ORDER, ref)
    if _STRIPE_ID.fullmatch(ref):
        kind = SourceKind.PAYMENT_INTENT if ref.startswith("pi_") else SourceKind.CHARGE
        return PaymentSource(Provider.STRIPE, kind, ref)
    if ref.startswith(PAYPAL_PREFIX) and _PAYPAL_CAPTURE.fullmatch(ref[len(PAYPAL_PREFIX) :]):
        return PaymentSource(Provider.PAYPAL, SourceKind.PAYPAL_CAPTURE, ref[len(PAYPAL_PREFIX) :])
    return None
