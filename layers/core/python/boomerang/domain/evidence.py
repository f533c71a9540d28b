"""Evidence on a return: unboxing and inspection photos and videos kept for disputes.

Plain Python: the rules an upload must meet (kind, content type, size, and what its bytes turn out
to be: a real video of a plausible length and resolution, a photo that decodes), the offers a return
made for uploads (each presigned POST is one, redeemed once), where a return's evidence is stored
(the quarantine and locked buckets of its hub's region), how object keys name their return and
offer, and until when evidence is kept. The bytes are read by boomerang.media; the S3 side lives in
services/evidence/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

MIB = 1024 * 1024

# What the checker can read (boomerang.media): a policy may list other types, but an upload is only
# offered for a type whose bytes can be checked. HEIC is left out: Pillow cannot decode it.
CHECKABLE_PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
CHECKABLE_VIDEO_TYPES = ("video/mp4", "video/quicktime", "video/webm")
# The container each declared type must turn out to be (boomerang.media names them so).
CONTAINER_OF: dict[str, str] = {
    "image/jpeg": "jpeg",
    "image/png": "png",
    "image/webp": "webp",
    # MP4 and QuickTime are one family (ISO base media); browsers label an iPhone's .mov either way.
    "video/mp4": "mp4",
    "video/quicktime": "mp4",
    "video/webm": "webm",
}


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
    photo_content_types: tuple[str, ...] = CHECKABLE_PHOTO_TYPES
    video_content_types: tuple[str, ...] = CHECKABLE_VIDEO_TYPES
    upload_window_seconds: int = Field(default=900, ge=60, le=3600, description="a presigned POST's life")
    view_url_seconds: int = Field(default=300, ge=30, le=3600, description="a staff viewing URL's life")
    # What the bytes must show (checked by the upload check on what was stored, not on what was said).
    min_video_seconds: float = Field(
        default=3, ge=0.5, le=600, description="an unboxing video at least this long, in seconds"
    )
    max_video_seconds: float = Field(
        default=3600, ge=10, le=6 * 3600, description="a longer claimed duration is implausible"
    )
    min_video_short_side: int = Field(
        default=240, ge=16, le=4320, description="a video's smaller dimension, in pixels (240: 320x240)"
    )
    min_photo_short_side: int = Field(
        default=320, ge=16, le=8000, description="a photo's smaller dimension, in pixels"
    )
    max_photo_pixels: int = Field(
        default=100_000_000, ge=1_000_000, le=200_000_000, description="a larger image is refused unread"
    )
    still_frames: int = Field(default=3, ge=1, le=8, description="still frames made of a video for staff")
    # Each presigned POST is an offer recorded on the return; beyond these an upload is refused (409).
    max_customer_offers: int = Field(default=10, ge=1, le=100, description="customer uploads offered")
    max_staff_offers: int = Field(default=50, ge=1, le=500, description="staff uploads offered")

    def max_bytes(self, kind: EvidenceKind) -> int:
        return self.video_max_bytes if kind is EvidenceKind.VIDEO else self.photo_max_bytes

    def content_types(self, kind: EvidenceKind) -> tuple[str, ...]:
        """The types offered for the kind: the policy's, as far as the checker can read them."""
        if kind is EvidenceKind.VIDEO:
            return tuple(t for t in self.video_content_types if t in CHECKABLE_VIDEO_TYPES)
        return tuple(t for t in self.photo_content_types if t in CHECKABLE_PHOTO_TYPES)

    def max_offers(self, uploader: Uploader) -> int:
        return self.max_staff_offers if uploader is Uploader.STAFF else self.max_customer_offers

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

    def mismatches(self, offer: EvidenceOffer, size: int, content_type: str) -> list[dict[str, str]]:
        """What was stored against what was offered: its size and type (checked before any byte is
        read, so a lie about a 5 GB file costs nothing)."""
        found: list[dict[str, str]] = []
        if size != offer.size:
            found.append(
                {
                    "field": "size",
                    "code": "size_mismatch",
                    "message": f"The file has {size} bytes, not the {offer.size} declared.",
                }
            )
        if content_type != offer.content_type:
            found.append(
                {
                    "field": "content_type",
                    "code": "content_type_mismatch",
                    "message": "The file was sent as another type.",
                }
            )
        return found

    def content_problems(
        self, offer: EvidenceOffer, size: int, content_type: str, facts: MediaFacts
    ) -> list[dict[str, str]]:
        """What is wrong with what was stored under an offer: its size and type against the offer's,
        and its bytes (as boomerang.media read them) against the kind and the policy. Empty: accepted."""
        found = self.mismatches(offer, size, content_type)

        def problem(field: str, code: str, message: str) -> None:
            found.append({"field": field, "code": code, "message": message})

        kind = offer.kind
        if not facts.decoded:
            code = "not_a_video" if kind is EvidenceKind.VIDEO else "not_a_photo"
            problem("file", code, f"The file is not a {kind.value} that can be read ({facts.error}).")
            return found
        expected = CONTAINER_OF.get(offer.content_type)
        if facts.container != expected:
            problem("file", "type_mismatch", f"The file is {facts.container}, not {offer.content_type}.")
        short_side = min(facts.width or 0, facts.height or 0)
        if kind is EvidenceKind.VIDEO:
            if not facts.has_video:
                problem("file", "no_video_stream", "The file holds no video picture.")
                return found
            seconds = facts.duration_seconds
            if seconds is None or seconds > self.max_video_seconds:
                problem("file", "implausible_duration", "The video's length is unreadable or implausible.")
            elif seconds < self.min_video_seconds:
                problem(
                    "file",
                    "too_short",
                    f"The video lasts {seconds:.1f} s; at least {self.min_video_seconds:g} s are needed.",
                )
            if short_side < self.min_video_short_side:
                problem(
                    "file",
                    "resolution_too_low",
                    f"The video is {facts.width}x{facts.height}; at least {self.min_video_short_side} "
                    "pixels on its shorter side are needed.",
                )
        elif short_side < self.min_photo_short_side:
            problem(
                "file",
                "resolution_too_low",
                f"The photo is {facts.width}x{facts.height}; at least {self.min_photo_short_side} pixels "
                "on its shorter side are needed.",
            )
        return found


