"""Shops and their storefront API keys: create and list shops, create and revoke keys.

A key is shown once, when it is made; only its SHA-256 is stored (auth/api_keys.py). Functions keep
a key they have checked for their `API_KEY_CACHE_SECONDS` (5 minutes), so a revoked key stops
working within that time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from boomerang.auth.api_keys import hash_api_key, new_api_key
from boomerang.domain.errors import NotFound, Unprocessable
from boomerang.store import keys
from boomerang.store.policies import PolicyStore
from boomerang.store.records import Repository
from boomerang.store.shops import ShopStore

# Lower case, digits and hyphens: a shop id goes into URLs (/{shop}/returns), API keys (bk_<shop>_...)
# and secret names (boomerang/<shop>/stripe).
SHOP_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
# The first path segments Boomerang's own routes use (the staff console, the APIs, webhooks, docs, and
# make local's helpers): a shop of that id could have no portal (/admin/returns is the console's).
RESERVED_SHOP_IDS = frozenset({"admin", "v1", "webhooks", "docs", "local"})


@dataclass(frozen=True)
class ShopSummary:
    shop: str
    name: str
    policy_version: int | None  # None: the built-in default policy


class ShopAdmin:
    def __init__(self, repo: Repository):
        self.repo = repo
        self.policies = PolicyStore(repo.table, repo.ddb)
        self.shops = ShopStore(repo)

    def create(self, shop: str, name: str, key_label: str = "first key") -> str:
        """Create the shop (Conflict `shop_exists` if it is there) and its first API key."""
        if not SHOP_ID.fullmatch(shop):
            raise Unprocessable(
                f"'{shop}' cannot be a shop id: use 2 to 63 lower-case letters, digits and hyphens.",
                code="validation_failed",
                details=[
                    {"field": "shop", "code": "invalid_shop_id", "message": f"must match {SHOP_ID.pattern}"}
                ],
            )
        if shop in RESERVED_SHOP_IDS:
            raise Unprocessable(
                f"'{shop}' cannot be a shop id: Boomerang's own pages and APIs use /{shop}/.",
                code="validation_failed",
                details=[{"field": "shop", "code": "reserved_shop_id", "message": f"'{shop}' is reserved"}],
            )
        if not name.strip():
            raise Unprocessable(
                "Give the shop a name.",
                code="validation_failed",
                details=[{"field": "name", "code": "missing", "message": "A name is required."}],
            )
        self.shops.create(shop, name.strip())
        return self.create_key(shop, key_label)

    def list(self) -> list[ShopSummary]:
        """Every shop, with the policy version it runs (one Query and one BatchGetItem per 100)."""
        shops = self.shops.all()
        found = self.repo.get_many([self.policies.pointer_key(s["shop"]) for s in shops])
        summaries = []
        for s in shops:
            pointer = self.policies.pointer_key(s["shop"])
            version = self.policies.version_in(found.get((pointer[keys.PK], pointer[keys.SK])))
            summaries.append(ShopSummary(s["shop"], s["name"], version))
        return summaries

    def exists(self, shop: str) -> bool:
        key = keys.shop(shop)
        return (key[keys.PK], key[keys.SK]) in self.repo.get_many([key])

    def create_key(self, shop: str, label: str = "storefront") -> str:
        """A new API key for the shop, returned once (to rotate: create, deploy it, revoke the old)."""
        if not self.exists(shop):
            raise NotFound(
                f"No shop {shop}: create it first (boomerang shops create).", code="shop_not_found"
            )
        key = new_api_key(shop)
        self.repo.put_api_key(hash_api_key(key), shop, label)
        return key

    def revoke_key(self, shop: str, key: str | None = None, key_hash: str | None = None) -> None:
        """Revoke one of the shop's keys, given the key or its SHA-256 (hex)."""
        digest = key_hash.strip().lower() if key_hash else hash_api_key(key.strip()) if key else ""
        if not re.fullmatch(r"[0-9a-f]{64}", digest) or not self.shops.delete_api_key(digest, shop):
            raise NotFound(f"That is not an API key of shop {shop}.", code="api_key_not_found")
