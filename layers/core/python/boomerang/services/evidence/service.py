"""EvidenceService: offers and presigned POSTs, the upload check (redeem, check, lock, record or
refuse), and staff viewing with the missing-file watch. See the package docstring for the flow.

Every change to a return (an offer made, evidence recorded or refused, a view, a file found missing)
is one conditional write with its timeline entry and outbox event. Each step of the upload check is
idempotent: a redelivered S3 event finds its offer redeemed by that very object version and changes
nothing; a file from anywhere else is deleted and counted as an attack.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from botocore.exceptions import ClientError

from boomerang.domain.errors import Conflict, NotFound, Unprocessable
from boomerang.domain.evidence import (
    Evidence,
    EvidenceBuckets,
    EvidenceKind,
    EvidenceMedia,
    EvidenceOffer,
    EvidenceStill,
    OfferKey,
    OfferState,
    Uploader,
    customer_reason,
    retain_until,
    still_key,
)
from boomerang.domain.models import Return, TimelineEntry
from boomerang.domain.policy import Policy
from boomerang.domain.status import TERMINAL, ReturnStatus
from boomerang.notify.messages import evidence_refused
from boomerang.notify.port import Notifier
from boomerang.services.evidence import storage
from boomerang.services.evidence.intake import Checked, check
from boomerang.services.retry import retry_stale
from boomerang.services.workflow import ReturnWorkflow
from boomerang.store.records import Event, Repository, ReturnChange

log = logging.getLogger(__name__)
S = ReturnStatus
# Customers upload while the return waits for evidence or for the review of it.
CUSTOMER_UPLOAD_STATUSES = frozenset({S.AWAITING_EVIDENCE, S.PENDING_REVIEW})
# S3 stamps an object when its upload ends; a POST policy refuses uploads after its expiry, so an
# object much younger than its offer's expiry did not come through that POST.
CLOCK_SKEW = timedelta(minutes=2)
METRIC_NAMESPACE = "Boomerang"


@dataclass(frozen=True)
class PresignedUpload:
    evidence_id: str  # the offer's id, which the evidence keeps once accepted
    url: str
    fields: dict[str, str]
    key: str
    bucket: str
    region: str
    expires_at: datetime
    max_bytes: int


@dataclass(frozen=True)
class StillUrl:
    url: str
    width: int
    height: int
    at_seconds: float | None


@dataclass(frozen=True)
class ViewUrl:
    evidence_id: str
    url: str
    expires_at: datetime
    stills: list[StillUrl] = field(default_factory=list)


@dataclass(frozen=True)
class UploadOutcome:
    rma: str
    evidence_id: str
    recorded: bool
    problems: list[dict[str, str]]
    # Why an object was deleted unread: no open offer of a known return under that key, reused, late.
    attack: str | None = None


def count(metric: str, value: int = 1) -> None:
    """A metric flushed at once (EMF on stdout), whichever function noticed: the evidence
    construct's alarms watch these (namespace Boomerang, dimension service=evidence)."""
    with single_metric(
        name=metric, unit=MetricUnit.Count, value=value, namespace=METRIC_NAMESPACE
    ) as metrics:
        metrics.add_dimension(name="service", value="evidence")


