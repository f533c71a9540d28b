"""Evidence on DynamoDB Local and moto's S3: offers and their presigned POSTs, uploads into the
quarantine bucket, the upload check reading the bytes (real files made in the test, the fakes of
issue 22 refused), the locked copy with its retention and still frames, attacks (forged keys, reused
POSTs, offers beyond the limit) deleted, staff views, the missing-file watch, and the storefront
and staff routes."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from boomerang.carriers.sandbox import SandboxCarrier
from boomerang.domain.errors import Conflict
from boomerang.domain.evidence import BucketChoice, EvidenceBuckets, EvidenceKind, OfferState, Uploader
from boomerang.domain.models import Wait
from boomerang.domain.policy import default_policy
from boomerang.domain.status import ReturnStatus as S
from boomerang.notify.sandbox import SandboxNotifier
from boomerang.payments.sandbox import SandboxPayments
from boomerang.services.evidence import S3Clients, UploadOutcome
from boomerang.services.evidence.check import EvidenceChecker
from boomerang.services.workflow import ReturnWorkflow
from boomerang.store.records import Repository
from local.sample_media import has_gps, sample_photo, sample_video
from tests.integration.test_workflow_service import RecordingEngine, new_return

VIDEO = sample_video(seconds=4)
PHOTO = sample_photo()
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + os.urandom(2048)


@pytest.fixture(scope="module")
def bucket(local_aws: Any) -> str:
    """The locked evidence bucket as local/buckets.py makes it from the template: versioned, Object
    Lock with a 180-day governance default."""
    name = f"evidence-{uuid.uuid4().hex[:10]}"
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(
        Bucket=name,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 180}},
        },
    )
    return name


@pytest.fixture(scope="module")
def quarantine(local_aws: Any) -> str:
    """The quarantine bucket: versioned, no Object Lock (a refused upload is simply deleted)."""
    name = f"quarantine-{uuid.uuid4().hex[:10]}"
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


@pytest.fixture
def engine() -> RecordingEngine:
    return RecordingEngine()


@pytest.fixture
def notifier() -> SandboxNotifier:
    return SandboxNotifier()


@pytest.fixture
def evidence(
    repo: Repository, bucket: str, quarantine: str, engine: RecordingEngine, notifier: SandboxNotifier
) -> EvidenceChecker:
    clock = lambda: datetime.now(UTC)  # noqa: E731
    flow = ReturnWorkflow(
        repo, lambda shop: default_policy(), engine, SandboxCarrier(), SandboxPayments(), clock
    )
    buckets = EvidenceBuckets(home=BucketChoice(bucket, "us-east-1", quarantine), by_hub={})
    return EvidenceChecker(
        repo, lambda shop: default_policy(), buckets, S3Clients(), clock, flow, notifier=notifier
    )


def _policy(fields: dict[str, str]) -> dict[str, Any]:
    return dict(json.loads(base64.b64decode(fields["policy"])))


def _post(url: str, fields: dict[str, str], content: bytes, content_type: str) -> int:
    """A browser's multipart form POST: every field, then the file last."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="clip"\r\n'
        f"Content-Type: {content_type}\r\n\r\n".encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        url,
        data=b"".join(parts),
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request) as answer:
        return int(answer.status)


def _arrived(evidence: EvidenceChecker, bucket: str, key: str) -> UploadOutcome | None:
    """What the upload function does on S3's "Object Created" event for the latest version."""
    version = boto3.client("s3").head_object(Bucket=bucket, Key=key)["VersionId"]
    return evidence.record_upload(bucket, key, version)


def _versions(bucket: str, prefix: str) -> list[dict[str, Any]]:
    return list(boto3.client("s3").list_object_versions(Bucket=bucket, Prefix=prefix).get("Versions", []))


def _upload(
    evidence: EvidenceChecker, ret: Any, content: bytes, kind: EvidenceKind = EvidenceKind.VIDEO,
    content_type: str = "video/mp4", declared: int | None = None, uploader: Uploader = Uploader.CUSTOMER,
    actor: str = "customer",
) -> tuple[Any, UploadOutcome | None]:  # fmt: skip
    made = evidence.presign_upload(ret, kind, content_type, declared or len(content), uploader, actor)
    assert _post(made.url, made.fields, content, content_type) in (200, 201, 204)
    return made, _arrived(evidence, made.bucket, made.key)


