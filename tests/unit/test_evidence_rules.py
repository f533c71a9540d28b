"""Evidence rules without AWS: what an upload may be, how a key names its return, which bucket a
return's evidence goes to, and the policy's retention floor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from boomerang.domain.evidence import (
    MIB,
    BucketChoice,
    EvidenceBuckets,
    EvidenceKey,
    EvidenceKind,
    EvidencePolicy,
    Uploader,
    retain_until,
)
from boomerang.domain.policy import default_policy, load_policy


def test_a_video_may_be_up_to_500_mb_of_a_video_type() -> None:
    rules = default_policy().evidence
    assert rules.problems(EvidenceKind.VIDEO, "video/mp4", 500 * MIB) == []
    assert [p["code"] for p in rules.problems(EvidenceKind.VIDEO, "video/mp4", 500 * MIB + 1)] == [
        "size_out_of_range"
    ]
    assert [p["code"] for p in rules.problems(EvidenceKind.VIDEO, "image/jpeg", 10)] == [
        "content_type_not_allowed"
    ]
    assert [p["field"] for p in rules.problems(EvidenceKind.PHOTO, "video/mp4", 0)] == [
        "content_type",
        "size",
    ]


def test_photos_have_their_own_smaller_limit() -> None:
    rules = EvidencePolicy()
    assert rules.max_bytes(EvidenceKind.PHOTO) < rules.max_bytes(EvidenceKind.VIDEO)
    assert rules.problems(EvidenceKind.PHOTO, "image/jpeg", 21 * MIB)


def test_the_key_names_the_return_and_who_uploaded() -> None:
    key = EvidenceKey("K7Q-4M2-XAC", Uploader.STAFF, "0" * 32)
    assert key.key == f"returns/K7Q-4M2-XAC/staff/{'0' * 32}"
    assert EvidenceKey.parse(key.key) == key
    for other in ["returns/K7Q-4M2-XAC/admin/" + "0" * 32, "labels/x.pdf", "returns/../customer/" + "0" * 32]:
        assert EvidenceKey.parse(other) is None


def test_a_return_s_evidence_goes_to_its_hub_s_region() -> None:
    home = BucketChoice("home-bucket", "us-east-1")
    eu = BucketChoice("eu-bucket", "eu-central-1")
    buckets = EvidenceBuckets(home=home, by_hub={"eu-pl-gls": eu})
    assert buckets.for_hub("eu-pl-gls") == eu
    assert buckets.for_hub("us-nj") == home
    assert buckets.all() == [home, eu]


def test_retention_is_at_least_180_days_and_a_policy_may_raise_it() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    assert retain_until(at, EvidencePolicy()) == at + timedelta(days=180)
    assert retain_until(at, EvidencePolicy(retention_days=365)) == at + timedelta(days=365)
    with pytest.raises(ValidationError):
        EvidencePolicy(retention_days=90)
    doc = default_policy().model_dump(mode="json")
    doc["evidence"] = {"retention_days": 400, "video_max_bytes": 100 * MIB}
    loaded = load_policy(doc)
    assert loaded.evidence.retention_days == 400 and loaded.evidence.video_max_bytes == 100 * MIB


def test_the_lifecycle_deletes_after_the_lock_never_before() -> None:
    from boomerang.domain.evidence import Evidence, deletion_date

    at = datetime(2026, 1, 1, tzinfo=UTC)

    def evidence(days: int) -> Evidence:
        return Evidence(
            evidence_id="0" * 32,
            kind=EvidenceKind.VIDEO,
            content_type="video/mp4",
            size=1,
            checksum_sha256="A" * 43 + "=",
            bucket="b",
            region="us-east-1",
            key="k",
            uploaded_by="customer",
            uploaded_at=at,
            retain_until=at + timedelta(days=days),
        )

    assert deletion_date(evidence(180)) == (at + timedelta(days=211)).date()
    assert deletion_date(evidence(400)) == (at + timedelta(days=400)).date()
