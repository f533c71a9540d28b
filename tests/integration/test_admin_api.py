"""The staff (admin) API through its handler, with the Cognito authorizer's claims in the event, on
DynamoDB Local. Returns are created with the library, as test_workflow_service.py does."""

from __future__ import annotations

import base64
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import pytest

from boomerang.auth.principal import Principal
from boomerang.auth.staff import ADMIN_PERMISSIONS, STAFF_GROUPS
from boomerang.carriers.sandbox import SandboxCarrier
from boomerang.domain import rma as rma_numbers
from boomerang.domain.models import Order, OrderLine, Resolution, Return, Wait
from boomerang.domain.money import Money
from boomerang.domain.policy import RequestedItem, default_policy
from boomerang.domain.providers import Mode, ProviderSettings
from boomerang.domain.status import ReturnStatus as S
from boomerang.payments.sandbox import SandboxPayments
from boomerang.services.returns import ReturnRequest, ReturnsService
from boomerang.services.workflow import ReturnWorkflow
from boomerang.store.providers import ProviderSettingsStore
from boomerang.store.records import Repository
from tests.conftest import StaffApi, staff_claims

NOW = datetime.now(UTC)
US_HUB = "us-nj"


class RecordingEngine:
    """Stands in for Step Functions: records which waiting tasks were resumed."""

    def __init__(self) -> None:
        self.resumed: list[tuple[str, dict[str, Any]]] = []

    def start(self, rma: str) -> None:
        pass

    def resume(self, token: str, output: dict[str, Any]) -> bool:
        self.resumed.append((token, output))
        return True


@pytest.fixture
def engine(admin: ModuleType, monkeypatch: pytest.MonkeyPatch) -> RecordingEngine:
    recording = RecordingEngine()
    monkeypatch.setattr(admin.workflow, "engine", recording)
    return recording


@pytest.fixture
def shop(repo: Repository) -> str:
    """A shop in test mode: its refunds go to the sandbox, explicitly (boomerang.payments.router)."""
    name = f"adm-{uuid.uuid4().hex[:10]}"
    ProviderSettingsStore(repo.table, repo.ddb).put(name, ProviderSettings(mode=Mode.TEST))
    return name


def new_return(
    repo: Repository,
    shop: str,
    *,
    price: int = 4000,
    reason: str = "defective",
    lines: int = 1,
    at: datetime = NOW,
    email: str | None = None,
) -> Return:
    """A return of `lines` lines at `price` each; defective apparel at $40 goes to review."""
    oid = uuid.uuid4().hex[:12]
    order = repo.upsert_order(
        Order(
            shop=shop,
            order_id=oid,
            order_number=f"#{oid}",
            customer_email=email or f"{oid}@customer.example.com",
            customer_country="US",
            currency="USD",
            ordered_at=NOW - timedelta(days=8),
            payment_reference=f"pi_{oid}",
            lines=[
                OrderLine(
                    line_id=f"L{n}",
                    sku=f"SKU-{n}",
                    category="apparel",
                    quantity=1,
                    unit_price=Money(amount=price, currency="USD"),
                    delivered_at=NOW - timedelta(days=5),
                )
                for n in range(1, lines + 1)
            ],
        )
    )
    service = ReturnsService(repo, lambda _: default_policy(), lambda: b"k" * 32)
    request = ReturnRequest(
        order.order_id,
        [RequestedItem(line_id=f"L{n}", quantity=1, reason=reason) for n in range(1, lines + 1)],
        Resolution.REFUND,
        {},
        "en",
    )
    return service.create_return(Principal(shop=shop), request, at)


def on_its_way(admin: ModuleType, repo: Repository, shop: str, **kwargs: Any) -> Return:
    """A return approved (at once, or by staff where the policy wants a person) with its label
    issued: on its way to the US hub."""
    ret = new_return(repo, shop, price=3900, reason="size_too_small", **kwargs)
    if ret.status is not S.APPROVED:
        admin.workflow.approve(ret.rma, "staff:setup")
    # The workflow's label step (the admin function buys no labels): a sandbox label, as for a
    # shop in test mode.
    labels = ReturnWorkflow(
        repo, admin.workflow.policy_for, admin.workflow.engine, SandboxCarrier(), SandboxPayments(),
        admin.workflow.clock,
    )  # fmt: skip
    labels.issue_label(ret.rma)
    return repo.get_return(ret.rma)[0]


