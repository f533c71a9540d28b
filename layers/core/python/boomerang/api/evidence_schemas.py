"""Request and response bodies of evidence uploads and views, and of a customer's data rights."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictInt, StringConstraints

from boomerang.api.schemas import Body, Email, utc
from boomerang.domain.evidence import Evidence, EvidenceKind

if TYPE_CHECKING:  # not at runtime: the storefront's cold start does not load the evidence service
    from boomerang.services.evidence import PresignedUpload, StillUrl, ViewUrl

ContentType = Annotated[str, StringConstraints(pattern=r"^[a-z]+/[a-z0-9.+-]+$", max_length=100)]
Md5Base64 = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/]{22}==$")]
Shop = Annotated[str, StringConstraints(min_length=1, max_length=128)]


class EvidenceIn(Body):
    kind: Literal["photo", "video"] = Field(description="An unboxing or inspection photo or video")
    content_type: ContentType = Field(
        examples=["video/mp4"], description="The file's MIME type, sent again on upload"
    )
    size: StrictInt = Field(
        ge=1,
        le=5 * 1024**3,
        description="The exact size in bytes (S3 takes no other); the policy caps each kind (video: 500 MB)",
    )
    content_md5: Md5Base64 | None = Field(
        default=None, description="The file's MD5, base64 (as Content-MD5): S3 then accepts only that file"
    )

    @property
    def evidence_kind(self) -> EvidenceKind:
        return EvidenceKind(self.kind)


class UploadFormOut(BaseModel):
    method: Literal["POST"] = "POST"
    url: str
    fields: dict[str, str] = Field(
        description="Send every field, then the file as the form's last part, `file`"
    )
    expires_at: str
    max_bytes: int = Field(description="The declared size: the form takes a file of exactly this size")


class EvidenceUploadOut(BaseModel):
    """Where and how to upload: an S3 presigned POST, an offer recorded on the return and
    redeemed once, limited to the declared content type and size and 15 minutes. The file is
    checked for what it is (a real video or photo, per the policy) once S3 has it, then recorded
    on the return, or refused and deleted (the timeline and the customer's email say why)."""

    evidence_id: str
    upload: UploadFormOut

    @classmethod
    def of(cls, made: PresignedUpload) -> EvidenceUploadOut:
        return cls(
            evidence_id=made.evidence_id,
            upload=UploadFormOut(
                url=made.url, fields=made.fields, expires_at=utc(made.expires_at), max_bytes=made.max_bytes
            ),
        )


class EvidenceOut(BaseModel):
    evidence_id: str
    kind: str
    content_type: str
    size: int
    checksum_sha256: str
    uploaded_by: str
    uploaded_at: str
    retain_until: str = Field(description="Kept (Object Lock) until then for disputes; deleted after")
    duration_seconds: float | None = Field(default=None, description="A video's length, measured")
    width: int | None = None
    height: int | None = None
    stills: int = Field(default=0, description="Still frames to look at (the evidence view links them)")
    location_removed: bool = Field(default=False, description="A photo's GPS position was removed")
    missing_since: str | None = Field(
        default=None, description="Set when a view or listing found the file gone (on the timeline, alarmed)"
    )

    @classmethod
    def of(cls, e: Evidence) -> EvidenceOut:
        return cls(
            evidence_id=e.evidence_id,
            kind=e.kind.value,
            content_type=e.content_type,
            size=e.size,
            checksum_sha256=e.checksum_sha256,
            uploaded_by=e.uploaded_by,
            uploaded_at=utc(e.uploaded_at),
            retain_until=utc(e.retain_until),
            duration_seconds=e.media.duration_seconds if e.media else None,
            width=e.media.width if e.media else None,
            height=e.media.height if e.media else None,
            stills=len(e.stills),
            location_removed=e.location_removed,
            missing_since=utc(e.missing_since) if e.missing_since else None,
        )


class EvidenceListOut(BaseModel):
    items: list[EvidenceOut]


class StillOut(BaseModel):
    url: str = Field(
        description="A short-lived GET URL of a JPEG (at most 640 px), as long-lived as the view's"
    )
    width: int
    height: int
    at_seconds: float | None = Field(
        default=None, description="Where in the video; none for a photo's preview"
    )

    @classmethod
    def of(cls, still: StillUrl) -> StillOut:
        return cls(url=still.url, width=still.width, height=still.height, at_seconds=still.at_seconds)


class EvidenceViewOut(BaseModel):
    evidence_id: str
    url: str = Field(description="A short-lived GET URL; this view is recorded on the return's timeline")
    expires_at: str
    stills: list[StillOut] = Field(
        default_factory=list,
        description="Still frames of a video (or a photo's preview): see it before downloading",
    )

    @classmethod
    def of(cls, view: ViewUrl) -> EvidenceViewOut:
        return cls(
            evidence_id=view.evidence_id,
            url=view.url,
            expires_at=utc(view.expires_at),
            stills=[StillOut.of(s) for s in view.stills],
        )


class PrivacyOut(BaseModel):
    """A data-rights answer: the export, or what erasure anonymized, deleted and kept (and why)."""

    shop: str
    records: dict[str, Any]
    email: str | None = None
    exported_at: str | None = None
    erased_at: str | None = None
    automated_decisions: str | None = None


__all__ = ["Email", "Shop"]
