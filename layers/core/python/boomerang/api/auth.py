"""Resolving a request's caller from its headers: a storefront API key or a customer token."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime

from boomerang.auth import customer_tokens
from boomerang.auth.api_keys import hash_api_key
from boomerang.auth.principal import Principal
from boomerang.domain.errors import Unauthorized
from boomerang.domain.sessions import to_ms
from boomerang.store.records import Repository
from boomerang.store.sessions import SessionStore


class Authenticator:
    def __init__(self, repo: Repository, signing_key: Callable[[], bytes], key_cache_seconds: int = 300):
        self.repo = repo
        self.signing_key = signing_key
        self.key_cache_seconds = key_cache_seconds
        # Per-container cache of key hash -> (shop or None, fetched at): keys change rarely and
        # a lookup on every request would double the calls of a GET.
        self._keys: dict[str, tuple[str | None, float]] = {}
        self.sessions = SessionStore(repo.table, repo.ddb)

    def shop_for_key(self, api_key: str) -> str | None:
        digest = hash_api_key(api_key)
        hit = self._keys.get(digest)
        if hit and time.monotonic() - hit[1] < self.key_cache_seconds:
            return hit[0]
        shop = self.repo.shop_for_api_key(digest)
        if len(self._keys) > 1000:
            self._keys.clear()
        self._keys[digest] = (shop, time.monotonic())
        return shop

    def optional_shop(self, headers: Mapping[str, str]) -> str | None:
        key = headers.get("x-api-key")
        if not key:
            return None
        shop = self.shop_for_key(key)
        if shop is None:
            raise Unauthorized("The API key is not valid.", code="invalid_api_key")
        return shop

    def principal(self, headers: Mapping[str, str], now: datetime) -> Principal:
        auth = headers.get("authorization", "")
        if auth:
            scheme, _, token = auth.partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise Unauthorized("Use 'Authorization: Bearer <customer token>'.", code="invalid_token")
            claims = customer_tokens.verify(self.signing_key(), token.strip(), now)
            return Principal(
                shop=claims.shop,
                order_id=claims.order_id,
                customer_ref=claims.customer_ref,
                issued_ms=to_ms(claims.issued_at) if claims.issued_at else None,
            )
        shop = self.optional_shop(headers)
        if shop is None:
            raise Unauthorized(
                "Send a storefront API key (x-api-key) or a customer token (Authorization: Bearer).",
                code="unauthenticated",
            )
        return Principal(shop=shop, key_id=hash_api_key(headers["x-api-key"])[:16])

    def live_principal(self, headers: Mapping[str, str], now: datetime) -> Principal:
        """The caller, with a customer token checked against its customer's revocation (one GetItem)
        for routes that read nothing else of the customer; the others check it on what they read."""
        caller = self.principal(headers, now)
        if caller.is_customer and caller.customer_ref is not None:
            caller.ensure_live(self.sessions.revoked_ms(caller.shop, caller.customer_ref))
        return caller