def test_the_presigned_post_is_an_offer_for_exactly_the_declared_file(
    repo: Repository, evidence: EvidenceChecker, quarantine: str
) -> None:
    ret = new_return(repo, price=18000, reason="not_as_described")
    assert ret.status is S.AWAITING_EVIDENCE
    before = datetime.now(UTC)
    made = evidence.presign_upload(
        ret, EvidenceKind.VIDEO, "video/mp4", 40_000_000, Uploader.CUSTOMER, "customer"
    )
    policy = _policy(made.fields)
    expiration = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert timedelta(minutes=14) < expiration - before <= timedelta(minutes=15, seconds=5)
    conditions = policy["conditions"]
    assert {"Content-Type": "video/mp4"} in conditions
    assert ["content-length-range", 40_000_000, 40_000_000] in conditions  # the declared size only
    # Into the quarantine bucket, under a key that names the offer.
    assert made.bucket == quarantine and {"bucket": quarantine} in conditions
    assert {"key": f"offers/{ret.rma}/customer/{made.evidence_id}"} in conditions
    md5 = base64.b64encode(hashlib.md5(VIDEO).digest()).decode()
    exact = evidence.presign_upload(
        ret, EvidenceKind.VIDEO, "video/mp4", len(VIDEO), Uploader.CUSTOMER, "customer", content_md5=md5
    )
    assert exact.fields["Content-MD5"] == md5 and {"Content-MD5": md5} in _policy(exact.fields)["conditions"]
    # Each offer is on the return: id, kind, declared type and size, expiry, who asked.
    stored, timeline = repo.get_return(ret.rma)
    first, _ = stored.evidence_offers
    assert (first.offer_id, first.kind, first.content_type, first.size, first.actor, first.state) == (
        made.evidence_id, EvidenceKind.VIDEO, "video/mp4", 40_000_000, "customer", OfferState.OPEN,
    )  # fmt: skip
    assert first.expires_at == made.expires_at and first.key == made.key
    assert [e.event for e in timeline][-2:] == ["evidence.offered", "evidence.offered"]
    [event, _] = [e for e in repo.outbox_events(ret.rma) if e["type"] == "evidence.offered"]
    assert set(event["data"]) == {"rma", "order_id", "offer_id", "kind", "uploader"}


def test_a_declared_file_outside_the_policy_gets_no_upload(
    repo: Repository, evidence: EvidenceChecker
) -> None:
    ret = new_return(repo, price=18000, reason="not_as_described")
    with pytest.raises(Exception) as refused:
        evidence.presign_upload(ret, EvidenceKind.VIDEO, "application/x-msdownload", 600 * 1024 * 1024,
                                Uploader.CUSTOMER, "customer")  # fmt: skip
    assert getattr(refused.value, "code", None) == "evidence_not_acceptable"
    assert {d["code"] for d in refused.value.details} == {"content_type_not_allowed", "size_out_of_range"}  # type: ignore[attr-defined]
    assert repo.get_return(ret.rma)[0].evidence_offers == []