def received(admin: ModuleType, staff_api: StaffApi, repo: Repository, shop: str, **kwargs: Any) -> Return:
    ret = on_its_way(admin, repo, shop, **kwargs)
    status, out = staff_api.call("POST", "/admin/v1/warehouse/scans", {"code": ret.rma, "hub": US_HUB})
    assert status == 200, out
    return repo.get_return(ret.rma)[0]


def written(repo: Repository, rma: str) -> tuple[int, int, int]:
    """What a refusal must leave as it was: the version, the timeline and the outbox."""
    ret, timeline = repo.get_return(rma)
    return ret.version, len(timeline), len(repo.outbox_events(rma))


def queue(staff_api: StaffApi, shop: str, status: str, **params: str) -> tuple[int, Any]:
    query = {"shop": [shop], "status": [status], **{k: [v] for k, v in params.items()}}
    return staff_api.call("GET", "/admin/v1/returns", query=query)


def fields(out: dict[str, Any]) -> list[str | None]:
    return [d.get("field") for d in out["error"]["details"]]


# --- queues -------------------------------------------------------------------------------------


def test_queue_is_a_shops_status_oldest_first_and_pages_with_a_cursor(
    staff_api: StaffApi, repo: Repository, shop: str
) -> None:
    waiting = [new_return(repo, shop, at=NOW - timedelta(hours=h)) for h in (1, 3, 2)]
    approved = new_return(repo, shop, price=3900, reason="size_too_small")
    new_return(repo, f"{shop}-other")  # another shop's review: not in this queue
    oldest_first = [r.rma for r in sorted(waiting, key=lambda r: r.created_at)]

    status, first = queue(staff_api, shop, "pending_review", limit="2")
    assert status == 200, first
    assert [r["rma"] for r in first["items"]] == oldest_first[:2]
    assert first["next_cursor"]
    status, second = queue(staff_api, shop, "pending_review", limit="2", cursor=first["next_cursor"])
    assert status == 200, second
    assert [r["rma"] for r in second["items"]] == oldest_first[2:]
    assert second["next_cursor"] is None

    status, all_of_them = queue(staff_api, shop, "pending_review")  # default limit 25
    assert [r["rma"] for r in all_of_them["items"]] == oldest_first
    item = all_of_them["items"][0]
    assert item["shop"] == shop and item["status"] == "pending_review"
    assert item["waiting_for"] is None and item["escalated"] is False
    assert item["timeline"] is None  # a queue lists returns; the timeline comes with GET
    status, approvals = queue(staff_api, shop, "approved")
    assert [r["rma"] for r in approvals["items"]] == [approved.rma]


@pytest.mark.parametrize("group", STAFF_GROUPS)
def test_every_staff_group_reads_queues_and_returns(
    staff_api: StaffApi, repo: Repository, shop: str, group: str
) -> None:
    ret = new_return(repo, shop)
    status, out = queue(staff_api, shop, "pending_review")
    assert status == 200, out
    status, out = staff_api.call("GET", f"/admin/v1/returns/{ret.rma}", groups=group)
    assert status == 200, out


def test_queue_parameters_are_validated(staff_api: StaffApi, shop: str) -> None:
    status, out = staff_api.call("GET", "/admin/v1/returns", query={"status": ["pending_review"]})
    assert status == 422 and out["error"]["code"] == "validation_failed"
    assert any("shop" in (f or "") for f in fields(out)), out
    status, out = staff_api.call("GET", "/admin/v1/returns", query={"shop": [shop]})
    assert status == 422 and any("status" in (f or "") for f in fields(out)), out
    status, out = queue(staff_api, shop, "on_the_moon")
    assert status == 422 and any("status" in (f or "") for f in fields(out)), out
    for limit in ("0", "101", "ten"):
        status, out = queue(staff_api, shop, "pending_review", limit=limit)
        assert status == 422 and any("limit" in (f or "") for f in fields(out)), (limit, out)
    status, out = queue(staff_api, shop, "pending_review", limit="100")
    assert status == 200


