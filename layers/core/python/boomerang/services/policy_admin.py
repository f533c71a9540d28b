"""Policy administration: read a shop's policy with its ETag, change it by JSON Merge Patch under
If-Match, list its versions, and simulate a draft on the shop's recent returns.

What the staff routes (GET/PATCH /admin/v1/shops/{shop}/policy, .../versions, .../simulate) and the
`boomerang policy` commands both call. Documents come and go in the admin form (amounts as decimal
strings, domain/policy_document.py); the staff member's access to the shop is checked by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from boomerang.domain.errors import NotFound, PreconditionFailed, PreconditionRequired, Unprocessable
from boomerang.domain.models import Order
from boomerang.domain.policy import Policy, default_policy
from boomerang.domain.policy_document import Change, admin_document, changes, etag, if_match_holds, patched
from boomerang.domain.policy_simulation import Replay, Simulation, simulate
from boomerang.store import keys
from boomerang.store.policies import PolicyStore, StoredVersion, VersionTaken, iso
from boomerang.store.records import Repository

MAX_SIMULATION_DAYS = 365
RECENT = timedelta(days=30)  # simulated customers' counts look this far behind the period
DEFAULT_AUTHOR = "boomerang:default"  # who "made" the built-in default a shop starts with


@dataclass(frozen=True)
class PolicyVersion:
    """One version of a shop's policy as administrators see it."""

    shop: str
    version: int
    etag: str
    document: dict[str, Any]  # the admin form
    created_at: str | None
    created_by: str | None
    based_on: int | None
    patch: Any  # the merge patch that made it (None: a whole document, or the default)
    policy: Policy

    @property
    def is_default(self) -> bool:
        return self.created_by == DEFAULT_AUTHOR


@dataclass(frozen=True)
class VersionSummary:
    version: int
    etag: str
    created_at: str | None
    created_by: str | None
    based_on: int | None
    patch: Any


@dataclass(frozen=True)
class VersionList:
    items: list[VersionSummary]
    next_cursor: str | None


@dataclass(frozen=True)
class Draft:
    """What a patch would make of the current policy, not saved."""

    current: PolicyVersion
    policy: Policy  # numbered as the version it would become
    changes: list[Change]


