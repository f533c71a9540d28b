"""How a customer is referred to without personal data."""

from __future__ import annotations

import hashlib


def customer_ref(shop: str, email: str) -> str:
    """A stable pseudonymous id for a shop's customer: SHA-256 of the shop and the normalized email."""
    return hashlib.sha256(f"{shop}\n{email.strip().lower()}".encode()).hexdigest()[:32]