def test_a_real_video_is_checked_locked_with_stills_and_the_evidence_wait_resumes(
    repo: Repository, evidence: EvidenceChecker, engine: RecordingEngine, bucket: str, quarantine: str
) -> None:
    ret = new_return(repo, price=18000, reason="not_as_described")
    evidence.workflow.hold(ret.rma, Wait.EVIDENCE, "token-evidence-1")  # type: ignore[union-attr]
    made, outcome = _upload(evidence, ret, VIDEO)
    assert outcome is not None and outcome.recorded, outcome
    stored, timeline = repo.get_return(ret.rma)
    [recorded] = stored.evidence
    assert recorded.size == len(VIDEO) and recorded.content_type == "video/mp4"
    assert recorded.checksum_sha256 == base64.b64encode(hashlib.sha256(VIDEO).digest()).decode()
    assert recorded.retain_until - recorded.uploaded_at == timedelta(days=180)
    assert recorded.media is not None and recorded.media.duration_seconds == pytest.approx(4, abs=0.15)
    assert (recorded.media.width, recorded.media.height, recorded.media.codec) == (320, 240, "h264")
    assert stored.evidence_offers[0].state is OfferState.ACCEPTED
    assert stored.status is S.PENDING_REVIEW and stored.task_token is None
    assert engine.resumed == [("token-evidence-1", {"rma": ret.rma, "status": "pending_review"})]
    assert [e.event for e in timeline][-2:] == ["evidence.recorded", "return.pending_review"]
    assert "4.0 s, 320x240, 3 still frames" in timeline[-2].message
    [event] = [e for e in repo.outbox_events(ret.rma) if e["type"] == "evidence.recorded"]
    assert set(event["data"]) == {
        "rma", "order_id", "evidence_id", "kind", "size", "checksum_sha256", "retain_until",
    }  # fmt: skip
    # The checked copy is in the locked bucket, locked from its first byte; quarantine is empty.
    s3 = boto3.client("s3")
    assert recorded.bucket == bucket and recorded.key == f"returns/{ret.rma}/customer/{made.evidence_id}"
    head = s3.head_object(Bucket=bucket, Key=recorded.key, VersionId=recorded.version_id)
    assert head["ObjectLockMode"] == "GOVERNANCE"
    assert head["ObjectLockRetainUntilDate"].date() == recorded.retain_until.date()
    assert _versions(quarantine, made.key) == []
    # Three still frames beside it, locked as long: JPEGs a reviewer sees without the download.
    assert [s.at_seconds for s in recorded.stills] == [1.0, 2.0, 3.0]
    for still in recorded.stills:
        assert still.key.startswith(recorded.key + ".still-")
        got = s3.get_object(Bucket=bucket, Key=still.key, VersionId=still.version_id)
        assert got["Body"].read()[:3] == b"\xff\xd8\xff" and got["ObjectLockMode"] == "GOVERNANCE"
    # A redelivered event records nothing twice and is no attack.
    again = evidence.record_upload(made.bucket, made.key, stored.evidence_offers[0].version_id)
    assert again is not None and again.recorded and again.attack is None
    assert len(repo.get_return(ret.rma)[0].evidence) == 1


FAKES = {
    "1 byte": (b"\x00", None),
    "16 random bytes": (os.urandom(16), None),
    "a renamed executable": (EXECUTABLE, None),
    "an MP4 header with nothing behind it": (b"\x00\x00\x00\x18ftypmp42" + b"unboxing" * 64, None),
    "50 KB declared as 10 B": (VIDEO + bytes(50_000 - len(VIDEO)), 10),
}


@pytest.mark.parametrize("name", list(FAKES))
def test_fake_videos_are_refused_removed_and_the_customer_told(
    name: str, repo: Repository, evidence: EvidenceChecker, notifier: SandboxNotifier, bucket: str,
    quarantine: str,
) -> None:  # fmt: skip
    content, declared = FAKES[name]
    ret = new_return(repo, price=18000, reason="not_as_described")
    made, outcome = _upload(evidence, ret, content, declared=declared)
    assert outcome is not None and not outcome.recorded and outcome.attack is None, name
    expected = "size_mismatch" if declared else "not_a_video"
    assert [p["code"] for p in outcome.problems] == [expected], name
    assert _versions(quarantine, made.key) == []  # removed
    assert _versions(bucket, f"returns/{ret.rma}/") == []  # never locked
    stored, timeline = repo.get_return(ret.rma)
    assert stored.evidence == [] and stored.status is S.AWAITING_EVIDENCE
    assert stored.evidence_offers[0].state is OfferState.REFUSED
    assert stored.evidence_offers[0].codes == [expected]
    assert timeline[-1].event == "evidence.refused" and "upload again" in timeline[-1].message
    [(rma, message)] = notifier.sent
    assert rma == ret.rma and message.template == "evidence.refused"
    reason = "not_as_declared" if declared else "not_a_video"
    assert message.values["evidence_problem"] == reason and ret.rma in message.subject
    assert message.once_key == f"evidence.refused.{made.evidence_id}"
    # The customer can try again with a new offer, and a real video passes.
    _, retried = _upload(evidence, stored, VIDEO)
    assert retried is not None and retried.recorded