@dataclass(frozen=True)
class SimulationReport:
    shop: str
    current_version: int
    days: int
    result: Simulation
    truncated: bool  # more returns than are read at once: the replay covers the first ones read

    def document(self) -> dict[str, Any]:
        """The report as the staff API answers it (and `boomerang policy simulate --json`)."""
        r = self.result

        def replayed(replay: Replay) -> dict[str, Any]:
            return {"outcome": replay.outcome, "rules": list(replay.rules)}

        return {
            "shop": self.shop,
            "current_version": self.current_version,
            "days": self.days,
            "since": _utc(r.since),
            "until": _utc(r.until),
            "returns": r.considered,
            "truncated": self.truncated,
            "counts": {"current": r.before, "draft": r.after},
            "flips": [
                {
                    "rma": f.rma,
                    "order_id": f.order_id,
                    "created_at": _utc(f.created_at),
                    "before": replayed(f.before),
                    "after": replayed(f.after),
                }
                for f in r.flips
            ],
            "skipped": [{"rma": rma, "reason": why} for rma, why in r.skipped],
        }


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class PolicyAdmin:
    def __init__(self, repo: Repository):
        self.repo = repo
        self.store = PolicyStore(repo.table, repo.ddb)

    # --- reading -------------------------------------------------------------------------------

    def current(self, shop: str) -> PolicyVersion:
        """The shop's current policy: its stored version, else the built-in default (as version 1
        of the default document, made by `boomerang:default`)."""
        version = self.store.current_version(shop)
        if version is None:
            return self._view(shop, default_policy(), None, DEFAULT_AUTHOR, None, None)
        return self._stored_view(self._get(shop, version))

    def version(self, shop: str, version: int) -> PolicyVersion:
        return self._stored_view(self._get(shop, version))

    def versions(self, shop: str, limit: int = 20, cursor: str | None = None) -> VersionList:
        """Every stored version, newest first, with who made it and when."""
        page = self.store.versions(shop, limit, cursor)
        return VersionList(
            items=[
                VersionSummary(v.version, etag(v.version), v.created_at, v.created_by, v.based_on, v.patch)
                for v in page.items
            ],
            next_cursor=page.next_cursor,
        )

    # --- changing ------------------------------------------------------------------------------

    def draft(self, shop: str, patch: Any) -> Draft:
        """The policy `patch` would make (validated; Unprocessable names each bad field)."""
        return self._draft(self.current(shop), patch)

    @staticmethod
    def _draft(current: PolicyVersion, patch: Any) -> Draft:
        policy = patched(current.policy, patch, current.version + 1)
        return Draft(current, policy, changes(current.document, admin_document(policy)))

    def update(self, shop: str, patch: Any, if_match: str | None, actor: str, now: datetime) -> PolicyVersion:
        """Apply a merge patch as the next version, if `if_match` still names the current one.

        PreconditionRequired without If-Match, PreconditionFailed when it names another version
        (or another save wins the race), Unprocessable naming each bad field. A patch that changes
        nothing makes no version: the current one is answered."""
        if not if_match or not if_match.strip():
            raise PreconditionRequired(
                "Say which version the change was made from: send If-Match with the ETag of the policy read.",
                code="precondition_required",
            )
        current = self.current(shop)
        if not if_match_holds(if_match, current.version):
            raise self._stale(shop, if_match, current)
        draft = self._draft(current, patch)
        if all(change.path == "version" for change in draft.changes):
            return current
        based_on = None if current.is_default else current.version
        try:
            self.store.save(shop, draft.policy, based_on=based_on, actor=actor, at=now, patch=patch)
        except VersionTaken:
            raise self._stale(shop, if_match, self.current(shop)) from None
        return self._view(shop, draft.policy, iso(now), actor, based_on, patch)

    @staticmethod
    def _stale(shop: str, if_match: str, current: PolicyVersion) -> PreconditionFailed:
        return PreconditionFailed(
            f"The policy of {shop} is at version {current.version} now (ETag {current.etag}), not the "
            f"one the change was made from ({if_match.strip()}): read it again and reapply the change.",
            code="precondition_failed",
            details=[{"field": "If-Match", "current_version": current.version, "etag": current.etag}],
        )

    # --- simulation ----------------------------------------------------------------------------

    def simulate(self, shop: str, patch: Any, days: int, now: datetime) -> SimulationReport:
        """Replay the draft (a merge patch of the current policy) and the current policy on the
        shop's returns of the last `days` days."""
        if not 1 <= days <= MAX_SIMULATION_DAYS:
            raise Unprocessable(
                f"Simulate over 1 to {MAX_SIMULATION_DAYS} days.",
                code="validation_failed",
                details=[{"field": "days", "code": "out_of_range", "message": f"1 to {MAX_SIMULATION_DAYS}"}],
            )
        draft = self.draft(shop, patch)
        since = now - timedelta(days=days)
        returns, truncated = self.repo.returns_since(shop, since - RECENT)
        wanted = {(r.shop, r.order_id) for r in returns if r.created_at >= since}
        found = self.repo.get_many([keys.order(s, o) for s, o in sorted(wanted)])
        orders: dict[tuple[str, str], Order] = {}
        for s, o in wanted:
            try:
                orders[(s, o)] = self.repo.order_in(found, s, o)
            except (NotFound, ValueError):
                continue  # an order that is gone or unreadable: the return is reported as skipped
        result = simulate(draft.current.policy, draft.policy, returns, orders, since, now)
        return SimulationReport(shop, draft.current.version, days, result, truncated)

    # --- views ---------------------------------------------------------------------------------

    def _get(self, shop: str, version: int) -> StoredVersion:
        stored = self.store.get(shop, version)
        if stored is None:
            raise NotFound(f"Shop {shop} has no policy version {version}.", code="policy_version_not_found")
        return stored

    def _stored_view(self, stored: StoredVersion) -> PolicyVersion:
        return self._view(
            stored.shop, stored.policy(), stored.created_at, stored.created_by, stored.based_on, stored.patch
        )

    @staticmethod
    def _view(
        shop: str, policy: Policy, at: str | None, by: str | None, based_on: int | None, patch: Any
    ) -> PolicyVersion:
        return PolicyVersion(
            shop=shop,
            version=policy.version,
            etag=etag(policy.version),
            document=admin_document(policy),
            created_at=at,
            created_by=by,
            based_on=based_on,
            patch=patch,
            policy=policy,
        )