@dataclass(frozen=True)
class MediaFacts:
    """What the bytes of an upload turned out to be (boomerang.media reads them; no AWS, no rules)."""

    decoded: bool
    container: str | None = None  # "mp4" (MP4/QuickTime), "webm", "jpeg", "png", "webp"
    has_video: bool = False
    codec: str | None = None
    duration_seconds: float | None = None
    width: int | None = None
    height: int | None = None
    has_location: bool = False  # a photo's EXIF GPS block, removed from what is kept
    error: str | None = None


# What the customer is told, by category; each language's email words it (notify/templates:
# defaults `evidence_<category>`). Every problem code maps to one.
CUSTOMER_REASON: dict[str, str] = {
    "not_a_video": "not_a_video",
    "no_video_stream": "not_a_video",
    "implausible_duration": "not_a_video",
    "not_a_photo": "not_a_photo",
    "type_mismatch": "wrong_type",
    "content_type_mismatch": "not_as_declared",
    "size_mismatch": "not_as_declared",
    "too_short": "too_short",
    "resolution_too_low": "resolution_too_low",
}


def customer_reason(problems: list[dict[str, str]]) -> str:
    """The one reason the customer hears: the first problem's category (`other` if unknown)."""
    return next((CUSTOMER_REASON[p["code"]] for p in problems if p["code"] in CUSTOMER_REASON), "other")