def test_a_video_too_short_or_too_small_for_the_policy_is_refused(
    repo: Repository, evidence: EvidenceChecker, notifier: SandboxNotifier
) -> None:
    ret = new_return(repo, price=18000, reason="not_as_described")
    _, short = _upload(evidence, ret, sample_video(seconds=1))
    assert short is not None and [p["code"] for p in short.problems] == ["too_short"]
    _, small = _upload(evidence, repo.get_return(ret.rma)[0], sample_video(seconds=4, width=160, height=120))
    assert small is not None and [p["code"] for p in small.problems] == ["resolution_too_low"]
    assert [m.values["evidence_problem"] for _, m in notifier.sent] == ["too_short", "resolution_too_low"]


def test_a_photo_is_kept_without_its_gps_position_with_a_preview(
    repo: Repository, evidence: EvidenceChecker, bucket: str
) -> None:
    ret = new_return(repo, price=18000, reason="not_as_described")
    assert has_gps(PHOTO)
    _, outcome = _upload(evidence, ret, PHOTO, EvidenceKind.PHOTO, "image/jpeg")
    assert outcome is not None and outcome.recorded, outcome
    [recorded] = repo.get_return(ret.rma)[0].evidence
    assert recorded.location_removed and len(recorded.stills) == 1
    kept = boto3.client("s3").get_object(Bucket=bucket, Key=recorded.key, VersionId=recorded.version_id)
    data = kept["Body"].read()
    assert not has_gps(data) and data[:3] == b"\xff\xd8\xff"
    assert recorded.size == len(data)  # what is stored is what the record describes
    assert recorded.checksum_sha256 == base64.b64encode(hashlib.sha256(data).digest()).decode()
    from PIL import Image

    assert Image.open(io.BytesIO(data)).size == (640, 480)


def test_forged_keys_are_deleted_unread_as_attacks(
    repo: Repository, evidence: EvidenceChecker, quarantine: str, caplog: pytest.LogCaptureFixture
) -> None:
    victim = new_return(repo, price=18000, reason="not_as_described")
    attacker = new_return(repo, price=18000, reason="not_as_described")
    offered = evidence.presign_upload(
        attacker, EvidenceKind.VIDEO, "video/mp4", len(VIDEO), Uploader.CUSTOMER, "customer"
    )
    s3 = boto3.client("s3")
    forged = {
        # The attacker's own offer id under the victim's return: no such offer there.
        "no_offer": f"offers/{victim.rma}/customer/{offered.evidence_id}",
        # The customer's offer redeemed as a staff inspection (the old "uploaded-by: staff" trick).
        "no_offer ": f"offers/{attacker.rma}/staff/{offered.evidence_id}",
        "unknown_return": f"offers/ZZZZ-ZZZ-ZZZ/customer/{uuid.uuid4().hex}",
        "unknown_key": f"returns/{victim.rma}/customer/{uuid.uuid4().hex}",
    }
    for reason, key in forged.items():
        s3.put_object(Bucket=quarantine, Key=key, Body=VIDEO, ContentType="video/mp4")
        outcome = _arrived(evidence, quarantine, key)
        assert outcome is not None and outcome.attack == reason.strip() and not outcome.recorded, key
        assert _versions(quarantine, key) == []
    for ret in (victim, attacker):
        stored, timeline = repo.get_return(ret.rma)
        assert stored.evidence == [] and stored.status is S.AWAITING_EVIDENCE
        assert "evidence.recorded" not in {e.event for e in timeline}
    assert repo.get_return(attacker.rma)[0].evidence_offers[0].state is OfferState.OPEN
    # Logged with the reason and the RMA only: no email, no content.
    logged = [r for r in caplog.records if r.getMessage() == "an upload under no open offer was deleted"]
    assert sorted(r.reason for r in logged) == ["no_offer", "no_offer", "unknown_key", "unknown_return"]  # type: ignore[attr-defined]
    assert not any("@" in str(r.__dict__) for r in logged)


