"""Evidence on DynamoDB Local and moto's S3: the presigned POST's policy, Object Lock, the upload
check recording evidence and resuming the workflow's evidence wait, refusals, staff views, and the
storefront and staff routes."""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from boomerang.carriers.sandbox import SandboxCarrier
from boomerang.domain.evidence import BucketChoice, EvidenceBuckets, EvidenceKind, Uploader
from boomerang.domain.models import Wait
from boomerang.domain.policy import default_policy
from boomerang.domain.status import ReturnStatus as S
from boomerang.payments.sandbox import SandboxPayments
from boomerang.services.evidence import EvidenceService, S3Clients
from boomerang.services.workflow import ReturnWorkflow
from boomerang.store.records import Repository
from tests.integration.test_workflow_service import RecordingEngine, new_return

VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"unboxing" * 64


@pytest.fixture(scope="module")
def bucket(local_aws: Any) -> str:
    """An evidence bucket as local/buckets.py makes it from the template: versioned, Object Lock with
    a 180-day governance default."""
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


@pytest.fixture
def engine() -> RecordingEngine:
    return RecordingEngine()


@pytest.fixture
def evidence(repo: Repository, bucket: str, engine: RecordingEngine) -> EvidenceService:
    clock = lambda: datetime.now(UTC)  # noqa: E731
    flow = ReturnWorkflow(
        repo, lambda shop: default_policy(), engine, SandboxCarrier(), SandboxPayments(), clock
    )
    buckets = EvidenceBuckets(home=BucketChoice(bucket, "us-east-1"), by_hub={})
    return EvidenceService(repo, lambda shop: default_policy(), buckets, S3Clients(), clock, flow)


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


def _arrived(evidence: EvidenceService, bucket: str, key: str) -> Any:
    """What the upload function does on S3's "Object Created" event for the latest version."""
    version = boto3.client("s3").head_object(Bucket=bucket, Key=key)["VersionId"]
    return evidence.record_upload(bucket, key, version)