class EvidenceService:
    def __init__(
        self,
        repo: Repository,
        policy_for: Callable[[str], Policy],
        buckets: EvidenceBuckets,
        s3_for: Callable[[str], Any],  # region -> boto3 S3 client
        clock: Callable[[], datetime],
        workflow: ReturnWorkflow | None = None,
        *,
        notifier: Notifier | None = None,
        lock_mode: str = "GOVERNANCE",
    ):
        self.repo = repo
        self.policy_for = policy_for
        self.buckets = buckets
        self.s3_for = s3_for
        self.clock = clock
        self.workflow = workflow
        self.notifier = notifier
        self.lock_mode = lock_mode

    # --- offers ----------------------------------------------------------------------------------

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
        """Record an offer on the return, then answer its presigned POST: into the quarantine
        bucket of the return's hub's region, under the offer's key, for exactly the declared type
        and size, for the policy's upload window. Beyond the policy's offers per return: 409."""
        _expect(ret, uploader)
        rules = self.policy_for(ret.shop).evidence
        problems = rules.problems(kind, content_type, size)
        if problems:
            raise Unprocessable(
                "The file cannot be accepted as evidence: " + " ".join(p["message"] for p in problems),
                code="evidence_not_acceptable",
                details=problems,
            )
        where = self.buckets.for_hub(ret.hub.hub_id)
        if not where.quarantine:
            raise RuntimeError("no evidence quarantine bucket is configured (EVIDENCE_QUARANTINE_BUCKET)")
        key = OfferKey(ret.rma, uploader, uuid.uuid4().hex)
        now = self.clock()
        expires_in = rules.upload_window_seconds
        offer = EvidenceOffer(
            offer_id=key.offer_id,
            kind=kind,
            content_type=content_type,
            size=size,
            uploader=uploader,
            actor=actor,
            bucket=where.quarantine,
            region=where.region,
            key=key.key,
            offered_at=now,
            expires_at=now + timedelta(seconds=expires_in),
        )
        self._offer(ret.rma, offer)  # recorded before the form leaves: no unrecorded offer
        fields = {"Content-Type": content_type}
        conditions: list[Any] = [{"Content-Type": content_type}, ["content-length-range", size, size]]
        if content_md5:
            # S3 then stores only that exact file.
            fields["Content-MD5"] = content_md5
            conditions.append({"Content-MD5": content_md5})
        post = self.s3_for(where.region).generate_presigned_post(
            Bucket=where.quarantine, Key=key.key, Fields=fields, Conditions=conditions, ExpiresIn=expires_in
        )
        return PresignedUpload(
            evidence_id=key.offer_id,
            url=str(post["url"]),
            fields={str(k): str(v) for k, v in post["fields"].items()},
            key=key.key,
            bucket=where.quarantine,
            region=where.region,
            expires_at=offer.expires_at,
            max_bytes=size,
        )

    @retry_stale
    def _offer(self, rma: str, offer: EvidenceOffer) -> None:
        ret, _ = self.repo.get_return(rma)
        _expect(ret, offer.uploader)
        limit = self.policy_for(ret.shop).evidence.max_offers(offer.uploader)
        made = sum(1 for o in ret.evidence_offers if o.uploader is offer.uploader)
        if made >= limit:
            raise Conflict(
                f"Return {rma} has had its {limit} {offer.uploader.value} uploads; no more are offered.",
                code="evidence_offer_limit",
                details=[{"uploader": offer.uploader.value, "limit": limit, "offered": made}],
            )
        message = (
            f"Upload offered to {offer.actor}: a {offer.kind.value} ({offer.content_type}, "
            f"{_size(offer.size)}), open until {offer.expires_at:%Y-%m-%d %H:%M}Z."
        )
        data = {
            "rma": rma,
            "order_id": ret.order_id,
            "offer_id": offer.offer_id,
            "kind": offer.kind.value,
            "uploader": offer.uploader.value,
        }
        self._note(
            ret, "evidence.offered", message, offer.actor, data, evidence_offers=[*ret.evidence_offers, offer]
        )

    # --- the upload check --------------------------------------------------------------------------

    def record_upload(self, bucket: str, key: str, version_id: str | None) -> UploadOutcome | None:
        """An object arrived in a quarantine bucket: redeem its offer, check it, lock and record it
        or refuse it. None: not a quarantine bucket of this deployment (left alone)."""
        where = self.buckets.by_quarantine(bucket)
        if where is None:
            log.warning("an object outside the quarantine buckets; left alone")
            return None
        s3 = self.s3_for(where.region)
        parsed = OfferKey.parse(key)
        if parsed is None:
            return self._attack(s3, bucket, key, version_id, "", "", "unknown_key")
        try:
            ret, _ = self.repo.get_return(parsed.rma)
        except NotFound:
            return self._attack(s3, bucket, key, version_id, parsed.rma, parsed.offer_id, "unknown_return")
        offer = next(
            (
                o
                for o in ret.evidence_offers
                if o.offer_id == parsed.offer_id and o.key == key and o.bucket == bucket
            ),
            None,
        )
        if offer is None:
            return self._attack(s3, bucket, key, version_id, ret.rma, parsed.offer_id, "no_offer")
        if version_id is not None and offer.version_id == version_id:  # a redelivered event
            storage.delete_quietly(s3, bucket, key, version_id)
            return UploadOutcome(ret.rma, offer.offer_id, offer.state is OfferState.ACCEPTED, [])
        if offer.state is not OfferState.OPEN:
            return self._attack(s3, bucket, key, version_id, ret.rma, offer.offer_id, "offer_used")
        try:
            head = s3.head_object(Bucket=bucket, Key=key, **({"VersionId": version_id} if version_id else {}))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in storage.GONE:
                log.info("the upload is gone already (deleted by an earlier delivery)")
                return UploadOutcome(ret.rma, offer.offer_id, False, [])
            raise
        version_id = version_id or head.get("VersionId")
        if head["LastModified"] > offer.expires_at + CLOCK_SKEW:
            return self._attack(s3, bucket, key, version_id, ret.rma, offer.offer_id, "offer_expired")
        policy = self.policy_for(ret.shop).evidence
        size, content_type = int(head["ContentLength"]), str(head.get("ContentType") or "")
        problems = policy.mismatches(offer, size, content_type)
        if problems:  # refused unread: a lie about the size costs no download
            return self._refuse(s3, ret, offer, version_id, problems)
        downloaded = storage.download(s3, bucket, key, version_id)
        try:
            checked = check(downloaded.path, offer, downloaded.size, content_type, policy)
            if checked.problems:
                return self._refuse(s3, ret, offer, version_id, checked.problems)
            evidence = self._lock(s3, where.bucket, ret, offer, downloaded, checked)
        finally:
            downloaded.remove()
        self._accept(ret.rma, offer.offer_id, version_id, evidence)
        storage.delete_quietly(s3, bucket, key, version_id)
        if self.workflow is not None and offer.uploader is Uploader.CUSTOMER:
            self.workflow.evidence_arrived(ret.rma, "customer")
        return UploadOutcome(ret.rma, offer.offer_id, True, [])

    def _lock(
        self,
        s3: Any,
        locked_bucket: str,
        ret: Return,
        offer: EvidenceOffer,
        downloaded: storage.Downloaded,
        checked: Checked,
    ) -> Evidence:
        """Write the checked file (a photo: its copy without GPS) and its stills into the locked
        bucket, each with its retention: Object Lock from the first byte."""
        now = self.clock()
        until = retain_until(now, self.policy_for(ret.shop).evidence)
        lock = storage.lock_headers(self.lock_mode, until)
        target = OfferKey(ret.rma, offer.uploader, offer.offer_id).evidence_key.key
        # The very bytes that were checked and hashed (the local copy, not a server-side copy of an
        # object someone might replace meanwhile); a photo: its copy without GPS.
        if checked.kept is not None:
            body: Any = checked.kept
            size, checksum = len(checked.kept), storage.sha256_of(checked.kept)
        else:
            body = open(downloaded.path, "rb")  # noqa: SIM115 - closed below, after the upload
            size, checksum = downloaded.size, downloaded.sha256
        try:
            written = s3.put_object(
                Bucket=locked_bucket,
                Key=target,
                Body=body,
                ContentType=offer.content_type,
                # S3 takes a write with Object Lock headers only with an integrity checksum.
                ChecksumAlgorithm="SHA256",
                **lock,
            )
        finally:
            if not isinstance(body, bytes):
                body.close()
        stills = []
        for number, still in enumerate(checked.stills, start=1):
            key = still_key(target, number)
            put = s3.put_object(
                Bucket=locked_bucket,
                Key=key,
                Body=still.jpeg,
                ContentType="image/jpeg",
                ChecksumAlgorithm="SHA256",
                **lock,
            )
            stills.append(
                EvidenceStill(
                    key=key,
                    version_id=put.get("VersionId"),
                    at_seconds=still.at_seconds,
                    width=still.width,
                    height=still.height,
                )
            )
        facts = checked.facts
        return Evidence(
            evidence_id=offer.offer_id,
            kind=offer.kind,
            content_type=offer.content_type,
            size=size,
            checksum_sha256=checksum,
            bucket=locked_bucket,
            region=offer.region,
            key=target,
            version_id=written.get("VersionId"),
            uploaded_by=offer.actor,
            uploaded_at=now,
            retain_until=until,
            offer_id=offer.offer_id,
            media=EvidenceMedia(
                container=facts.container or "",
                codec=facts.codec,
                duration_seconds=facts.duration_seconds,
                width=facts.width,
                height=facts.height,
            ),
            stills=stills,
            location_removed=facts.has_location,
        )

    @retry_stale
    def _accept(self, rma: str, offer_id: str, version_id: str | None, evidence: Evidence) -> None:
        ret, _ = self.repo.get_return(rma)
        offer = next(o for o in ret.evidence_offers if o.offer_id == offer_id)
        if offer.state is not OfferState.OPEN or any(
            e.evidence_id == evidence.evidence_id for e in ret.evidence
        ):
            return  # another version under the same offer was decided first (a reused POST)
        offers = _redeemed(ret, offer_id, OfferState.ACCEPTED, version_id, self.clock(), [])
        what = "Unboxing video" if evidence.kind is EvidenceKind.VIDEO else "Photo"
        if evidence.uploaded_by.startswith("staff:"):
            what = "Inspection " + what.lower().replace("unboxing ", "")
        media = evidence.media
        facts = [f"{media.width}x{media.height}"] if media and media.width else []
        if media and media.duration_seconds is not None:
            facts.insert(0, f"{media.duration_seconds:.1f} s")
        if evidence.stills:
            facts.append(f"{len(evidence.stills)} still frame{'s' if len(evidence.stills) > 1 else ''}")
        if evidence.location_removed:
            facts.append("location data removed")
        message = (
            f"{what} received ({_size(evidence.size)}, {evidence.content_type}; {', '.join(facts)}); "
            f"checked and kept until {evidence.retain_until:%Y-%m-%d} for disputes."
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
            ret,
            "evidence.recorded",
            message,
            evidence.uploaded_by,
            data,
            evidence=[*ret.evidence, evidence],
            evidence_offers=offers,
        )

    def _refuse(
        self,
        s3: Any,
        ret: Return,
        offer: EvidenceOffer,
        version_id: str | None,
        problems: list[dict[str, str]],
    ) -> UploadOutcome:
        """Refused: on the timeline (the offer redeemed, so it cannot be used again), the file
        deleted from quarantine, and the customer told in their language."""
        refused = self._record_refusal(ret.rma, offer.offer_id, version_id, problems)
        storage.delete_quietly(s3, offer.bucket, offer.key, version_id)
        if refused is not None and offer.uploader is Uploader.CUSTOMER and self.notifier is not None:
            try:
                self.notifier.send(
                    refused, evidence_refused(refused, customer_reason(problems), offer.offer_id)
                )
            except Exception:
                # A side channel: the refusal stands and is on the timeline whatever the mail does.
                log.exception("the customer could not be told of the refused upload")
        return UploadOutcome(ret.rma, offer.offer_id, False, problems)

    @retry_stale
    def _record_refusal(
        self, rma: str, offer_id: str, version_id: str | None, problems: list[dict[str, str]]
    ) -> Return | None:
        ret, _ = self.repo.get_return(rma)
        offer = next(o for o in ret.evidence_offers if o.offer_id == offer_id)
        if offer.state is not OfferState.OPEN:
            return None
        codes = [p["code"] for p in problems]
        offers = _redeemed(ret, offer_id, OfferState.REFUSED, version_id, self.clock(), codes)
        reasons = " ".join(p["message"] for p in problems)
        told = " The customer is told by email." if offer.uploader is Uploader.CUSTOMER else ""
        message = (
            f"An upload ({offer.kind.value}) was refused and removed: {reasons} Please upload again.{told}"
        )
        data = {"rma": rma, "order_id": ret.order_id, "offer_id": offer_id, "codes": codes}
        return self._note(ret, "evidence.refused", message, "evidence-check", data, evidence_offers=offers)

    def _attack(
        self, s3: Any, bucket: str, key: str, version_id: str | None, rma: str, offer_id: str, reason: str
    ) -> UploadOutcome:
        """An object under no open offer: deleted unread. The handler counts it; the log names the
        reason and the RMA, never the uploader or the content."""
        storage.delete_quietly(s3, bucket, key, version_id)
        log.warning("an upload under no open offer was deleted", extra={"reason": reason, "rma": rma})
        return UploadOutcome(rma, offer_id, False, [], attack=reason)

    # --- staff viewing ----------------------------------------------------------------------------

    @retry_stale
    def view_url(self, rma: str, evidence_id: str, actor: str) -> ViewUrl:
        ret, _ = self.repo.get_return(rma)
        evidence = next((e for e in ret.evidence if e.evidence_id == evidence_id), None)
        if evidence is None:
            raise NotFound(f"Return {rma} has no evidence {evidence_id}.", code="evidence_not_found")
        s3 = self.s3_for(evidence.region)
        if evidence.missing_since is not None or not storage.exists(
            s3, evidence.bucket, evidence.key, evidence.version_id
        ):
            self._missing(rma, [evidence_id], actor)
            raise NotFound(
                f"Evidence {evidence_id} of return {rma} is gone from storage; the timeline says when "
                "it was found missing.",
                code="evidence_missing",
            )
        seconds = self.policy_for(ret.shop).evidence.view_url_seconds

        def url(key: str, version_id: str | None) -> str:
            params: dict[str, Any] = {"Bucket": evidence.bucket, "Key": key}
            if version_id:
                params["VersionId"] = version_id
            return str(s3.generate_presigned_url("get_object", Params=params, ExpiresIn=seconds))

        stills = [
            StillUrl(url(s.key, s.version_id), s.width, s.height, s.at_seconds) for s in evidence.stills
        ]
        # The view is on the timeline before the URL leaves: no unrecorded look at the evidence.
        self._note(
            ret,
            "evidence.viewed",
            f"Evidence {evidence_id} ({evidence.kind.value}) viewed by {actor}.",
            actor,
            {"rma": rma, "order_id": ret.order_id, "evidence_id": evidence_id},
        )
        return ViewUrl(
            evidence_id,
            url(evidence.key, evidence.version_id),
            self.clock() + timedelta(seconds=seconds),
            stills,
        )

    def listing(self, rma: str, actor: str) -> list[Evidence]:
        """The return's evidence, each file's presence checked (one HEAD each): a file found gone
        is on the timeline once, from then on listed as missing, and raises the alarm."""
        ret, _ = self.repo.get_return(rma)
        gone = [
            e.evidence_id
            for e in ret.evidence
            if e.missing_since is None
            and not storage.exists(self.s3_for(e.region), e.bucket, e.key, e.version_id)
        ]
        if gone:
            ret = self._missing(rma, gone, actor) or ret
        return list(ret.evidence)

    @retry_stale
    def _missing(self, rma: str, evidence_ids: list[str], actor: str) -> Return | None:
        ret, _ = self.repo.get_return(rma)
        now = self.clock()
        found = [e for e in ret.evidence if e.evidence_id in evidence_ids and e.missing_since is None]
        if not found:
            return None
        marked = [e.model_copy(update={"missing_since": now}) if e in found else e for e in ret.evidence]
        names = ", ".join(
            f"{e.evidence_id} ({e.kind.value}, sha256 {e.checksum_sha256[:12]}...)" for e in found
        )
        message = (
            f"Evidence gone from storage: {names}, kept until "
            f"{max(e.retain_until for e in found):%Y-%m-%d}. Found by {actor}; the record and checksum stay."
        )
        data = {"rma": rma, "order_id": ret.order_id, "evidence_ids": [e.evidence_id for e in found]}
        saved = self._note(ret, "evidence.missing", message, "evidence-watch", data, evidence=marked)
        count("EvidenceMissing", len(found))
        log.error("evidence missing from storage", extra={"rma": rma, "missing": len(found)})
        return saved

    def _note(
        self, ret: Return, event: str, message: str, actor: str, data: dict[str, Any], **changes: Any
    ) -> Return:
        """A timeline entry and an outbox event on the return, without a status change."""
        now = self.clock()
        new = ret.model_copy(update={"version": ret.version + 1, "updated_at": now, **changes})
        entry = TimelineEntry(
            version=new.version, at=now, status=ret.status, event=event, message=message, actor=actor
        )
        self.repo.save(ReturnChange(new, ret.version, [entry], [Event(event, data)]))
        return new


def _expect(ret: Return, uploader: Uploader) -> None:
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


def _redeemed(
    ret: Return, offer_id: str, state: OfferState, version_id: str | None, at: datetime, codes: list[str]
) -> list[EvidenceOffer]:
    return [
        o.model_copy(update={"state": state, "version_id": version_id, "redeemed_at": at, "codes": codes})
        if o.offer_id == offer_id
        else o
        for o in ret.evidence_offers
    ]


def _size(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{size} bytes"