def test_a_reused_post_is_refused_and_the_first_upload_stands(
    repo: Repository, evidence: EvidenceChecker, quarantine: str
) -> None:
    ret = new_return(repo, price=18000, reason="not_as_described")
    made, first = _upload(evidence, ret, VIDEO)
    assert first is not None and first.recorded
    # The same form again within its 15 minutes: S3 takes it (a POST policy is not single-use), the
    # check does not: the offer is spent.
    assert _post(made.url, made.fields, VIDEO, "video/mp4") in (200, 201, 204)
    second = _arrived(evidence, quarantine, made.key)
    assert second is not None and second.attack == "offer_used" and not second.recorded
    assert _versions(quarantine, made.key) == []
    stored = repo.get_return(ret.rma)[0]
    assert len(stored.evidence) == 1 and len(stored.evidence_offers) == 1


def test_offers_beyond_the_policy_limit_are_refused(repo: Repository, evidence: EvidenceChecker) -> None:
    ret = new_return(repo, price=18000, reason="not_as_described")
    limit = default_policy().evidence.max_customer_offers
    for _ in range(limit):
        evidence.presign_upload(ret, EvidenceKind.PHOTO, "image/jpeg", 2048, Uploader.CUSTOMER, "customer")
    with pytest.raises(Conflict) as refused:
        evidence.presign_upload(ret, EvidenceKind.PHOTO, "image/jpeg", 2048, Uploader.CUSTOMER, "customer")
    assert refused.value.code == "evidence_offer_limit" and refused.value.http_status == 409
    assert refused.value.details == [{"uploader": "customer", "limit": limit, "offered": limit}]
    assert len(repo.get_return(ret.rma)[0].evidence_offers) == limit
    # Staff have their own allowance: the warehouse can still attach inspection photos.
    evidence.presign_upload(ret, EvidenceKind.PHOTO, "image/jpeg", 2048, Uploader.STAFF, "staff:bob")


def test_a_locked_version_cannot_be_deleted_without_governance_bypass(bucket: str) -> None:
    s3 = boto3.client("s3")
    key = f"returns/K7Q-4M2-XAC/customer/{uuid.uuid4().hex}"
    version = s3.put_object(Bucket=bucket, Key=key, Body=VIDEO, ContentType="video/mp4")["VersionId"]
    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket=bucket, Key=key, VersionId=version)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert s3.head_object(Bucket=bucket, Key=key, VersionId=version)["ContentLength"] == len(VIDEO)
    s3.delete_object(Bucket=bucket, Key=key, VersionId=version, BypassGovernanceRetention=True)


def test_staff_view_links_the_stills_and_is_on_the_timeline(
    repo: Repository, evidence: EvidenceChecker
) -> None:
    ret = new_return(repo, price=18000, reason="not_as_described")
    made, _ = _upload(evidence, ret, VIDEO)
    view = evidence.view_url(ret.rma, made.evidence_id, "staff:carol")
    assert "X-Amz-Expires=300" in view.url
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(view.url) as answer:
        assert answer.read() == VIDEO
    assert len(view.stills) == 3 and all("X-Amz-Expires=300" in s.url for s in view.stills)
    with opener.open(view.stills[0].url) as answer:
        assert answer.read()[:3] == b"\xff\xd8\xff"
    timeline = repo.get_return(ret.rma)[1]
    assert timeline[-1].event == "evidence.viewed" and timeline[-1].actor == "staff:carol"