def test_a_cursor_that_is_not_this_lists_is_refused(staff_api: StaffApi, repo: Repository, shop: str) -> None:
    for _ in range(2):
        new_return(repo, shop)
    status, page = queue(staff_api, shop, "pending_review", limit="1")
    assert status == 200 and page["next_cursor"]
    forged = base64.urlsafe_b64encode(json.dumps({"pk": {"S": "RETURN#X"}}).encode()).decode()
    for cursor in ("not a cursor!", forged, base64.urlsafe_b64encode(b"[1,2]").decode()):
        status, out = queue(staff_api, shop, "pending_review", cursor=cursor)
        assert status == 400 and out["error"]["code"] == "invalid_cursor", (cursor, out)
    # A real cursor, but of another queue: refused, never a page of that other list.
    for other_shop, other_status in ((f"{shop}-x", "pending_review"), (shop, "approved")):
        status, out = queue(staff_api, other_shop, other_status, cursor=page["next_cursor"])
        assert status == 400 and out["error"]["code"] == "invalid_cursor", out


# --- one return ---------------------------------------------------------------------------------


def test_get_shows_staff_fields_and_no_email_or_token(
    admin: ModuleType, staff_api: StaffApi, repo: Repository, shop: str, engine: RecordingEngine
) -> None:
    email = f"{uuid.uuid4().hex[:8]}@customer.example.com"
    ret = new_return(repo, shop, email=email)
    token = "AQCEAAAAKgAAAAMAAAAAAAAAAUf1sMvCrTjGsecret-task-token"
    admin.workflow.hold(ret.rma, Wait.REVIEW, token)

    status, out = staff_api.call("GET", f"/admin/v1/returns/{ret.rma.replace('-', '').lower()}")
    assert status == 200, out
    assert out["rma"] == ret.rma and out["status"] == "pending_review"
    assert out["waiting_for"] == "review"
    assert out["customer_ref"] == ret.customer_ref
    assert out["shop"] == shop
    assert [e["event"] for e in out["timeline"]] == ["return.requested", "return.pending_review"]
    assert out["label"] is None and out["inspection"] is None and out["refund"] is None
    assert out["failure"] is None and out["escalated"] is False
    text = json.dumps(out)
    assert email not in text and "@" not in text
    assert token not in text and "task_token" not in text
    # Everything the storefront shows is there too.
    for name in ("decision", "items", "hub", "amount", "evidence_required", "version", "created_at"):
        assert name in out


def test_get_shows_label_inspection_refund_and_failure(
    admin: ModuleType, staff_api: StaffApi, repo: Repository, shop: str, engine: RecordingEngine
) -> None:
    ret = received(admin, staff_api, repo, shop)
    status, _ = staff_api.call(
        "POST",
        f"/admin/v1/returns/{ret.rma}/inspection",
        {"items": [{"line_id": "L1", "grade": "needs_repair", "notes": "loose seam"}]},
        groups="warehouse",
        user="wendy",
    )
    assert status == 200
    admin.workflow.resolve(ret.rma)
    admin.workflow.settlement(ret.rma, False, "payments:test", "expired_or_canceled_card")
    admin.workflow.record_failure(ret.rma, "notify", "SesError", "throttled")

    status, out = staff_api.call("GET", f"/admin/v1/returns/{ret.rma}", groups="finance")
    assert status == 200, out
    assert out["status"] == "refund_failed"
    label = out["label"]
    assert set(label) == {"carrier", "tracking_number", "issued_at", "valid_until", "href", "url",
                          "qr_code_url", "customs_papers", "specimen"}  # fmt: skip
    assert label["specimen"] is True and label["href"] == f"/v1/returns/{out['rma']}/label"
    assert label["tracking_number"].startswith("SBX") and label["valid_until"].endswith("Z")
    assert out["received_at_hub"] == US_HUB
    assert out["inspection"]["items"] == [
        {
            "line_id": "L1",
            "grade": "needs_repair",
            "notes": "loose seam",
            "refund": {"amount": "19.50", "currency": "USD"},
        }
    ]
    assert out["inspection"]["inspected_by"] == "staff:wendy"
    assert out["refund"]["status"] == "failed"
    assert out["refund"]["failure_reason"] == "expired_or_canceled_card"
    assert out["refund"]["amount"] == {"amount": "19.50", "currency": "USD"}
    assert out["refund"]["method"] == "refund"
    assert set(out["failure"]) == {"step", "error", "at"}
    assert out["failure"]["step"] == "notify" and out["failure"]["error"] == "SesError"


