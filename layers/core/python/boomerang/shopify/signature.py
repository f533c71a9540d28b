"""Shopify's webhook signature: X-Shopify-Hmac-Sha256 is the base64 HMAC-SHA256 of the raw body,
keyed with the app's client secret (shopify.dev: "Verify a webhook")."""

from __future__ import annotations

import base64
import hashlib
import hmac


def sign(raw_body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()).decode()


def verify(raw_body: bytes, header: str | None, secret: str) -> bool:
    """Whether `header` is the signature of exactly these bytes; compared in constant time."""
    if not header or not secret:
        return False
    return hmac.compare_digest(sign(raw_body, secret).encode(), header.strip().encode())
