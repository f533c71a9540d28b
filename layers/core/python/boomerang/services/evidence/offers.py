"""Offers: each presigned POST is an offer recorded on the return before the form leaves."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from boomerang.domain.errors import Conflict, Unprocessable
from boomerang.domain.evidence import (
    EvidenceKind,
    EvidenceOffer,
    OfferKey,
    Uploader,
)
from boomerang.domain.models import Return
from boomerang.domain.status import TERMINAL
from boomerang.services.evidence.base import (
    CUSTOMER_UPLOAD_STATUSES,
    EvidenceBase,
    PresignedUpload,
    S,
    _size,
)
from boomerang.services.retry import retry_stale


class Offers(EvidenceBase):
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
