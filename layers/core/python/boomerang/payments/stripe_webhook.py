"""Verifying a Stripe webhook before anything reads it: the `Stripe-Signature` on the raw body, the
signed timestamp within the tolerance either way, then the body as a Stripe event (a JSON object
with an `evt_` id).

The SDK's `Webhook.construct_event` is not enough on its own: it checks only that the timestamp is
not too old (an event signed an hour ahead passes), and it builds a `stripe.Event` from whatever
JSON the body holds, failing with an AttributeError on a signed `[]`, `5` or `null`. Here the SDK
checks the signature and the age, and the rest is checked as plain data.
"""

from __future__ import annotations

import json
from typing import Any

import stripe

# Stripe's own default tolerance: a signed timestamp more than 5 minutes old, or ahead, is refused.
TOLERANCE_SECONDS = 300


class WebhookRefused(Exception):
    """A webhook answered 400 with `code`, before anything is read or written."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _signed_at(header: str) -> int:
    for part in header.split(","):
        name, _, value = part.partition("=")
        if name.strip() == "t":
            return int(value)
    raise ValueError("no t= in the header")


def verified_event(
    payload: bytes, header: str | None, secret: str, now: int, tolerance: int = TOLERANCE_SECONDS
) -> dict[str, Any]:
    """The event Stripe signed, as a dict; WebhookRefused (invalid_signature, malformed_json,
    bad_request) when the header, the timestamp or the body is not a genuine Stripe event."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WebhookRefused("malformed_json", "The body is not UTF-8 JSON.") from exc
    try:
        stripe.WebhookSignature.verify_header(text, header, secret, tolerance)
    except stripe.SignatureVerificationError as exc:
        raise WebhookRefused(
            "invalid_signature", "The Stripe-Signature does not match the body, or is too old."
        ) from exc
    assert header is not None  # verify_header refuses a missing one
    if _signed_at(header) > now + tolerance:
        # A clock far ahead, or a signature made to be replayed later: refused like an old one.
        raise WebhookRefused(
            "invalid_signature", f"The Stripe-Signature is dated more than {tolerance} s in the future."
        )
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise WebhookRefused("malformed_json", "The body is not JSON.") from exc
    if not isinstance(body, dict):
        raise WebhookRefused("malformed_webhook", "The body is not a Stripe event (a JSON object).")
    if not (isinstance(body.get("id"), str) and body["id"].startswith("evt_")):
        raise WebhookRefused("malformed_webhook", "The body is not a Stripe event (no evt_ id).")
    if not isinstance(body.get("type"), str) or not isinstance(body.get("data"), dict):
        raise WebhookRefused("malformed_webhook", "The body is not a Stripe event (no type or data).")
    return body