class OfferState(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    REFUSED = "refused"


class EvidenceOffer(BaseModel):
    """One presigned POST, as recorded on the return: who asked, for what, until when; then what
    came of it. An upload is accepted only under an open offer of its return, once."""

    model_config = ConfigDict(extra="forbid")

    offer_id: str
    kind: EvidenceKind
    content_type: str
    size: int
    uploader: Uploader
    actor: str  # "customer" or "staff:<username>"
    bucket: str  # the quarantine bucket
    region: str
    key: str
    offered_at: datetime
    expires_at: datetime
    state: OfferState = OfferState.OPEN
    # The quarantine object version that redeemed it, and when; a redelivered event finds it here.
    version_id: str | None = None
    redeemed_at: datetime | None = None
    codes: list[str] = Field(default_factory=list)  # the problems' codes, when refused


class EvidenceMedia(BaseModel):
    """What the check read from the file, shown to staff."""

    model_config = ConfigDict(extra="forbid")

    container: str
    codec: str | None = None
    duration_seconds: float | None = None
    width: int | None = None
    height: int | None = None


class EvidenceStill(BaseModel):
    """A still frame (JPEG) stored beside the evidence, locked as long, for the staff view."""

    model_config = ConfigDict(extra="forbid")

    key: str
    version_id: str | None = None
    at_seconds: float | None = None
    width: int
    height: int


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
    # Evidence recorded since uploads redeem offers (issue 22); older records lack these.
    offer_id: str | None = None
    media: EvidenceMedia | None = None
    stills: list[EvidenceStill] = Field(default_factory=list)
    location_removed: bool = False
    # When a view or listing found its file gone (recorded once, with an alarm).
    missing_since: datetime | None = None


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


# offers/<rma>/<customer|staff>/<offer id>: where a presigned POST puts a file, in the quarantine
# bucket (no Object Lock), until the check copies it to the locked bucket or deletes it.
_OFFER_KEY = re.compile(r"^offers/(?P<rma>[0-9A-Z-]{5,32})/(?P<who>customer|staff)/(?P<id>[0-9a-f]{32})$")
OFFER_PREFIX = "offers/"


@dataclass(frozen=True)
class OfferKey:
    rma: str
    uploader: Uploader
    offer_id: str

    @property
    def key(self) -> str:
        return f"{OFFER_PREFIX}{self.rma}/{self.uploader.value}/{self.offer_id}"

    @property
    def evidence_key(self) -> EvidenceKey:
        """Where the checked file is kept: the evidence id is the offer's."""
        return EvidenceKey(self.rma, self.uploader, self.offer_id)

    @classmethod
    def parse(cls, key: str) -> OfferKey | None:
        found = _OFFER_KEY.fullmatch(key)
        if not found:
            return None
        return cls(found["rma"], Uploader(found["who"]), found["id"])


def still_key(evidence_key: str, number: int) -> str:
    """A still frame's key, beside its evidence (not itself an evidence key)."""
    return f"{evidence_key}.still-{number}.jpg"


@dataclass(frozen=True)
class BucketChoice:
    bucket: str
    region: str
    # The region's quarantine bucket (no Object Lock): uploads land there until checked.
    quarantine: str = ""


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

    def by_quarantine(self, bucket: str) -> BucketChoice | None:
        return next((b for b in self.all() if b.quarantine and b.quarantine == bucket), None)


def retain_until(uploaded_at: datetime, policy: EvidencePolicy) -> datetime:
    return uploaded_at + timedelta(days=policy.retention_days)


# The evidence bucket's lifecycle (infra/cdk/constructs/evidence_buckets.py; an infra test keeps
# them equal): the current version expires (a delete marker) after the default retention plus a
# margin, and the data itself one day after that, or once its lock ends if a policy kept it longer.
LIFECYCLE_EXPIRY_DAYS = 180 + 30
# Object Lock's two modes, a per-deployment choice (CDK context `evidence_lock_mode`): in governance
# mode a principal holding s3:BypassGovernanceRetention could lift a lock (no Boomerang function
# does, and the bucket policy denies it to everyone); in compliance mode no one can, root included.
LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")
NONCURRENT_EXPIRY_DAYS = 1


def deletion_date(evidence: Evidence) -> date:
    """The day the lifecycle deletes the file: never before its lock ends."""
    by_lifecycle = evidence.uploaded_at + timedelta(days=LIFECYCLE_EXPIRY_DAYS + NONCURRENT_EXPIRY_DAYS)
    return max(by_lifecycle, evidence.retain_until).date()
