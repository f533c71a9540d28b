"""The caller of a storefront API request, and what it may reach."""

from __future__ import annotations

from dataclasses import dataclass

from boomerang.domain.errors import NotFound
from boomerang.domain.sessions import is_revoked, session_revoked


@dataclass(frozen=True)
class Principal:
    shop: str
    # A customer token reaches one order only; a storefront API key reaches the whole shop.
    order_id: str | None = None
    customer_ref: str | None = None
    issued_ms: int | None = None  # a customer token's issue time (ms), checked against revocation
    # A storefront API key's id (a prefix of its hash): whose stored idempotent answers these are.
    key_id: str | None = None

    @property
    def is_customer(self) -> bool:
        return self.order_id is not None

    def ensure_order(self, shop: str, order_id: str, missing: str = "order_not_found") -> None:
        # Someone else's order answers exactly as a missing one: 404, nothing revealed.
        if shop != self.shop or (self.order_id is not None and self.order_id != order_id):
            raise NotFound(
                "No such order." if missing == "order_not_found" else "No such return.", code=missing
            )

    def ensure_live(self, revoked_ms: int | None) -> None:
        """A customer token issued at or before its customer's revocation stamp is refused (401)."""
        if self.is_customer and is_revoked(self.issued_ms, revoked_ms):
            raise session_revoked()
