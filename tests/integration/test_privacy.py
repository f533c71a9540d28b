"""A customer's data rights on DynamoDB Local and moto: export holds every record of the person and
nobody else's; erasure removes personal data from every record type while refunds and locked
evidence remain (reported with legal basis and deletion date); and the staff routes."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from boomerang.auth.principal import Principal
from boomerang.carriers.sandbox import SandboxCarrier
from boomerang.domain.evidence import BucketChoice, EvidenceBuckets, EvidenceKind, Uploader
from boomerang.domain.models import Address, Grade, Order, OrderLine, Resolution, Return
from boomerang.domain.money import Money
from boomerang.domain.policy import RequestedItem, default_policy
from boomerang.domain.status import ReturnStatus as S
from boomerang.payments.sandbox import SandboxPayments
from boomerang.services.customers import customer_ref
from boomerang.services.evidence import S3Clients
from boomerang.services.evidence.check import EvidenceChecker
from boomerang.services.privacy import ERASED_EMAIL, PrivacyService, Subject, standard_holders
from boomerang.services.returns import ReturnRequest, ReturnsService
from boomerang.services.workflow import Grading, ReturnWorkflow
from boomerang.store import keys
from boomerang.store.dynamo import to_item
from boomerang.store.records import Repository
from tests.integration.test_evidence import VIDEO, _post
from tests.integration.test_workflow_service import RecordingEngine

NOW = datetime.now(UTC)
SHOP = "privacy"


def _order(repo: Repository, email: str, price: int, payment: str | None = None) -> Order:
    oid = uuid.uuid4().hex[:12]
    return repo.upsert_order(
        Order(
            shop=SHOP,
            order_id=oid,
            order_number=f"#{oid}",
            customer_email=email,
            customer_country="US",
            currency="USD",
            ordered_at=NOW - timedelta(days=3),
            payment_reference=payment,
            lines=[
                OrderLine(
                    line_id="L1",
                    sku="S1",
                    category="apparel",
                    quantity=1,
                    unit_price=Money(amount=price, currency="USD"),
                    delivered_at=NOW - timedelta(days=1),
                )
            ],
        )
    )


def _return(repo: Repository, order: Order, reason: str, note: str | None = None) -> Return:
    service = ReturnsService(repo, lambda shop: default_policy(), lambda: b"k" * 32)
    request = ReturnRequest(
        order.order_id,
        [RequestedItem(line_id="L1", quantity=1, reason=reason)],
        Resolution.REFUND,
        {"L1": note} if note else {},
        "en",
    )
    return service.create_return(Principal(shop=SHOP), request, NOW)


@pytest.fixture(scope="module")
def people(repo: Repository, local_aws: Any) -> dict[str, Any]:
    """Ada: a refunded return, a return with an unboxing video, an order never returned.
    Bob: an order and a return in the same shop."""
    suffix = uuid.uuid4().hex[:6]
    ada, bob = f"ada.{suffix}@example.com", f"bob.{suffix}@example.com"
    clock = lambda: datetime.now(UTC)  # noqa: E731
    engine = RecordingEngine()
    flow = ReturnWorkflow(
        repo, lambda s: default_policy(), engine, SandboxCarrier(), SandboxPayments(), clock
    )

    paid_order = _order(repo, ada, 2000, payment="pi_ada_1")
    refunded = _return(repo, paid_order, "size_too_small", note="Ada Lovelace, 12 St James's Sq: too small")
    assert refunded.status is S.APPROVED
    flow.issue_label(refunded.rma)
    flow.carrier_update(refunded.rma, S.DELIVERED, "carrier")
    flow.scan(refunded.rma, refunded.hub.hub_id, "staff:w")
    flow.inspect(refunded.rma, [Grading("L1", Grade.RESELLABLE)], "staff:w")
    flow.resolve(refunded.rma)
    flow.settlement(refunded.rma, True, "payments")

    video_order = _order(repo, ada, 18000)
    with_video = _return(repo, video_order, "not_as_described")
    bucket = f"evidence-{uuid.uuid4().hex[:10]}"
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(
        Bucket=bucket,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 180}},
        },
    )
    # Uploads land in a quarantine bucket (no lock) and are locked in the evidence bucket once checked.
    quarantine = f"quarantine-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=quarantine)
    s3.put_bucket_versioning(Bucket=quarantine, VersioningConfiguration={"Status": "Enabled"})
    evidence = EvidenceChecker(
        repo,
        lambda s: default_policy(),
        EvidenceBuckets(BucketChoice(bucket, "us-east-1", quarantine), {}),
        S3Clients(),
        clock,
        flow,
    )
    made = evidence.presign_upload(
        with_video, EvidenceKind.VIDEO, "video/mp4", len(VIDEO), Uploader.CUSTOMER, "customer"
    )
    _post(made.url, made.fields, VIDEO, "video/mp4")
    evidence.record_upload(quarantine, made.key, s3.head_object(Bucket=quarantine, Key=made.key)["VersionId"])
    [recorded] = repo.get_return(with_video.rma)[0].evidence

    never_returned = _order(repo, ada, 5000)
    bob_order = _order(repo, bob, 3000, payment="pi_bob_1")
    bob_return = _return(repo, bob_order, "size_too_large")
    return {
        "ada": ada,
        "bob": bob,
        "ada_orders": {paid_order.order_id, video_order.order_id, never_returned.order_id},
        "ada_returns": {refunded.rma, with_video.rma},
        "refunded": refunded.rma,
        "with_video": with_video.rma,
        "evidence_key": recorded.key,
        "bucket": bucket,
        "bob_order": bob_order.order_id,
        "bob_return": bob_return.rma,
    }


def test_export_holds_every_record_of_the_person_and_nobody_elses(
    repo: Repository, people: dict[str, Any]
) -> None:
    privacy = PrivacyService(standard_holders(repo))
    exported = privacy.export(Subject(SHOP, people["ada"].upper()))  # emails match case-insensitively
    records = exported["records"]
    assert {o["order_id"] for o in records["orders"]} == people["ada_orders"]
    assert {r["rma"] for r in records["returns"]} == people["ada_returns"]
    assert all(r["timeline"] for r in records["returns"])
    assert records["customer"][0]["customer_ref"] == customer_ref(SHOP, people["ada"])
    [video] = records["evidence"]
    assert video["rma"] == people["with_video"] and video["kind"] == "video"
    assert "17(3)(e)" in video["legal_basis"] and video["deleted_on"] > NOW.date().isoformat()
    text = json.dumps(exported)
    assert people["bob"] not in text
    assert people["bob_order"] not in text and people["bob_return"] not in text
    assert "task_token" not in text
    assert (
        "flag" in exported["automated_decisions"] and "no rule ever blocks" in exported["automated_decisions"]
    )


def test_erase_removes_personal_data_and_keeps_refunds_and_locked_evidence(
    repo: Repository, people: dict[str, Any]
) -> None:
    privacy = PrivacyService(standard_holders(repo))
    ada_ref = customer_ref(SHOP, people["ada"])
    report = privacy.erase(Subject(SHOP, people["ada"]))
    records = report["records"]
    assert set(records["orders"]["anonymized"]) == people["ada_orders"]
    assert set(records["returns"]["anonymized"]) == people["ada_returns"]
    assert records["customer"]["deleted"] == [ada_ref]
    [kept_video] = records["evidence"]["kept"]
    assert kept_video["rma"] == people["with_video"] and "legal claims" in kept_video["reason"]
    assert kept_video["retain_until"][:10] == (NOW + timedelta(days=180)).date().isoformat()
    assert kept_video["deleted_on"] == (NOW + timedelta(days=211)).date().isoformat()

    # Orders: no email, no link to the person; the financial record stays.
    for order_id in people["ada_orders"]:
        order = repo.get_order(SHOP, order_id)
        assert order.customer_email == ERASED_EMAIL
    paid = next(o for o in people["ada_orders"] if repo.get_order(SHOP, o).payment_reference)
    assert repo.get_order(SHOP, paid).payment_reference == "pi_ada_1"
    # Returns: a new random reference, no free-text note; refund and timeline stay.
    refunded, timeline = repo.get_return(people["refunded"])
    assert refunded.customer_ref != ada_ref and refunded.customer_ref.startswith("erased-")
    assert all(item.note is None for item in refunded.items)
    assert (
        refunded.status is S.REFUNDED
        and refunded.refund is not None
        and refunded.refund.status == "succeeded"
    )
    assert timeline[-1].event == "customer.erased"
    assert "Lovelace" not in json.dumps([e.model_dump(mode="json") for e in timeline])
    # The customer record is gone; the locked video is still there, and still on its return.
    assert repo.get_customer(SHOP, ada_ref).version == 0
    with_video = repo.get_return(people["with_video"])[0]
    assert len(with_video.evidence) == 1
    s3 = boto3.client("s3")
    assert s3.head_object(Bucket=people["bucket"], Key=people["evidence_key"])["ContentLength"] == len(VIDEO)
    # Nothing of the person is found any more; the other customer is untouched.
    after = privacy.export(Subject(SHOP, people["ada"]))["records"]
    assert all(found == [] for found in after.values())
    bob_order = repo.get_order(SHOP, people["bob_order"])
    assert bob_order.customer_email == people["bob"]
    assert repo.get_return(people["bob_return"])[0].customer_ref == customer_ref(SHOP, people["bob"])
    # No block: the erased person orders and returns again like anyone else.
    again = _return(repo, _order(repo, people["ada"], 2000), "size_too_small")
    assert again.status is S.APPROVED


def test_shipping_addresses_are_exported_and_erased(repo: Repository) -> None:
    """The order's shipping address and the return's corrected pickup address (issue 14) are the
    person's: both in the export, both gone after erasure."""
    email = f"cleo.{uuid.uuid4().hex[:6]}@example.com"
    home = Address(
        name="Cleo Example", line1="1 Harbour Road", city="Dublin", postal_code="D02", country="IE"
    )
    moved = Address(
        name="Cleo Example", line1="9 Quay Street", city="Galway", postal_code="H91", country="IE"
    )
    order = repo.upsert_order(_order(repo, email, 2000).model_copy(update={"shipping_address": home}))
    service = ReturnsService(repo, lambda shop: default_policy(), lambda: b"k" * 32)
    request = ReturnRequest(
        order.order_id, [RequestedItem(line_id="L1", quantity=1, reason="size_too_small")], Resolution.REFUND,
        {}, "en", ship_from=moved,
    )  # fmt: skip
    ret = service.create_return(Principal(shop=SHOP), request, NOW)
    privacy = PrivacyService(standard_holders(repo))
    exported = json.dumps(privacy.export(Subject(SHOP, email)))
    assert "1 Harbour Road" in exported and "9 Quay Street" in exported

    privacy.erase(Subject(SHOP, email))
    assert repo.get_order(SHOP, order.order_id).shipping_address is None
    assert repo.get_return(ret.rma)[0].ship_from is None
    stored = json.dumps(
        repo.ddb.get_item(TableName=repo.table, Key=to_item(keys.order(SHOP, order.order_id)))
    )
    assert "Harbour" not in stored and "Cleo" not in stored


