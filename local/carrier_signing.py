"""Signing carrier webhooks as each provider does, with the local stack's own webhook secrets:
what `make demo` and the tests post to /webhooks/carriers/<provider>.

The secrets are local-only values, like the demo API key: the local stack writes them into its
Secrets Manager secrets (`use_local_webhook_secrets`), so the demo can sign what it posts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from pathlib import Path
from typing import Any

import boto3

from local.from_template import of_type

SAMPLES = Path(__file__).resolve().parent.parent / "events" / "samples" / "carriers"
SAMPLE_TRACKING_NUMBER = "SBX000000000000"
# Provider -> the environment variable naming its secret, and the local-only value it holds.
WEBHOOK_SECRETS = {
    "easypost": ("EASYPOST_WEBHOOK_SECRET_NAME", "whsec_easypost_local_only_0000000000"),
    "aftership": ("AFTERSHIP_WEBHOOK_SECRET_NAME", "whsec_aftership_local_only_000000000"),
    "17track": ("SEVENTEENTRACK_WEBHOOK_SECRET_NAME", "whsec_17track_local_only_0000000000"),
}


def sample(name: str, tracking_number: str, variant: str = "") -> bytes:
    """A sample body with a return's real tracking number in place of the placeholder, and an event
    id of its own per (sample, tracking number), as the provider would give each event; posting the
    same sample for the same parcel twice is a true duplicate. A `variant` makes it another event
    with the same content (a carrier's late re-send of an old scan)."""
    text = (SAMPLES / f"{name}.json").read_text()
    body = json.loads(text.replace(SAMPLE_TRACKING_NUMBER, tracking_number))
    own = uuid.uuid5(uuid.NAMESPACE_URL, f"boomerang-sample:{name}:{tracking_number}:{variant}")
    if "description" in body:  # EasyPost
        body["id"] = f"evt_{own.hex}"
    elif "event_id" in body:  # AfterShip
        body["event_id"] = str(own)
    return json.dumps(body).encode()


def signed_headers(provider: str, body: bytes, secret: str) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    if provider == "easypost":
        return {"X-Hmac-Signature": "hmac-sha256-hex=" + digest.hex()}
    if provider == "aftership":
        return {"aftership-hmac-sha256": base64.b64encode(digest).decode()}
    if provider == "17track":
        return {"sign": hashlib.sha256(body + b"/" + secret.encode()).hexdigest()}
    raise ValueError(provider)


def use_local_webhook_secrets(template: dict[str, Any], physical: dict[str, str]) -> None:
    """Give the secrets the carrier webhook function reads the local-only values above."""
    secrets = set(of_type(template, "AWS::SecretsManager::Secret"))
    manager = boto3.client("secretsmanager")
    for resource in of_type(template, "AWS::Lambda::Function").values():
        environment = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
        for variable, value in WEBHOOK_SECRETS.values():
            if variable not in environment:
                continue
            named = [lid for lid in secrets if f"'{lid}'" in str(environment[variable])]
            for logical_id in named:
                manager.put_secret_value(SecretId=physical[logical_id], SecretString=value)
