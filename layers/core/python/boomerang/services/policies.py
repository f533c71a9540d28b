"""Which policy a shop runs: its current stored version, else the default, cached briefly."""

from __future__ import annotations

import time

from boomerang.domain.policy import Policy, default_policy
from boomerang.store.records import Repository


class PolicySource:
    def __init__(self, repo: Repository, cache_seconds: int = 60):
        self.repo = repo
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[Policy, float]] = {}
        self._default: Policy | None = None

    def __call__(self, shop: str) -> Policy:
        hit = self._cache.get(shop)
        if hit and time.monotonic() - hit[1] < self.cache_seconds:
            return hit[0]
        policy = self.repo.current_policy(shop)
        if policy is None:
            if self._default is None:
                self._default = default_policy()
            policy = self._default
        self._cache[shop] = (policy, time.monotonic())
        return policy
