"""Storefront API keys: random secrets shown once; only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets


def new_api_key(shop: str) -> str:
    return f"bk_{shop}_{secrets.token_urlsafe(24)}"


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