def test_the_presigned_post_is_limited_to_type_size_and_15_minutes(
    repo: Repository, evidence: EvidenceService, bucket: str
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
    assert ["content-length-range", 1, 500 * 1024 * 1024] in conditions
    assert {"bucket": bucket} in conditions
    assert {"key": f"returns/{ret.rma}/customer/{made.evidence_id}"} in conditions
    assert {"x-amz-meta-uploaded-by": "customer"} in conditions
    assert made.fields["Content-Type"] == "video/mp4"
    md5 = base64.b64encode(hashlib.md5(VIDEO).digest()).decode()
    exact = evidence.presign_upload(
        ret, EvidenceKind.VIDEO, "video/mp4", len(VIDEO), Uploader.CUSTOMER, "customer", content_md5=md5
    )
    assert exact.fields["Content-MD5"] == md5 and {"Content-MD5": md5} in _policy(exact.fields)["conditions"]


def test_a_declared_file_outside_the_policy_gets_no_upload(
    repo: Repository, evidence: EvidenceService
) -> None:
    ret = new_return(repo, price=18000, reason="not_as_described")
    with pytest.raises(Exception) as refused:
        evidence.presign_upload(ret, EvidenceKind.VIDEO, "application/x-msdownload", 600 * 1024 * 1024,
                                Uploader.CUSTOMER, "customer")  # fmt: skip
    assert getattr(refused.value, "code", None) == "evidence_not_acceptable"
    assert {d["code"] for d in refused.value.details} == {"content_type_not_allowed", "size_out_of_range"}  # type: ignore[attr-defined]


def test_upload_is_recorded_and_the_evidence_wait_resumes(
    repo: Repository, evidence: EvidenceService, engine: RecordingEngine, bucket: str
) -> None:
    ret = new_return(repo, price=18000, reason="not_as_described")
    evidence.workflow.hold(ret.rma, Wait.EVIDENCE, "token-evidence-1")  # type: ignore[union-attr]
    md5 = base64.b64encode(hashlib.md5(VIDEO).digest()).decode()  # the exact file, as a browser sends it
    made = evidence.presign_upload(
        ret, EvidenceKind.VIDEO, "video/mp4", len(VIDEO), Uploader.CUSTOMER, "customer", content_md5=md5
    )
    assert _post(made.url, made.fields, VIDEO, "video/mp4") in (200, 201, 204)
    outcome = _arrived(evidence, bucket, made.key)
    assert outcome is not None and outcome.recorded
    stored, timeline = repo.get_return(ret.rma)
    [recorded] = stored.evidence
    assert recorded.size == len(VIDEO) and recorded.content_type == "video/mp4"
    assert recorded.checksum_sha256 == base64.b64encode(hashlib.sha256(VIDEO).digest()).decode()
    assert recorded.retain_until - recorded.uploaded_at == timedelta(days=180)
    assert stored.status is S.PENDING_REVIEW and stored.task_token is None
    assert engine.resumed == [("token-evidence-1", {"rma": ret.rma, "status": "pending_review"})]
    assert [e.event for e in timeline][-2:] == ["evidence.recorded", "return.pending_review"]
    events = repo.outbox_events(ret.rma)
    [event] = [e for e in events if e["type"] == "evidence.recorded"]
    assert event["data"]["rma"] == ret.rma and event["data"]["evidence_id"] == made.evidence_id
    assert set(event["data"]) == {
        "rma",
        "order_id",
        "evidence_id",
        "kind",
        "size",
        "checksum_sha256",
        "retain_until",
    }
    # S3 locked the version for the retention; a redelivered event records nothing twice.
    head = boto3.client("s3").head_object(Bucket=bucket, Key=made.key, VersionId=recorded.version_id)
    assert head["ObjectLockMode"] == "GOVERNANCE"
    assert head["ObjectLockRetainUntilDate"].date() == recorded.retain_until.date()
    again = _arrived(evidence, bucket, made.key)
    assert again is not None and again.recorded
    assert len(repo.get_return(ret.rma)[0].evidence) == 1


def test_an_upload_failing_its_checks_is_removed_and_the_customer_can_retry(
    repo: Repository, evidence: EvidenceService, bucket: str
) -> None:
    ret = new_return(repo, price=18000, reason="not_as_described")
    s3 = boto3.client("s3")
    key = f"returns/{ret.rma}/customer/{uuid.uuid4().hex}"
    # What a client that ignored the form would leave: the wrong type for a video.
    s3.put_object(Bucket=bucket, Key=key, Body=b"MZ not a video", ContentType="application/x-msdownload",
                  Metadata={"kind": "video", "uploaded-by": "customer"})  # fmt: skip
    outcome = _arrived(evidence, bucket, key)
    assert outcome is not None and not outcome.recorded
    assert [p["code"] for p in outcome.problems] == ["content_type_not_allowed"]
    assert s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", []) == []
    stored, timeline = repo.get_return(ret.rma)
    assert stored.evidence == [] and stored.status is S.AWAITING_EVIDENCE
    assert timeline[-1].event == "evidence.refused" and "upload again" in timeline[-1].message
    made = evidence.presign_upload(
        stored, EvidenceKind.VIDEO, "video/mp4", len(VIDEO), Uploader.CUSTOMER, "customer"
    )
    _post(made.url, made.fields, VIDEO, "video/mp4")
    retried = _arrived(evidence, bucket, made.key)
    assert retried is not None and retried.recorded


def test_a_locked_version_cannot_be_deleted_without_governance_bypass(bucket: str) -> None:
    s3 = boto3.client("s3")
    key = f"returns/K7Q-4M2-XAC/customer/{uuid.uuid4().hex}"
    version = s3.put_object(Bucket=bucket, Key=key, Body=VIDEO, ContentType="video/mp4")["VersionId"]
    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket=bucket, Key=key, VersionId=version)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert s3.head_object(Bucket=bucket, Key=key, VersionId=version)["ContentLength"] == len(VIDEO)
    s3.delete_object(Bucket=bucket, Key=key, VersionId=version, BypassGovernanceRetention=True)


