"""Return labels end to end on DynamoDB Local and moto's S3: the label step renders the PDF into
the label bucket, `GET /v1/returns/{rma}/label` hands out a short-lived presigned URL, and the
file behind it is a PDF whose barcode reads back as the RMA."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import boto3
import pytest
import requests

from boomerang.carriers.label_pdf import BAR_HEIGHT
from boomerang.carriers.labels import LabelStore
from boomerang.carriers.sandbox import SandboxCarrier
from boomerang.domain.policy import default_policy
from boomerang.payments.sandbox import SandboxPayments
from boomerang.services.workflow import ReturnWorkflow
from boomerang.store.records import Repository
from local.buckets import bucket_name, create_buckets
from local.from_template import resolve
from tests.conftest import Api
from tests.unit.code128_reader import read_barcode


class NoEngine:
    def start(self, rma: str) -> None:
        pass

    def resume(self, token: str, output: dict[str, Any]) -> bool:
        return True


@pytest.fixture(scope="module")
def bucket(local_aws: Any) -> str:
    name = f"labels-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=name)
    return name


@pytest.fixture
def labelled_api(api: Api, storefront: ModuleType, bucket: str, monkeypatch: pytest.MonkeyPatch) -> Api:
    monkeypatch.setattr(storefront, "labels", LabelStore(bucket))
    return api


def _order(api: Api, country: str = "US", category: str = "apparel") -> dict[str, Any]:
    now = datetime.now(UTC)
    oid = f"lbl-{uuid.uuid4().hex[:10]}"
    currency = "USD" if country == "US" else "EUR"
    order = {
        "order_id": oid,
        "order_number": f"#{oid}",
        "customer": {"email": f"{oid}@example.com", "country": country},
        "currency": currency,
        "ordered_at": (now - timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "lines": [
            {
                "line_id": f"{oid}-1",
                "sku": "TEE-1",
                "category": category,
                "quantity": 1,
                "unit_price": {"amount": "39.00", "currency": currency},
                "delivered_at": (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        ],
    }
    status, _ = api.call("POST", "/v1/orders", order)
    assert status in (200, 201)
    return order


def _return(api: Api, order: dict[str, Any]) -> dict[str, Any]:
    body = {
        "order_id": order["order_id"],
        "items": [{"line_id": order["lines"][0]["line_id"], "quantity": 1, "reason": "size_too_small"}],
        "resolution": "refund",
    }
    status, created = api.call("POST", "/v1/returns", body, headers={"Idempotency-Key": order["order_id"]})
    assert status == 201, created
    return created


def _issue(repo: Repository, bucket: str, rma: str) -> None:
    workflow = ReturnWorkflow(
        repo,
        lambda _: default_policy(),
        NoEngine(),
        SandboxCarrier(LabelStore(bucket)),
        SandboxPayments(),
        lambda: datetime.now(UTC),
    )
    workflow.issue_label(rma)


@pytest.mark.parametrize(
    ("country", "hub_id", "cost"), [("US", "us-nj", "5.99"), ("DE", "eu-pl-gls", "4.20")]
)
def test_label_link_serves_a_pdf_whose_barcode_is_the_rma(
    labelled_api: Api, repo: Repository, bucket: str, country: str, hub_id: str, cost: str
) -> None:
    created = _return(labelled_api, _order(labelled_api, country))
    rma = created["rma"]
    assert created["hub"]["hub_id"] == hub_id

    status, out = labelled_api.call("GET", f"/v1/returns/{rma}/label")
    assert (status, out["error"]["code"]) == (404, "label_not_issued")

    _issue(repo, bucket, rma)
    status, out = labelled_api.call("GET", f"/v1/returns/{rma}/label")
    assert status == 200, out
    assert out["rma"] == rma
    assert out["hub"]["hub_id"] == hub_id
    assert out["cost"]["amount"] == cost
    assert out["tracking_number"].startswith("SBX")
    expires = datetime.fromisoformat(out["url_expires_at"].replace("Z", "+00:00"))
    assert timedelta(0) < expires - datetime.now(UTC) <= timedelta(seconds=300)
    assert "X-Amz-Expires=300" in out["url"]

    fetched = requests.get(out["url"], timeout=10)
    assert fetched.status_code == 200
    assert fetched.headers["Content-Type"] == "application/pdf"
    assert read_barcode(fetched.content, BAR_HEIGHT) == rma

    # The tracking number now finds the return (the carrier webhooks' index).
    from boomerang.store.tracking import rma_for_tracking

    assert rma_for_tracking(repo, out["tracking_number"]) == rma


def test_another_shops_key_sees_no_label(labelled_api: Api, repo: Repository, bucket: str) -> None:
    created = _return(labelled_api, _order(labelled_api))
    _issue(repo, bucket, created["rma"])
    status, out = labelled_api.call(
        "GET", f"/v1/returns/{created['rma']}/label", api_key="bk_other_local_only_key_000000000000"
    )
    assert (status, out["error"]["code"]) == (404, "return_not_found")


def test_the_bucket_is_private(labelled_api: Api, repo: Repository, bucket: str) -> None:
    created = _return(labelled_api, _order(labelled_api))
    _issue(repo, bucket, created["rma"])
    _, out = labelled_api.call("GET", f"/v1/returns/{created['rma']}/label")
    unsigned = out["url"].split("?")[0]
    assert requests.get(unsigned, timeout=10).status_code == 403


def test_buckets_come_from_the_template_with_versioning_and_object_lock(local_aws: Any) -> None:
    # On the session's moto server (an in-process mock_aws would reset the server's state too).
    run = uuid.uuid4().hex[:8]
    labels, evidence, named = f"LabelsBucket{run}", f"EvidenceBucket{run}", f"Named{run}"
    template = {
        "Resources": {
            labels: {"Type": "AWS::S3::Bucket", "Properties": {}},
            evidence: {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "ObjectLockEnabled": True,
                    "ObjectLockConfiguration": {
                        "ObjectLockEnabled": "Enabled",
                        "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 180}},
                    },
                },
            },
            named: {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": f"my-named-bucket-{run}"}},
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {}},
        }
    }
    physical: dict[str, str] = {}
    s3 = boto3.client("s3")
    create_buckets(template, physical, s3)
    assert set(physical) == {labels, evidence, named}
    assert physical[named] == f"my-named-bucket-{run}"
    name = physical[evidence]
    assert name == bucket_name(evidence, template["Resources"][evidence])
    assert name.startswith(f"boomerang-evidencebucket{run}-") and len(name) <= 63
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    lock = s3.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"]
    retention = lock["Rule"]["DefaultRetention"]
    assert (retention["Mode"], retention["Days"]) == ("GOVERNANCE", 180)
    assert "Status" not in s3.get_bucket_versioning(Bucket=physical[labels])
    assert resolve(template, {"Ref": labels}, physical) == physical[labels]
    assert (
        resolve(template, {"Fn::GetAtt": [named, "Arn"]}, physical) == f"arn:aws:s3:::my-named-bucket-{run}"
    )
