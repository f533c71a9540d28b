"""Staff viewing: short-lived URLs of a file and its still frames, and the watch for files gone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from boomerang.domain.errors import NotFound
from boomerang.domain.evidence import (
    Evidence,
)
from boomerang.domain.models import Return
from boomerang.services.evidence import storage
from boomerang.services.evidence.base import (
    EvidenceBase,
    StillUrl,
    ViewUrl,
    count,
    log,
)
from boomerang.services.retry import retry_stale


class Viewing(EvidenceBase):
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