def test_staff_view_is_short_lived_and_on_the_timeline(
    repo: Repository, evidence: EvidenceService, bucket: str
) -> None:
    ret = new_return(repo, price=18000, reason="not_as_described")
    made = evidence.presign_upload(
        ret, EvidenceKind.VIDEO, "video/mp4", len(VIDEO), Uploader.CUSTOMER, "customer"
    )
    _post(made.url, made.fields, VIDEO, "video/mp4")
    _arrived(evidence, bucket, made.key)
    view = evidence.view_url(ret.rma, made.evidence_id, "staff:carol")
    assert "X-Amz-Expires=300" in view.url
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(view.url) as answer:
        assert answer.read() == VIDEO
    timeline = repo.get_return(ret.rma)[1]
    assert timeline[-1].event == "evidence.viewed" and timeline[-1].actor == "staff:carol"


def test_staff_attach_and_view_through_the_admin_api(
    repo: Repository, staff_api: Any, admin: Any, bucket: str, evidence: EvidenceService
) -> None:
    admin.evidence.buckets = evidence.buckets
    ret = new_return(repo, price=18000, reason="not_as_described")
    status, body = staff_api.call(
        "POST", f"/admin/v1/returns/{ret.rma}/evidence", {"kind": "photo", "content_type": "image/jpeg",
                                                         "size": 2048}, groups="warehouse")  # fmt: skip
    assert status == 201, body
    assert body["upload"]["fields"]["x-amz-meta-uploaded-by"] == "staff:alice"
    assert body["upload"]["fields"]["key"].startswith(f"returns/{ret.rma}/staff/")
    _post(body["upload"]["url"], body["upload"]["fields"], b"\xff\xd8\xff" + b"j" * 2045, "image/jpeg")
    _arrived(evidence, bucket, body["upload"]["fields"]["key"])
    status, listed = staff_api.call("GET", f"/admin/v1/returns/{ret.rma}/evidence", groups="finance")
    assert status == 200 and listed["items"][0]["uploaded_by"] == "staff:alice"
    evidence_id = listed["items"][0]["evidence_id"]
    status, _ = staff_api.call(
        "POST", f"/admin/v1/returns/{ret.rma}/evidence", {"kind": "photo", "content_type": "image/jpeg",
                                                         "size": 10}, groups="support")  # fmt: skip
    assert status == 403
    status, view = staff_api.call(
        "GET", f"/admin/v1/returns/{ret.rma}/evidence/{evidence_id}", groups="support"
    )
    assert status == 200 and view["url"].startswith("http")
    assert repo.get_return(ret.rma)[1][-1].event == "evidence.viewed"


def test_the_storefront_offers_an_upload_for_the_customers_own_return(
    repo: Repository, api: Any, storefront: Any, bucket: str, evidence: EvidenceService
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
    assert _policy(body["upload"]["fields"])["conditions"]
    status, body = api.call(
        "POST", path, {"kind": "video", "content_type": "video/mp4", "size": 900 * 1024 * 1024}
    )
    assert status == 422 and body["error"]["code"] == "evidence_not_acceptable"
    assert {d["field"] for d in body["error"]["details"]} == {"size"}


def test_the_upload_function_records_what_local_s3_events_deliver(
    repo: Repository, bucket: str, evidence: EvidenceService, monkeypatch: pytest.MonkeyPatch
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
    poller = S3EventPoller(
        boto3.client("s3"), [Watch(bucket, ["returns/"], module.handler, "evidence_uploaded")]
    )
    assert poller.poll() >= 1
    assert poller.poll() == 0  # each version once
    stored = repo.get_return(ret.rma)[0]
    assert [e.evidence_id for e in stored.evidence] == [made.evidence_id]
    assert stored.status is S.PENDING_REVIEW


def test_an_eu_return_uploads_to_the_eu_bucket(repo: Repository, evidence: EvidenceService) -> None:
    eu = BucketChoice("boomerang-evidence-eu-central-1-123456789012", "eu-central-1")
    regional = EvidenceService(
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
    assert (made.bucket, made.region) == (eu.bucket, "eu-central-1")
    assert {"bucket": eu.bucket} in _policy(made.fields)["conditions"]
    assert "eu-central-1" in made.fields["x-amz-credential"]
    american = new_return(repo, price=18000, reason="not_as_described")
    assert regional.presign_upload(
        american, EvidenceKind.VIDEO, "video/mp4", 1000, Uploader.CUSTOMER, "customer"
    ).bucket == (evidence.buckets.home.bucket)