def test_get_unknown_or_mistyped_rma(staff_api: StaffApi) -> None:
    status, out = staff_api.call("GET", f"/admin/v1/returns/{rma_numbers.generate()}")
    assert status == 404 and out["error"]["code"] == "return_not_found"
    status, out = staff_api.call("GET", "/admin/v1/returns/K7Q-4M2-XAA")
    assert status == 404 and out["error"]["code"] == "invalid_rma"


# --- review -------------------------------------------------------------------------------------


def test_approve_records_the_staff_member_and_resumes_the_workflow(
    admin: ModuleType, staff_api: StaffApi, repo: Repository, shop: str, engine: RecordingEngine
) -> None:
    ret = new_return(repo, shop)
    admin.workflow.hold(ret.rma, Wait.REVIEW, "review-token-1")
    status, out = staff_api.call(
        "POST",
        f"/admin/v1/returns/{ret.rma}/approve",
        {"note": "Photos show the defect"},
        user="carol",
        groups="support",
    )
    assert status == 200, out
    assert out["status"] == "approved" and out["waiting_for"] is None
    assert [i["acceptance"] for i in out["items"]] == ["accepted"]
    last = out["timeline"][-1]
    assert last["actor"] == "staff:carol" and last["event"] == "return.approved"
    assert "Photos show the defect" in last["message"]
    assert "@" not in json.dumps(out["timeline"])
    assert engine.resumed == [("review-token-1", {"rma": ret.rma, "status": "approved"})]
    event = next(e for e in repo.outbox_events(ret.rma) if e["type"] == "return.approved")
    assert event["data"]["decided_by"] == "staff:carol"


@pytest.mark.parametrize("body", [None, {}])
def test_approve_needs_no_body(staff_api: StaffApi, repo: Repository, shop: str, body: Any) -> None:
    ret = new_return(repo, shop)
    status, out = staff_api.call("POST", f"/admin/v1/returns/{ret.rma}/approve", body)
    assert status == 200, out
    assert out["timeline"][-1]["message"] == "Approved by staff."


def test_reject_needs_a_reason_and_records_who_decided(
    staff_api: StaffApi, repo: Repository, shop: str
) -> None:
    ret = new_return(repo, shop)
    before = written(repo, ret.rma)
    path = f"/admin/v1/returns/{ret.rma}/reject"
    for body in (None, {}, {"reason": "  "}, {"reason": "no"}, {"reason": "x" * 501}, {"reason": 42}):
        status, out = staff_api.call("POST", path, body, groups="support")
        assert status == 422, (body, out)
        assert out["error"]["code"] == "validation_failed"
        assert "reason" in fields(out), (body, out)
    status, out = staff_api.call("POST", path, {"reason": "ok", "extra": 1}, groups="support")
    assert status == 422 and "extra" in fields(out)
    assert written(repo, ret.rma) == before

    status, out = staff_api.call(
        "POST", path, {"reason": "  Worn and washed; not defective.  "}, user="dave", groups="support"
    )
    assert status == 200, out
    assert out["status"] == "rejected"
    assert [i["acceptance"] for i in out["items"]] == ["rejected"]
    last = out["timeline"][-1]
    assert last["actor"] == "staff:dave"
    assert last["message"] == "Rejected by staff: Worn and washed; not defective."
    event = next(e for e in repo.outbox_events(ret.rma) if e["type"] == "return.rejected")
    assert event["data"] == {
        "rma": ret.rma,
        "order_id": ret.order_id,
        "status": "rejected",
        "decided_by": "staff:dave",
        "reason": "Worn and washed; not defective.",
    }


