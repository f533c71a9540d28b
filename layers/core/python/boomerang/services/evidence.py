"""Evidence uploads, their recording on the return, and staff viewing.

- `presign_upload`: a presigned POST limited to the declared content type, the policy's size range
  for the kind, and the policy's upload window (15 minutes), into the bucket of the return's hub's
  region. Nothing is written: the upload itself is the news.
- `record_upload`: run on S3's "Object Created" event. The object is checked again (S3 enforced the
  POST policy, but a check here costs one HEAD and covers a policy the presigner never saw); a
  failing upload is deleted (governance bypass) and the refusal put on the timeline, so the customer
  can try again. An accepted one is recorded on the return with its size, type, SHA-256 and the
  date it may be deleted, and an `evidence.recorded` event; then the workflow's evidence wait hears
  the news. Each step is idempotent, so a redelivered event changes nothing.
- `view_url`: a short-lived GET URL for staff; each view is a timeline entry.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from boomerang.domain.errors import Conflict, NotFound, Unprocessable
from boomerang.domain.evidence import (
    BucketChoice,
    Evidence,
    EvidenceBuckets,
    EvidenceKey,
    EvidenceKind,
    Uploader,
    retain_until,
)
from boomerang.domain.models import Return, TimelineEntry
from boomerang.domain.policy import Policy
from boomerang.domain.status import TERMINAL, ReturnStatus
from boomerang.services.retry import retry_stale
from boomerang.services.workflow import ReturnWorkflow
from boomerang.store.records import Event, Repository, ReturnChange

log = logging.getLogger(__name__)
S = ReturnStatus
CHUNK = 8 * 1024 * 1024
# Customers upload while the return waits for evidence or for the review of it.
CUSTOMER_UPLOAD_STATUSES = frozenset({S.AWAITING_EVIDENCE, S.PENDING_REVIEW})


@dataclass(frozen=True)
class PresignedUpload:
    evidence_id: str
    url: str
    fields: dict[str, str]
    key: str
    bucket: str
    region: str
    expires_at: datetime
    max_bytes: int


@dataclass(frozen=True)
class ViewUrl:
    evidence_id: str
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class UploadOutcome:
    rma: str
    evidence_id: str
    recorded: bool
    problems: list[dict[str, str]]


class EvidenceService:
    def __init__(
        self,
        repo: Repository,
        policy_for: Callable[[str], Policy],
        buckets: EvidenceBuckets,
        s3_for: Callable[[str], Any],  # region -> boto3 S3 client
        clock: Callable[[], datetime],
        workflow: ReturnWorkflow | None = None,
    ):
        self.repo = repo
        self.policy_for = policy_for
        self.buckets = buckets
        self.s3_for = s3_for
        self.clock = clock
        self.workflow = workflow

    # --- uploads -------------------------------------------------------------------------------

    def presign_upload(
        self,
        ret: Return,
        kind: EvidenceKind,
        content_type: str,
        size: int,
        uploader: Uploader,
        actor: str,
        content_md5: str | None = None,
    ) -> PresignedUpload:
        if uploader is Uploader.CUSTOMER and ret.status not in CUSTOMER_UPLOAD_STATUSES:
            raise Conflict(
                f"Return {ret.rma} is {ret.status.value}: it takes no more evidence from the customer.",
                code="evidence_not_expected",
                details=[{"status": ret.status.value}],
            )
        if uploader is Uploader.STAFF and ret.status in TERMINAL - {S.CLOSED}:
            raise Conflict(
                f"Return {ret.rma} is {ret.status.value}: nothing to inspect.",
                code="evidence_not_expected",
                details=[{"status": ret.status.value}],
            )
        rules = self.policy_for(ret.shop).evidence
        problems = rules.problems(kind, content_type, size)
        if problems:
            raise Unprocessable(
                "The file cannot be accepted as evidence: " + " ".join(p["message"] for p in problems),
                code="evidence_not_acceptable",
                details=problems,
            )
        where = self.buckets.for_hub(ret.hub.hub_id)
        key = EvidenceKey(ret.rma, uploader, uuid.uuid4().hex)
        fields = {
            "Content-Type": content_type,
            "x-amz-meta-kind": kind.value,
            "x-amz-meta-uploaded-by": actor,
        }
        conditions: list[Any] = [
            {"Content-Type": content_type},
            {"x-amz-meta-kind": kind.value},
            {"x-amz-meta-uploaded-by": actor},
            ["content-length-range", rules.min_bytes, rules.max_bytes(kind)],
        ]
        if content_md5:
            # S3 then stores only that exact file; uploads under an Object Lock default retention
            # may need an integrity field on AWS (PutObject does), and POST takes Content-MD5.
            fields["Content-MD5"] = content_md5
            conditions.append({"Content-MD5": content_md5})
        expires_in = rules.upload_window_seconds
        post = self.s3_for(where.region).generate_presigned_post(
            Bucket=where.bucket, Key=key.key, Fields=fields, Conditions=conditions, ExpiresIn=expires_in
        )
        return PresignedUpload(
            evidence_id=key.evidence_id,
            url=str(post["url"]),
            fields={str(k): str(v) for k, v in post["fields"].items()},
            key=key.key,
            bucket=where.bucket,
            region=where.region,
            expires_at=self.clock() + timedelta(seconds=expires_in),
            max_bytes=rules.max_bytes(kind),
        )

    def record_upload(self, bucket: str, key: str, version_id: str | None) -> UploadOutcome | None:
        """An object arrived in an evidence bucket: check it, then record it or refuse it."""
        parsed = EvidenceKey.parse(key)
        region = next((b.region for b in self.buckets.all() if b.bucket == bucket), None)
        if parsed is None or region is None:
            log.warning("an object outside the evidence layout; left alone", extra={"bucket": bucket})
            return None
        s3 = self.s3_for(region)
        try:
            ret, _ = self.repo.get_return(parsed.rma)
        except NotFound:
            log.warning("evidence for no known return; left to the lifecycle", extra={"rma": parsed.rma})
            return None
        if any(e.evidence_id == parsed.evidence_id for e in ret.evidence):
            return UploadOutcome(ret.rma, parsed.evidence_id, True, [])  # a redelivered event
        version = {"VersionId": version_id} if version_id else {}
        head = s3.head_object(Bucket=bucket, Key=key, **version)
        version_id = head.get("VersionId") or version_id
        size = int(head["ContentLength"])
        content_type = str(head.get("ContentType") or "")
        metadata = {k.lower(): v for k, v in (head.get("Metadata") or {}).items()}
        uploaded_by = str(metadata.get("uploaded-by") or parsed.uploader.value)
        policy = self.policy_for(ret.shop)
        try:
            kind = EvidenceKind(str(metadata.get("kind")))
            problems = policy.evidence.problems(kind, content_type, size)
        except ValueError:
            kind, problems = (
                EvidenceKind.PHOTO,
                [{"field": "kind", "code": "kind_missing", "message": "The upload names no kind."}],
            )
        if not _uploader_matches(parsed.uploader, uploaded_by):
            problems.append(
                {
                    "field": "key",
                    "code": "uploader_mismatch",
                    "message": "The upload's key and form disagree.",
                }
            )
        if problems:
            self._refuse(ret.rma, bucket, key, version_id, problems, s3)
            return UploadOutcome(ret.rma, parsed.evidence_id, False, problems)
        now = self.clock()
        until = retain_until(now, policy.evidence)
        # The bucket's default retention is the floor (180 days); a policy may keep it longer.
        s3.put_object_retention(
            Bucket=bucket,
            Key=key,
            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until},
            **version,
        )
        evidence = Evidence(
            evidence_id=parsed.evidence_id,
            kind=kind,
            content_type=content_type,
            size=size,
            checksum_sha256=_sha256(s3, bucket, key, version_id),
            bucket=bucket,
            region=region,
            key=key,
            version_id=version_id,
            uploaded_by=uploaded_by,
            uploaded_at=now,
            retain_until=until,
        )
        self._record(ret.rma, evidence)
        if self.workflow is not None and parsed.uploader is Uploader.CUSTOMER:
            self.workflow.evidence_arrived(ret.rma, "customer")
        return UploadOutcome(ret.rma, parsed.evidence_id, True, [])

    @retry_stale
    def _record(self, rma: str, evidence: Evidence) -> None:
        ret, _ = self.repo.get_return(rma)
        if any(e.evidence_id == evidence.evidence_id for e in ret.evidence):
            return
        what = "Unboxing video" if evidence.kind is EvidenceKind.VIDEO else "Photo"
        if evidence.uploaded_by.startswith("staff:"):
            what = "Inspection " + what.lower().replace("unboxing ", "")
        message = (
            f"{what} received ({_size(evidence.size)}, {evidence.content_type}); "
            f"kept until {evidence.retain_until:%Y-%m-%d} for disputes."
        )
        data = {
            "rma": rma,
            "order_id": ret.order_id,
            "evidence_id": evidence.evidence_id,
            "kind": evidence.kind.value,
            "size": evidence.size,
            "checksum_sha256": evidence.checksum_sha256,
            "retain_until": evidence.retain_until.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        self._note(
            ret, "evidence.recorded", message, evidence.uploaded_by, data, evidence=[*ret.evidence, evidence]
        )

    @retry_stale
    def _refuse(
        self,
        rma: str,
        bucket: str,
        key: str,
        version_id: str | None,
        problems: list[dict[str, str]],
        s3: Any,
    ) -> None:
        if version_id:
            # The bucket's default retention locked it on arrival; only this function may lift that.
            s3.delete_object(Bucket=bucket, Key=key, VersionId=version_id, BypassGovernanceRetention=True)
        ret, _ = self.repo.get_return(rma)
        reasons = " ".join(p["message"] for p in problems)
        message = f"An upload was refused and removed: {reasons} Please upload again."
        data = {"rma": rma, "order_id": ret.order_id, "codes": [p["code"] for p in problems]}
        self._note(ret, "evidence.refused", message, "evidence-check", data)

    def _note(
        self, ret: Return, event: str, message: str, actor: str, data: dict[str, Any], **changes: Any
    ) -> None:
        """A timeline entry and an outbox event on the return, without a status change."""
        now = self.clock()
        new = ret.model_copy(update={"version": ret.version + 1, "updated_at": now, **changes})
        entry = TimelineEntry(
            version=new.version, at=now, status=ret.status, event=event, message=message, actor=actor
        )
        self.repo.save(ReturnChange(new, ret.version, [entry], [Event(event, data)]))

    # --- staff viewing ---------------------------------------------------------------------------

    @retry_stale
    def view_url(self, rma: str, evidence_id: str, actor: str) -> ViewUrl:
        ret, _ = self.repo.get_return(rma)
        evidence = next((e for e in ret.evidence if e.evidence_id == evidence_id), None)
        if evidence is None:
            raise NotFound(f"Return {rma} has no evidence {evidence_id}.", code="evidence_not_found")
        seconds = self.policy_for(ret.shop).evidence.view_url_seconds
        params: dict[str, Any] = {"Bucket": evidence.bucket, "Key": evidence.key}
        if evidence.version_id:
            params["VersionId"] = evidence.version_id
        url = self.s3_for(evidence.region).generate_presigned_url(
            "get_object", Params=params, ExpiresIn=seconds
        )
        # The view is on the timeline before the URL leaves: no unrecorded look at the evidence.
        self._note(
            ret,
            "evidence.viewed",
            f"Evidence {evidence_id} ({evidence.kind.value}) viewed by {actor}.",
            actor,
            {"rma": rma, "order_id": ret.order_id, "evidence_id": evidence_id},
        )
        return ViewUrl(evidence_id, str(url), self.clock() + timedelta(seconds=seconds))


def _uploader_matches(uploader: Uploader, uploaded_by: str) -> bool:
    staff = uploaded_by.startswith("staff:")
    return staff if uploader is Uploader.STAFF else uploaded_by == "customer"


def _sha256(s3: Any, bucket: str, key: str, version_id: str | None) -> str:
    """The object's SHA-256 (base64), read back from S3 in chunks: what was stored, not what was sent."""
    version = {"VersionId": version_id} if version_id else {}
    body = s3.get_object(Bucket=bucket, Key=key, **version)["Body"]
    digest = hashlib.sha256()
    for chunk in iter(lambda: body.read(CHUNK), b""):
        digest.update(chunk)
    return base64.b64encode(digest.digest()).decode()


def _size(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{size} bytes"


def buckets_from(home_bucket: str, home_region: str, regional_json: str) -> EvidenceBuckets:
    """The buckets as the CDK stack describes them in the functions' environment."""
    by_hub = {
        hub: BucketChoice(bucket=str(where["bucket"]), region=str(where["region"]))
        for hub, where in (json.loads(regional_json) if regional_json else {}).items()
    }
    return EvidenceBuckets(home=BucketChoice(home_bucket, home_region), by_hub=by_hub)


class S3Clients:
    """One S3 client per region, made on first use (the storefront's cold start makes none)."""

    def __init__(self) -> None:
        self._clients: dict[str, Any] = {}

    def __call__(self, region: str) -> Any:
        if region not in self._clients:
            import boto3
            from botocore.config import Config

            self._clients[region] = boto3.client(
                "s3", region_name=region, config=Config(signature_version="s3v4")
            )
        return self._clients[region]
