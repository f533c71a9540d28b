"""Stripe in the local stack: the template's Stripe secret holds the sandbox key and a webhook
signing secret this module knows, so the local stack refunds through the sandbox adapter and
`make demo` (local/demo_stripe.py) can post events signed as Stripe signs them."""

from __future__ import annotations

import json
from typing import Any

import boto3

from local.from_template import of_type

LOCAL_WEBHOOK_SECRET = "whsec_local_sandbox_only_not_a_stripe_secret"


def is_stripe_secret(resource: dict[str, Any]) -> bool:
    generated = (resource.get("Properties") or {}).get("GenerateSecretString") or {}
    return "api_key" in str(generated.get("SecretStringTemplate", ""))


def configure_stripe(template: dict[str, Any], physical: dict[str, str]) -> None:
    manager = boto3.client("secretsmanager")
    for logical_id, resource in of_type(template, "AWS::SecretsManager::Secret").items():
        if is_stripe_secret(resource) and logical_id in physical:
            value = {"api_key": "sandbox", "webhook_secret": LOCAL_WEBHOOK_SECRET}
            manager.put_secret_value(SecretId=physical[logical_id], SecretString=json.dumps(value))