def test_two_staff_deciding_at_once_one_wins_the_other_gets_409(
    admin: ModuleType, staff_api: StaffApi, repo: Repository, shop: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ret = new_return(repo, shop)
    stale = repo.get_return(ret.rma)  # bob read the return before alice's approval landed
    status, out = staff_api.call("POST", f"/admin/v1/returns/{ret.rma}/approve", user="alice")
    assert status == 200, out
    after_alice = written(repo, ret.rma)
    monkeypatch.setattr(admin.repo, "get_return", lambda rma: stale)
    status, out = staff_api.call(
        "POST", f"/admin/v1/returns/{ret.rma}/reject", {"reason": "Not defective"}, user="bob"
    )
    monkeypatch.undo()
    assert status == 409, out
    assert out["error"]["code"] == "stale_version"
    assert written(repo, ret.rma) == after_alice
    stored, timeline = repo.get_return(ret.rma)
    assert stored.status is S.APPROVED
    assert [e.actor for e in timeline if e.event in ("return.approved", "return.rejected")] == ["staff:alice"]

    # Deciding again after the decision is an illegal transition, named as such.
    status, out = staff_api.call(
        "POST", f"/admin/v1/returns/{ret.rma}/reject", {"reason": "Not defective"}, user="bob"
    )
    assert status == 409 and out["error"]["code"] == "illegal_transition"
    assert out["error"]["details"] == [{"from": "approved", "to": "rejected"}]
    assert written(repo, ret.rma) == after_alice


# --- who may do what ------------------------------------------------------------------------------


def _requests(rma: str) -> dict[tuple[str, str], tuple[str, Any, dict[str, list[str]] | None]]:
    """A valid request for every admin route: (path, body, query)."""
    return {
        ("GET", "/admin/v1/returns"): ("/admin/v1/returns", None, {"shop": ["x"], "status": ["approved"]}),
        ("GET", "/admin/v1/returns/{rma}"): (f"/admin/v1/returns/{rma}", None, None),
        ("GET", "/admin/v1/reports/{name}"): ("/admin/v1/reports/return_rate", None, {"shop": ["x"]}),
        ("POST", "/admin/v1/returns/{rma}/approve"): (f"/admin/v1/returns/{rma}/approve", {}, None),
        ("POST", "/admin/v1/returns/{rma}/reject"): (
            f"/admin/v1/returns/{rma}/reject",
            {"reason": "Not as described"},
            None,
        ),
        ("POST", "/admin/v1/warehouse/scans"): (
            "/admin/v1/warehouse/scans",
            {"code": rma, "hub": US_HUB},
            None,
        ),
        ("POST", "/admin/v1/returns/{rma}/inspection"): (
            f"/admin/v1/returns/{rma}/inspection",
            {"items": [{"line_id": "L1", "grade": "scrap"}]},
            None,
        ),
        ("POST", "/admin/v1/returns/{rma}/evidence"): (
            f"/admin/v1/returns/{rma}/evidence",
            {"kind": "photo", "content_type": "image/jpeg", "size": 100},
            None,
        ),
        ("GET", "/admin/v1/returns/{rma}/evidence"): (f"/admin/v1/returns/{rma}/evidence", None, None),
        ("GET", "/admin/v1/returns/{rma}/evidence/{evidence_id}"): (
            f"/admin/v1/returns/{rma}/evidence/{'0' * 32}",
            None,
            None,
        ),
        ("GET", "/admin/v1/customers/{email}/export"): (
            "/admin/v1/customers/ada%40example.com/export",
            None,
            {"shop": ["x"]},
        ),
        ("POST", "/admin/v1/customers/{email}/erase"): (
            "/admin/v1/customers/ada%40example.com/erase",
            None,
            {"shop": ["x"]},
        ),
        ("POST", "/admin/v1/returns/{rma}/refund"): (
            f"/admin/v1/returns/{rma}/refund",
            {"method": "store_credit"},
            None,
        ),
        ("GET", "/admin/v1/shops/{shop}/policy"): ("/admin/v1/shops/x/policy", None, None),
        ("PATCH", "/admin/v1/shops/{shop}/policy"): ("/admin/v1/shops/x/policy", {"window_days": 45}, None),
        ("GET", "/admin/v1/shops/{shop}/policy/versions"): ("/admin/v1/shops/x/policy/versions", None, None),
        ("POST", "/admin/v1/shops/{shop}/policy/simulate"): (
            "/admin/v1/shops/x/policy/simulate",
            {"window_days": 10},
            None,
        ),
        ("GET", "/admin/v1/openapi.json"): ("/admin/v1/openapi.json", None, None),
    }


def test_every_route_refuses_groups_that_should_not_have_it_and_anonymous_callers(
    staff_api: StaffApi, repo: Repository, shop: str
) -> None:
    ret = new_return(repo, shop)
    before = written(repo, ret.rma)
    requests = _requests(ret.rma)
    assert set(requests) == set(ADMIN_PERMISSIONS)
    for route, allowed in ADMIN_PERMISSIONS.items():
        path, body, query = requests[route]
        method = route[0]
        for group in STAFF_GROUPS:
            if group in allowed:
                continue
            status, out = staff_api.call(method, path, body, groups=group, query=query)
            assert status == 403, (route, group, out)
            assert out["error"]["code"] == "forbidden_group"
            assert all(name in out["error"]["message"] for name in allowed), out
            assert out["error"]["details"] == [{"allowed_groups": [g for g in STAFF_GROUPS if g in allowed]}]
        for groups in (None, "", "[]", "customers", "[guests]"):
            status, out = staff_api.call(method, path, body, groups=groups, query=query)
            assert status == 403 and out["error"]["code"] == "forbidden_group", (route, groups, out)
        status, out = staff_api.call(method, path, body, anonymous=True, query=query)
        assert status == 401 and out["error"]["code"] == "unauthenticated", (route, out)
        assert out["error"]["request_id"]
        status, out = staff_api.call(method, path, body, claims={"aud": "x"}, query=query)
        assert status == 401 and out["error"]["code"] == "unauthenticated", (route, out)
    assert written(repo, ret.rma) == before
    assert repo.get_return(ret.rma)[0].status is S.PENDING_REVIEW


def test_refusals_come_before_body_validation(staff_api: StaffApi, repo: Repository, shop: str) -> None:
    ret = new_return(repo, shop)
    path = f"/admin/v1/returns/{ret.rma}/reject"
    status, out = staff_api.call("POST", path, raw_body="{not json", anonymous=True)
    assert status == 401, out
    status, out = staff_api.call("POST", path, {}, groups="warehouse")
    assert status == 403, out
    status, out = staff_api.call("POST", path, {"reason": "x" * 70_000}, groups="support")
    assert status == 413 and out["error"]["code"] == "payload_too_large", out
    assert repo.get_return(ret.rma)[0].status is S.PENDING_REVIEW


@pytest.mark.parametrize(
    "groups", ["support,warehouse", "[support warehouse]", "[finance, support]", '["support"]', ["support"]]
)
def test_groups_as_api_gateway_passes_them(
    staff_api: StaffApi, repo: Repository, shop: str, groups: Any
) -> None:
    ret = new_return(repo, shop)
    status, out = staff_api.call("POST", f"/admin/v1/returns/{ret.rma}/approve", groups=groups)
    assert status == 200, out


def test_the_actor_is_never_an_email(staff_api: StaffApi, repo: Repository, shop: str) -> None:
    ret = new_return(repo, shop)
    # A pool whose usernames are emails: the sub is recorded instead.
    claims = staff_claims(None, "support", **{"cognito:username": "erin@staff.example.com"})
    claims["sub"] = "9d0c1f6a-1111-2222-3333-444455556666"
    status, out = staff_api.call("POST", f"/admin/v1/returns/{ret.rma}/approve", claims=claims)
    assert status == 200, out
    assert out["timeline"][-1]["actor"] == "staff:9d0c1f6a-1111-2222-3333-444455556666"


def test_unknown_admin_route(staff_api: StaffApi) -> None:
    status, out = staff_api.call("GET", "/admin/v1/nothing-here")
    assert status == 404 and out["error"]["code"] == "route_not_found"


# --- warehouse ------------------------------------------------------------------------------------


def test_scan_receives_a_parcel_scanned_any_way(
    admin: ModuleType, staff_api: StaffApi, repo: Repository, shop: str
) -> None:
    ret = on_its_way(admin, repo, shop)
    scanned = ret.rma.replace("-", "").lower()
    status, out = staff_api.call(
        "POST", "/admin/v1/warehouse/scans", {"code": scanned, "hub": US_HUB}, user="wes", groups="warehouse"
    )
    assert status == 200, out
    assert out["rma"] == ret.rma and out["status"] == "received"
    assert out["received_at_hub"] == US_HUB
    assert [i["reception"] for i in out["items"]] == ["received"]
    assert [(e["event"], e["actor"]) for e in out["timeline"][-2:]] == [
        ("return.delivered", "staff:wes"),
        ("return.received", "staff:wes"),
    ]
    # The same parcel scanned again: it is no longer on its way.
    before = written(repo, ret.rma)
    status, out = staff_api.call("POST", "/admin/v1/warehouse/scans", {"code": ret.rma, "hub": US_HUB})
    assert status == 409 and out["error"]["code"] == "illegal_transition", out
    assert written(repo, ret.rma) == before


def test_scan_refusals_write_nothing(
    admin: ModuleType, staff_api: StaffApi, repo: Repository, shop: str
) -> None:
    ret = on_its_way(admin, repo, shop)
    pending = new_return(repo, shop)
    before = {r.rma: written(repo, r.rma) for r in (ret, pending)}
    typo = ret.rma[:-1] + ("2" if ret.rma[-1] != "2" else "3")

    def scan(code: str, hub: str = US_HUB) -> tuple[int, Any]:
        return staff_api.call(
            "POST", "/admin/v1/warehouse/scans", {"code": code, "hub": hub}, groups="warehouse"
        )

    status, out = scan(typo)
    assert status == 422 and out["error"]["code"] == "invalid_rma", out
    assert fields(out) == ["code"]
    status, out = scan("not-an-rma")
    assert status == 422 and out["error"]["code"] == "invalid_rma", out
    status, out = scan(rma_numbers.generate())
    assert status == 404 and out["error"]["code"] == "return_not_found", out
    status, out = scan(ret.rma, "eu-pl-gls")
    assert status == 409 and out["error"]["code"] == "wrong_hub", out
    assert out["error"]["details"] == [{"expected_hub": US_HUB, "scanned_at": "eu-pl-gls"}]
    status, out = scan(pending.rma)  # still waiting for review: not on its way
    assert status == 409 and out["error"]["code"] == "illegal_transition", out
    for body in (
        None,
        {},
        {"code": ret.rma},
        {"hub": US_HUB},
        {"code": "", "hub": US_HUB},
        {"code": ret.rma, "hub": "!"},
    ):
        status, out = staff_api.call("POST", "/admin/v1/warehouse/scans", body)
        assert status == 422 and out["error"]["code"] == "validation_failed", (body, out)
        missing = {"code", "hub"} - set(body or {})
        assert missing <= set(fields(out)), (body, out)
    status, out = staff_api.call("POST", "/admin/v1/warehouse/scans", raw_body="{oops")
    assert status == 400 and out["error"]["code"] == "malformed_json"
    assert {r.rma: written(repo, r.rma) for r in (ret, pending)} == before


def test_inspection_scrap_refunds_nothing(
    admin: ModuleType, staff_api: StaffApi, repo: Repository, shop: str
) -> None:
    ret = received(admin, staff_api, repo, shop)
    status, out = staff_api.call(
        "POST",
        f"/admin/v1/returns/{ret.rma}/inspection",
        {"items": [{"line_id": "L1", "grade": "scrap", "notes": "Soaked in paint"}]},
        user="wes",
        groups="warehouse",
    )
    assert status == 200, out
    assert out["status"] == "inspected"
    assert out["inspection"]["refund_total"] == {"amount": "0.00", "currency": "USD"}
    assert out["inspection"]["items"][0]["grade"] == "scrap"
    assert out["timeline"][-1]["actor"] == "staff:wes"
    event = next(e for e in repo.outbox_events(ret.rma) if e["type"] == "return.inspected")
    assert event["data"]["items"][0]["disposition"] == "scrap"
    assert event["data"]["refund"] == 0


def test_inspection_takes_shopify_dispositions(
    admin: ModuleType, staff_api: StaffApi, repo: Repository, shop: str
) -> None:
    ret = received(admin, staff_api, repo, shop, lines=3)
    status, out = staff_api.call(
        "POST",
        f"/admin/v1/returns/{ret.rma}/inspection",
        {
            "items": [
                {"line_id": "L1", "grade": "restocked"},
                {"line_id": "L2", "grade": "processing_required"},
                {"line_id": "L3", "grade": "not_restocked"},
            ]
        },
    )
    assert status == 200, out
    graded = {i["line_id"]: (i["grade"], i["refund"]["amount"]) for i in out["inspection"]["items"]}
    assert graded == {"L1": ("resellable", "39.00"), "L2": ("needs_repair", "19.50"), "L3": ("scrap", "0.00")}
    assert out["inspection"]["refund_total"] == {"amount": "58.50", "currency": "USD"}


def test_inspection_bad_bodies_name_their_fields_and_write_nothing(
    admin: ModuleType, staff_api: StaffApi, repo: Repository, shop: str
) -> None:
    ret = received(admin, staff_api, repo, shop, lines=2)
    before = written(repo, ret.rma)
    path = f"/admin/v1/returns/{ret.rma}/inspection"
    cases: list[tuple[Any, str]] = [
        (None, "items"),
        ({}, "items"),
        ({"items": []}, "items"),
        (
            {"items": [{"line_id": "L1", "grade": "shiny"}, {"line_id": "L2", "grade": "scrap"}]},
            "items[0].grade",
        ),
        ({"items": [{"grade": "scrap"}, {"line_id": "L2", "grade": "scrap"}]}, "items[0].line_id"),
        ({"items": [{"line_id": "L1", "grade": "scrap", "notes": "x" * 2001}]}, "items[0].notes"),
        ({"items": [{"line_id": "L1", "grade": "scrap", "colour": "red"}]}, "items[0].colour"),
    ]
    for body, field in cases:
        status, out = staff_api.call("POST", path, body)
        assert status == 422 and out["error"]["code"] == "validation_failed", (body, out)
        if field:
            assert field in fields(out), (body, out)
    # Well formed, but not every item graded once: the library refuses it.
    for items in (
        [{"line_id": "L1", "grade": "scrap"}],
        [{"line_id": "L1", "grade": "scrap"}] * 2 + [{"line_id": "L2", "grade": "scrap"}],
    ):
        status, out = staff_api.call("POST", path, {"items": items})
        assert status == 422 and out["error"]["code"] == "inspection_incomplete", out
    assert written(repo, ret.rma) == before

    not_yet = on_its_way(admin, repo, shop)
    status, out = staff_api.call(
        "POST",
        f"/admin/v1/returns/{not_yet.rma}/inspection",
        {"items": [{"line_id": "L1", "grade": "scrap"}]},
    )
    assert status == 409 and out["error"]["code"] == "illegal_transition", out


# --- logs -----------------------------------------------------------------------------------------


def test_logs_are_keyed_by_rma_and_carry_no_email_or_token(
    admin: ModuleType, staff_api: StaffApi, repo: Repository, shop: str, engine: RecordingEngine
) -> None:
    ret = new_return(repo, shop)
    admin.workflow.hold(ret.rma, Wait.REVIEW, "log-secret-task-token")
    out = io.StringIO()
    handler = admin.logger.registered_handler
    level = admin.logger.log_level
    stream = handler.setStream(out)
    admin.logger.setLevel("INFO")
    try:
        claims = staff_claims("carol", "support")
        status, _ = staff_api.call("POST", f"/admin/v1/returns/{ret.rma}/approve", claims=claims)
        assert status == 200
        status, _ = staff_api.call("POST", f"/admin/v1/returns/{ret.rma}/approve", claims=claims)
        assert status == 409
        status, _ = staff_api.call("POST", f"/admin/v1/returns/{ret.rma}/approve", groups="warehouse")
        assert status == 403
    finally:
        admin.logger.setLevel(level)
        handler.setStream(stream)
    logged = out.getvalue()
    records = [json.loads(line) for line in logged.splitlines()]
    assert [r["message"] for r in records] == ["approved", "refused", "refused"]
    assert [r.get("rma") for r in records] == [ret.rma, ret.rma, None]
    assert [r["actor"] for r in records[:2]] == ["staff:carol", "staff:carol"]
    assert [r["code"] for r in records[1:]] == ["illegal_transition", "forbidden_group"]
    assert "@" not in logged and "log-secret-task-token" not in logged
    assert claims["email"] not in logged
