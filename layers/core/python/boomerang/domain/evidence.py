"""Evidence on a return: unboxing and inspection photos and videos kept for disputes.

Plain Python: the rules an upload must meet (kind, content type, size), where a return's evidence
is stored (the bucket of its hub's region), how an object key names its return, and until when it
is kept. The S3 side lives in services/evidence.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

MIB = 1024 * 1024


class EvidenceKind(StrEnum):
    PHOTO = "photo"
    VIDEO = "video"


class Uploader(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"


# Why evidence outlives an erasure request (GDPR Art. 17(3)(e): establishment, exercise or defence
# of legal claims: chargebacks and disputes), reported to the person in their export and erasure.
LEGAL_BASIS = (
    "GDPR Art. 17(3)(e) and Art. 6(1)(f): kept to establish and defend legal claims "
    "(chargebacks, disputes) about this return, then deleted by the storage lifecycle."
)


class EvidencePolicy(BaseModel):
    """What an upload may be and how long it is kept. Part of the shop's policy document."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    retention_days: int = Field(
        default=180, ge=180, le=3650, description="Kept at least this long (Object Lock); 180 is the floor"
    )
    photo_max_bytes: int = Field(default=20 * MIB, ge=1024)
    video_max_bytes: int = Field(default=500 * MIB, ge=1024, le=5 * 1024 * MIB)
    min_bytes: int = Field(default=1, ge=1, description="an empty file is no evidence")
    photo_content_types: tuple[str, ...] = ("image/jpeg", "image/png", "image/heic", "image/webp")
    video_content_types: tuple[str, ...] = ("video/mp4", "video/quicktime", "video/webm")
    upload_window_seconds: int = Field(default=900, ge=60, le=3600, description="a presigned POST's life")
    view_url_seconds: int = Field(default=300, ge=30, le=3600, description="a staff viewing URL's life")

    def max_bytes(self, kind: EvidenceKind) -> int:
        return self.video_max_bytes if kind is EvidenceKind.VIDEO else self.photo_max_bytes

    def content_types(self, kind: EvidenceKind) -> tuple[str, ...]:
        return self.video_content_types if kind is EvidenceKind.VIDEO else self.photo_content_types

    def problems(self, kind: EvidenceKind, content_type: str, size: int) -> list[dict[str, str]]:
        """What is wrong with an upload of this kind, content type and size (empty: acceptable)."""
        found: list[dict[str, str]] = []
        allowed = self.content_types(kind)
        if content_type not in allowed:
            found.append(
                {
                    "field": "content_type",
                    "code": "content_type_not_allowed",
                    "message": f"A {kind.value} must be one of {', '.join(allowed)}.",
                }
            )
        if not self.min_bytes <= size <= self.max_bytes(kind):
            found.append(
                {
                    "field": "size",
                    "code": "size_out_of_range",
                    "message": f"A {kind.value} must be {self.min_bytes} to {self.max_bytes(kind)} bytes.",
                }
            )
        return found


Sha256Base64 = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/]{43}=$")]


class Evidence(BaseModel):
    """One uploaded file, as recorded on its return. No personal data beyond the file itself."""

    model_config = ConfigDict(extra="forbid")

    evidence_id: str
    kind: EvidenceKind
    content_type: str
    size: int
    checksum_sha256: Sha256Base64
    bucket: str
    region: str
    key: str
    version_id: str | None = None
    uploaded_by: str  # "customer" or "staff:<username>"
    uploaded_at: datetime
    retain_until: datetime


# returns/<rma>/<customer|staff>/<evidence id>: the key alone names the return and who uploaded.
_KEY = re.compile(r"^returns/(?P<rma>[0-9A-Z-]{5,32})/(?P<who>customer|staff)/(?P<id>[0-9a-f]{32})$")


@dataclass(frozen=True)
class EvidenceKey:
    rma: str
    uploader: Uploader
    evidence_id: str

    @property
    def key(self) -> str:
        return f"returns/{self.rma}/{self.uploader.value}/{self.evidence_id}"

    @classmethod
    def parse(cls, key: str) -> EvidenceKey | None:
        found = _KEY.fullmatch(key)
        if not found:
            return None
        return cls(found["rma"], Uploader(found["who"]), found["id"])


@dataclass(frozen=True)
class BucketChoice:
    bucket: str
    region: str


@dataclass(frozen=True)
class EvidenceBuckets:
    """The home bucket and the regional ones by hub: a return's evidence goes to its hub's region
    (EU hubs to an EU bucket), so EU customers' videos stay in the EU."""

    home: BucketChoice
    by_hub: dict[str, BucketChoice]

    def for_hub(self, hub_id: str) -> BucketChoice:
        return self.by_hub.get(hub_id, self.home)

    def all(self) -> list[BucketChoice]:
        return [self.home, *[b for b in self.by_hub.values() if b != self.home]]


def retain_until(uploaded_at: datetime, policy: EvidencePolicy) -> datetime:
    return uploaded_at + timedelta(days=policy.retention_days)


# The evidence bucket's lifecycle (infra/cdk/constructs/evidence_buckets.py; an infra test keeps
# them equal): the current version expires (a delete marker) after the default retention plus a
# margin, and the data itself one day after that, or once its lock ends if a policy kept it longer.
LIFECYCLE_EXPIRY_DAYS = 180 + 30
NONCURRENT_EXPIRY_DAYS = 1


def deletion_date(evidence: Evidence) -> date:
    """The day the lifecycle deletes the file: never before its lock ends."""
    by_lifecycle = evidence.uploaded_at + timedelta(days=LIFECYCLE_EXPIRY_DAYS + NONCURRENT_EXPIRY_DAYS)
    return max(by_lifecycle, evidence.retain_until).date()
