"""Stripe in the local stack: the template's Stripe secret holds a test key that only the local
payment fakes accept (local/payment_fakes.py: the real Stripe SDK is pointed at them) and a webhook
signing secret this module knows, so `make demo` (local/demo/stripe.py) can post events signed as
Stripe signs them."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import boto3

from local.from_template import of_type

LOCAL_WEBHOOK_SECRET = "whsec_local_sandbox_only_not_a_stripe_secret"
# A key of Stripe's shape that means nothing to Stripe: only the local fakes answer it.
LOCAL_STRIPE_KEY = "sk_test_local_payment_fakes_only"


def is_stripe_secret(resource: dict[str, Any]) -> bool:
    generated = (resource.get("Properties") or {}).get("GenerateSecretString") or {}
    return "api_key" in str(generated.get("SecretStringTemplate", ""))


def configure_stripe(template: dict[str, Any], physical: dict[str, str]) -> None:
    manager = boto3.client("secretsmanager")
    for logical_id, resource in of_type(template, "AWS::SecretsManager::Secret").items():
        if is_stripe_secret(resource) and logical_id in physical:
            value = {"api_key": LOCAL_STRIPE_KEY, "webhook_secret": LOCAL_WEBHOOK_SECRET}
            manager.put_secret_value(SecretId=physical[logical_id], SecretString=json.dumps(value))


SAMPLES = Path(__file__).resolve().parents[1] / "events" / "samples" / "stripe"


def stripe_signature(payload: str, secret: str, at: int | None = None) -> str:
    """The Stripe-Signature header Stripe sends: t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<body>")."""
    timestamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def sample_event(name: str, rma: str, *, refund_id: str | None = None, event_id: str | None = None,
                 **refund: Any) -> dict[str, Any]:  # fmt: skip
    """A sample from events/samples/stripe for return `rma` (its refund `refund_id`), with `refund`
    fields (status, failure_reason, ...) set on the refund object(s) it carries."""
    event: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text())
    text = json.dumps(event).replace("RMA-REPLACE", rma)
    event = json.loads(text)
    if event_id:
        event["id"] = event_id
    obj = event["data"]["object"]
    refunds = obj.get("refunds", {}).get("data", []) if obj.get("object") == "charge" else [obj]
    for r in refunds if obj.get("object") in ("refund", "charge") else []:
        if refund_id:
            r["id"] = refund_id
        r.update(refund)
    return event
