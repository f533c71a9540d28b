"""What the staff API's policy routes answer (GET/PATCH /admin/v1/shops/{shop}/policy, .../versions,
.../simulate): the document in the admin form, its versions, and a simulation's report. The shapes
are those of services/policy_admin.py, which the `boomerang policy` commands print too."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, RootModel

from boomerang.services.policy_admin import VersionList

MERGE_PATCH = "application/merge-patch+json"  # RFC 7396's media type; application/json is accepted too


class PolicyDocumentOut(RootModel[dict[str, Any]]):
    """The shop's policy as its administrators read and change it (docs/POLICIES.md): the stored
    document with every amount as the API writes money ({"amount": "5.99", "currency": "USD"}, or
    {"USD": "50.00"} by currency). Its `version` is the one the ETag header names."""


class PolicyVersionOut(BaseModel):
    version: int
    etag: str = Field(description='The ETag of that version, e.g. "v3", for If-Match')
    created_at: str | None = Field(description="When it was made (null: the built-in default)")
    created_by: str | None = Field(
        description="Who made it: staff:<username>, cli:<identity> or boomerang:default"
    )
    based_on: int | None = Field(description="The version it was made from (null: the default)")
    changed: list[str] | None = Field(
        description="The top-level members its merge patch set (null: a whole document)"
    )


class PolicyVersionsOut(BaseModel):
    items: list[PolicyVersionOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: VersionList) -> PolicyVersionsOut:
        return cls(
            items=[
                PolicyVersionOut(
                    version=v.version,
                    etag=v.etag,
                    created_at=v.created_at,
                    created_by=v.created_by,
                    based_on=v.based_on,
                    changed=sorted(v.patch) if isinstance(v.patch, dict) else None,
                )
                for v in page.items
            ],
            next_cursor=page.next_cursor,
        )


class ReplayOut(BaseModel):
    outcome: str = Field(description="approved, pending_review, awaiting_evidence, rejected or refused")
    rules: list[str] = Field(description="The rules that fired, in words")


class FlipOut(BaseModel):
    rma: str
    order_id: str
    created_at: str
    before: ReplayOut = Field(description="The decision under the current policy")
    after: ReplayOut = Field(description="The decision under the draft")


class SkippedOut(BaseModel):
    rma: str
    reason: str = Field(description="Why it was not replayed, e.g. order_not_found")


class SimulationCountsOut(BaseModel):
    current: dict[str, int] = Field(description="Returns by outcome under the current policy")
    draft: dict[str, int] = Field(description="Returns by outcome under the draft")


class SimulationOut(BaseModel):
    """A draft (a merge patch of the current policy, not saved) and the current policy replayed on
    the shop's returns of the last `days` days: counts by outcome, and every return that would flip."""

    shop: str
    current_version: int
    days: int
    since: str
    until: str
    returns: int = Field(description="Returns replayed")
    truncated: bool = Field(description="More returns than are read at once (5,000): the first ones were")
    counts: SimulationCountsOut
    flips: list[FlipOut]
    skipped: list[SkippedOut]
