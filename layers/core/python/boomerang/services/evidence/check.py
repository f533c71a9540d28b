"""The upload check: redeem the offer, check the bytes, lock and record, or refuse; anything
under no open offer is deleted unread as an attack."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from boomerang.domain.errors import NotFound
from boomerang.domain.evidence import (
    Evidence,
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
from boomerang.domain.models import Return
from boomerang.notify.messages import evidence_refused
from boomerang.services.evidence import storage
from boomerang.services.evidence.base import (
    CLOCK_SKEW,
    EvidenceBase,
    UploadOutcome,
    _size,
    log,
)
from boomerang.services.evidence.intake import Checked, check
from boomerang.services.evidence.service import EvidenceService
from boomerang.services.retry import retry_stale


class UploadCheck(EvidenceBase):
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


def _redeemed(
    ret: Return, offer_id: str, state: OfferState, version_id: str | None, at: datetime, codes: list[str]
) -> list[EvidenceOffer]:
    return [
        o.model_copy(update={"state": state, "version_id": version_id, "redeemed_at": at, "codes": codes})
        if o.offer_id == offer_id
        else o
        for o in ret.evidence_offers
    ]


class EvidenceChecker(EvidenceService, UploadCheck):
    """The evidence service with the upload check: what functions/evidence_uploaded runs."""
