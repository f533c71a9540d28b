"""The signature on every outbound webhook delivery (docs/WEBHOOKS.md shows the receiver's side).

    Boomerang-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

Signing the timestamp with the body lets a receiver refuse replays older than its tolerance.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "Boomerang-Signature"
EVENT_ID_HEADER = "Boomerang-Event-Id"
EVENT_TYPE_HEADER = "Boomerang-Event-Type"
DELIVERY_ID_HEADER = "Boomerang-Delivery-Id"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    payload = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """True when `header` signs `body` with `secret` and its timestamp is within `tolerance` of now."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(parts.get("v1", ""), signature(secret, timestamp, body))