def test_a_new_holder_plugs_into_export_and_erasure(repo: Repository) -> None:
    seen: list[str] = []

    class Tickets:
        name = "loyalty_points"

        def export(self, subject: Subject) -> list[dict[str, Any]]:
            return [{"ticket_id": "T1", "email": subject.email}]

        def erase(self, subject: Subject, at: datetime) -> Any:
            from boomerang.services.privacy import Erasure

            seen.append(subject.customer_ref)
            return Erasure(anonymized=["T1"])

    privacy = PrivacyService(standard_holders(repo))
    privacy.register(Tickets())
    subject = Subject(SHOP, f"nobody.{uuid.uuid4().hex[:6]}@example.com")
    assert privacy.export(subject)["records"]["loyalty_points"] == [
        {"ticket_id": "T1", "email": subject.email}
    ]
    assert privacy.erase(subject)["records"]["loyalty_points"]["anonymized"] == ["T1"]
    assert seen == [subject.customer_ref]


def test_staff_routes_export_and_erase(repo: Repository, staff_api: Any) -> None:
    email = f"carla.{uuid.uuid4().hex[:6]}@example.com"
    order = _order(repo, email, 2500)
    quoted = email.replace("@", "%40")
    query = {"shop": [SHOP]}
    status, body = staff_api.call(
        "GET", f"/admin/v1/customers/{quoted}/export", groups="support", query=query
    )
    assert status == 200, body
    assert [o["order_id"] for o in body["records"]["orders"]] == [order.order_id]
    status, body = staff_api.call(
        "POST", f"/admin/v1/customers/{quoted}/erase", groups="support", query=query
    )
    assert status == 403 and body["error"]["code"] == "forbidden_group"
    assert repo.get_order(SHOP, order.order_id).customer_email == email
    status, body = staff_api.call("POST", f"/admin/v1/customers/{quoted}/erase", groups="admin", query=query)
    assert status == 200, body
    assert body["records"]["orders"]["anonymized"] == [order.order_id]
    assert repo.get_order(SHOP, order.order_id).customer_email == ERASED_EMAIL
    status, body = staff_api.call("GET", f"/admin/v1/customers/{quoted}/export", groups="admin")
    assert status == 422  # the shop is required
