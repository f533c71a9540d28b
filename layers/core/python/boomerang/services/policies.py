"""Which policy a shop runs: the version its pointer names (else the default), documents cached by
version.

A version's document never changes once written, so a container keeps each one it has read. What
can change is which version is current: that is a pointer item of about 100 bytes, read strongly
consistently on each use (1 RCU, a few milliseconds), so a version saved by staff or the CLI applies
from the very next request, in every container, with no timer to wait out. The storefront's return
and eligibility reads carry the pointer in the BatchGetItem they make anyway (`pointer_key`,
`from_found`), so those requests pay no extra call for it.

`pointer_seconds` > 0 trusts a pointer read for that long instead (fewer reads, a delay before a
new version applies): a knob for very busy shops, off by default.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from boomerang.domain.policy import Policy, default_policy
from boomerang.store.policies import PolicyStore
from boomerang.store.records import Repository

_DOCUMENTS_KEPT = 64  # versions kept per container, least recently used dropped first


class PolicySource:
    def __init__(self, repo: Repository, pointer_seconds: float = 0):
        self.repo = repo
        self.store = PolicyStore(repo.table, repo.ddb)
        self.pointer_seconds = pointer_seconds
        self._documents: OrderedDict[tuple[str, int], Policy] = OrderedDict()
        self._pointers: dict[str, tuple[int | None, float]] = {}
        self._default: Policy | None = None

    def __call__(self, shop: str) -> Policy:
        """The shop's current policy (one strongly consistent read of its pointer)."""
        seen = self._pointers.get(shop)
        if seen and self.pointer_seconds and time.monotonic() - seen[1] < self.pointer_seconds:
            return self.at(shop, seen[0])
        return self.at(shop, self._note(shop, self.store.current_version(shop)))

    def pointer_key(self, shop: str) -> dict[str, str]:
        """The pointer's key, for a caller that reads it along with its own items (get_many)."""
        return self.store.pointer_key(shop)

    def from_found(self, shop: str, found: dict[tuple[str, str], dict[str, Any]]) -> Policy:
        """The current policy, from items read with `pointer_key` among them."""
        key = self.pointer_key(shop)
        item = found.get((key["pk"], key["sk"]))
        return self.at(shop, self._note(shop, self.store.version_in(item)))

    def at(self, shop: str, version: int | None) -> Policy:
        """The shop's policy at `version` (None: the default policy)."""
        if version is None:
            if self._default is None:
                self._default = default_policy()
            return self._default
        cached = self._documents.get((shop, version))
        if cached is not None:
            self._documents.move_to_end((shop, version))
            return cached
        stored = self.store.get(shop, version)
        if stored is None:
            raise LookupError(f"the pointer of {shop} names policy version {version}, which is missing")
        policy = stored.policy()
        self._documents[(shop, version)] = policy
        while len(self._documents) > _DOCUMENTS_KEPT:
            self._documents.popitem(last=False)
        return policy

    def _note(self, shop: str, version: int | None) -> int | None:
        self._pointers[shop] = (version, time.monotonic())
        return version