def test_evidence_that_disappears_is_on_the_timeline_once_and_counted(
    repo: Repository, evidence: EvidenceChecker, bucket: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ret = new_return(repo, price=18000, reason="not_as_described")
    made, _ = _upload(evidence, ret, VIDEO)
    [recorded] = repo.get_return(ret.rma)[0].evidence
    # What the issue found: a bypass delete by someone who still could (not a Boomerang function).
    boto3.client("s3").delete_object(
        Bucket=bucket, Key=recorded.key, VersionId=recorded.version_id, BypassGovernanceRetention=True
    )
    capsys.readouterr()
    [listed] = evidence.listing(ret.rma, "staff:dana")
    assert listed.missing_since is not None
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "EvidenceMissing" in line]
    assert [m["EvidenceMissing"] for m in metrics] == [[1.0]] and metrics[0]["service"] == "evidence"
    assert metrics[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Boomerang"
    timeline = repo.get_return(ret.rma)[1]
    [missing] = [e for e in timeline if e.event == "evidence.missing"]
    assert made.evidence_id in missing.message and "staff:dana" in missing.message
    # Once: the next listing and a view find it missing already and add nothing.
    evidence.listing(ret.rma, "staff:dana")
    with pytest.raises(Exception) as gone:
        evidence.view_url(ret.rma, made.evidence_id, "staff:erin")
    assert getattr(gone.value, "code", None) == "evidence_missing"
    assert [e.event for e in repo.get_return(ret.rma)[1]].count("evidence.missing") == 1
    assert "EvidenceMissing" not in capsys.readouterr().out


def test_staff_attach_list_and_view_through_the_admin_api(
    repo: Repository, staff_api: Any, admin: Any, evidence: EvidenceChecker
) -> None:
    admin.evidence.buckets = evidence.buckets
    ret = new_return(repo, price=18000, reason="not_as_described")
    status, body = staff_api.call(
        "POST", f"/admin/v1/returns/{ret.rma}/evidence", {"kind": "photo", "content_type": "image/jpeg",
                                                         "size": len(PHOTO)}, groups="warehouse")  # fmt: skip
    assert status == 201, body
    assert body["upload"]["fields"]["key"] == f"offers/{ret.rma}/staff/{body['evidence_id']}"
    assert repo.get_return(ret.rma)[0].evidence_offers[0].actor == "staff:alice"
    _post(body["upload"]["url"], body["upload"]["fields"], PHOTO, "image/jpeg")
    assert _arrived(evidence, evidence.buckets.home.quarantine, body["upload"]["fields"]["key"]).recorded  # type: ignore[union-attr]
    status, listed = staff_api.call("GET", f"/admin/v1/returns/{ret.rma}/evidence", groups="finance")
    assert status == 200 and listed["items"][0]["uploaded_by"] == "staff:alice"
    item = listed["items"][0]
    assert (item["width"], item["height"], item["stills"], item["location_removed"]) == (640, 480, 1, True)
    assert item["missing_since"] is None
    status, _ = staff_api.call(
        "POST", f"/admin/v1/returns/{ret.rma}/evidence", {"kind": "photo", "content_type": "image/jpeg",
                                                         "size": 10}, groups="support")  # fmt: skip
    assert status == 403
    status, view = staff_api.call(
        "GET", f"/admin/v1/returns/{ret.rma}/evidence/{item['evidence_id']}", groups="support"
    )
    assert status == 200 and view["url"].startswith("http")
    assert [s["width"] for s in view["stills"]] == [640] and view["stills"][0]["at_seconds"] is None
    assert repo.get_return(ret.rma)[1][-1].event == "evidence.viewed"


def test_the_storefront_offers_uploads_for_the_customers_own_return_up_to_the_limit(
    repo: Repository, api: Any, storefront: Any, evidence: EvidenceChecker
) -> None:
    storefront._evidence_service().buckets = evidence.buckets
    order = {
        "order_id": f"ev-{uuid.uuid4().hex[:8]}",
        "order_number": f"#{uuid.uuid4().hex[:8]}",
        "customer": {"email": "ev@example.com", "country": "US"},
        "currency": "USD",
        "ordered_at": (datetime.now(UTC) - timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "lines": [
            {
                "line_id": "L1",
                "sku": "JACKET",
                "quantity": 1,
                "unit_price": {"amount": "180.00", "currency": "USD"},
                "delivered_at": (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        ],
    }
    status, body = api.call("POST", "/v1/orders", order)
    assert status in (200, 201), body
    status, created = api.call(
        "POST",
        "/v1/returns",
        {
            "order_id": order["order_id"],
            "items": [{"line_id": "L1", "quantity": 1, "reason": "not_as_described"}],
            "resolution": "refund",
        },
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert status == 201 and created["status"] == "awaiting_evidence", created
    path = f"/v1/returns/{created['rma']}/evidence"
    status, body = api.call("POST", path, {"kind": "video", "content_type": "video/mp4", "size": 1_000_000})
    assert status == 201, body
    assert body["upload"]["max_bytes"] == 1_000_000
    assert body["upload"]["fields"]["key"].startswith(f"offers/{created['rma']}/customer/")
    status, body = api.call(
        "POST", path, {"kind": "video", "content_type": "video/mp4", "size": 900 * 1024 * 1024}
    )
    assert status == 422 and body["error"]["code"] == "evidence_not_acceptable"
    assert {d["field"] for d in body["error"]["details"]} == {"size"}
    for _ in range(default_policy().evidence.max_customer_offers - 1):
        status, _ = api.call("POST", path, {"kind": "photo", "content_type": "image/jpeg", "size": 4096})
        assert status == 201
    status, body = api.call("POST", path, {"kind": "photo", "content_type": "image/jpeg", "size": 4096})
    assert status == 409 and body["error"]["code"] == "evidence_offer_limit", body


def test_the_upload_function_checks_what_local_s3_events_deliver(
    repo: Repository, bucket: str, quarantine: str, evidence: EvidenceChecker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Lambda handler on the EventBridge event S3 sends, delivered as `make local` does it."""
    import importlib

    from local.s3_events import S3EventPoller, Watch

    monkeypatch.setenv("EVIDENCE_BUCKET", bucket)
    module = importlib.import_module("functions.evidence_uploaded.handler")
    monkeypatch.setattr(module.service, "buckets", evidence.buckets)
    monkeypatch.setattr(module.workflow, "engine", RecordingEngine())
    ret = new_return(repo, price=18000, reason="not_as_described")
    made = evidence.presign_upload(
        ret, EvidenceKind.VIDEO, "video/mp4", len(VIDEO), Uploader.CUSTOMER, "customer"
    )
    _post(made.url, made.fields, VIDEO, "video/mp4")
    # And a forged object beside it: deleted, counted as an attack.
    boto3.client("s3").put_object(
        Bucket=quarantine,
        Key=f"offers/{ret.rma}/customer/{uuid.uuid4().hex}",
        Body=b"\x00",
        ContentType="video/mp4",
    )
    poller = S3EventPoller(
        boto3.client("s3"), [Watch(quarantine, ["offers/"], module.handler, "evidence_uploaded")]
    )
    assert poller.poll() >= 2
    assert poller.poll() == 0  # each version once
    stored = repo.get_return(ret.rma)[0]
    assert [e.evidence_id for e in stored.evidence] == [made.evidence_id]
    assert stored.status is S.PENDING_REVIEW
    assert _versions(quarantine, f"offers/{ret.rma}/") == []


def test_an_eu_return_uploads_to_the_eu_quarantine(repo: Repository, evidence: EvidenceChecker) -> None:
    eu = BucketChoice(
        "boomerang-evidence-eu-central-1-123456789012",
        "eu-central-1",
        "boomerang-quarantine-eu-central-1-123456789012",
    )
    regional = EvidenceChecker(
        repo,
        evidence.policy_for,
        EvidenceBuckets(home=evidence.buckets.home, by_hub={"eu-pl-gls": eu}),
        S3Clients(),
        evidence.clock,
    )
    german = new_return(repo, price=18000, reason="not_as_described", country="DE")
    assert german.hub.hub_id == "eu-pl-gls"
    made = regional.presign_upload(
        german, EvidenceKind.VIDEO, "video/mp4", 1000, Uploader.CUSTOMER, "customer"
    )
    assert (made.bucket, made.region) == (eu.quarantine, "eu-central-1")
    assert {"bucket": eu.quarantine} in _policy(made.fields)["conditions"]
    assert "eu-central-1" in made.fields["x-amz-credential"]
    american = new_return(repo, price=18000, reason="not_as_described")
    assert regional.presign_upload(
        american, EvidenceKind.VIDEO, "video/mp4", 1000, Uploader.CUSTOMER, "customer"
    ).bucket == (evidence.buckets.home.quarantine)
