"""The workflow's steps and news on DynamoDB Local, with a recording engine in place of Step Functions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from boomerang.auth.principal import Principal
from boomerang.carriers.sandbox import SandboxCarrier
from boomerang.domain.errors import Conflict, IllegalTransition, NotFound, StaleVersion, Unprocessable
from boomerang.domain.models import Grade, Order, OrderLine, Resolution, Wait
from boomerang.domain.money import Money
from boomerang.domain.policy import RequestedItem, default_policy
from boomerang.domain.status import ReturnStatus as S
from boomerang.payments.sandbox import SandboxPayments
from boomerang.services.returns import ReturnRequest, ReturnsService
from boomerang.services.workflow import Grading, ReturnWorkflow
from boomerang.store.records import Repository

NOW = datetime.now(UTC)


class RecordingEngine:
    def __init__(self) -> None:
        self.resumed: list[tuple[str, dict[str, Any]]] = []
        self.used: set[str] = set()

    def start(self, rma: str) -> None:
        pass

    def resume(self, token: str, output: dict[str, Any]) -> bool:
        if token in self.used:
            return False
        self.used.add(token)
        self.resumed.append((token, output))
        return True


@pytest.fixture
def engine() -> RecordingEngine:
    return RecordingEngine()


@pytest.fixture
def flow(repo: Repository, engine: RecordingEngine) -> ReturnWorkflow:
    return ReturnWorkflow(
        repo,
        lambda shop: default_policy(),
        engine,
        SandboxCarrier(),
        SandboxPayments(),
        lambda: datetime.now(UTC),
    )


def new_return(
    repo: Repository,
    *,
    price: int = 2000,
    category: str = "apparel",
    reason: str = "size_too_small",
    resolution: Resolution = Resolution.REFUND,
    country: str = "US",
) -> Any:
    oid = uuid.uuid4().hex[:12]
    order = repo.upsert_order(
        Order(
            shop="wf",
            order_id=oid,
            order_number=f"#{oid}",
            customer_email=f"{oid}@example.com",
            customer_country=country,
            currency="USD",
            ordered_at=NOW - timedelta(days=3),
            lines=[
                OrderLine(
                    line_id="L1",
                    sku="S1",
                    category=category,
                    quantity=1,
                    unit_price=Money(amount=price, currency="USD"),
                    delivered_at=NOW - timedelta(days=1),
                )
            ],
        )
    )
    service = ReturnsService(repo, lambda shop: default_policy(), lambda: b"k" * 32)
    request = ReturnRequest(
        order.order_id, [RequestedItem(line_id="L1", quantity=1, reason=reason)], resolution, {}, "en"
    )
    return service.create_return(Principal(shop="wf"), request, NOW)


def test_review_approved_resumes_the_waiting_task(
    repo: Repository, flow: ReturnWorkflow, engine: RecordingEngine
) -> None:
    ret = new_return(repo, price=4000, reason="defective")
    assert ret.status is S.PENDING_REVIEW
    flow.hold(ret.rma, Wait.REVIEW, "token-review-1")
    stored = repo.get_return(ret.rma)[0]
    assert stored.waiting_for is Wait.REVIEW
    approved = flow.approve(ret.rma, "staff:alice")
    assert approved.status is S.APPROVED and approved.task_token is None
    assert engine.resumed == [("token-review-1", {"rma": ret.rma, "status": "approved"})]
    timeline = repo.get_return(ret.rma)[1]
    assert timeline[-1].actor == "staff:alice"


def test_news_before_the_wait_resumes_at_once(
    repo: Repository, flow: ReturnWorkflow, engine: RecordingEngine
) -> None:
    ret = new_return(repo, price=4000, reason="defective")
    flow.reject(ret.rma, "staff:bob", "Worn, not defective")
    flow.hold(ret.rma, Wait.REVIEW, "late-token")
    assert engine.resumed == [("late-token", {"rma": ret.rma, "status": "rejected"})]


def test_two_staff_deciding_at_once_one_wins(
    repo: Repository, flow: ReturnWorkflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    ret = new_return(repo, price=4000, reason="defective")
    stale = repo.get_return(ret.rma)
    flow.approve(ret.rma, "staff:alice")
    monkeypatch.setattr(repo, "get_return", lambda rma: stale)
    with pytest.raises((StaleVersion, IllegalTransition)):
        flow.reject(ret.rma, "staff:bob", "no")
    monkeypatch.undo()
    assert repo.get_return(ret.rma)[0].status is S.APPROVED


def test_auto_approved_label_delivered_inspected_refunded_closed(
    repo: Repository, flow: ReturnWorkflow
) -> None:
    ret = new_return(repo, price=4000, reason="size_too_small")  # $40 size: approved, not refund-on-delivery
    assert flow.decide(ret.rma)["status"] == "approved"
    assert flow.issue_label(ret.rma)["status"] == "label_issued"
    assert flow.issue_label(ret.rma)["status"] == "label_issued"  # a retried step issues nothing new
    label = repo.get_return(ret.rma)[0].label
    assert label is not None and label.tracking_number.startswith("SBX")
    flow.carrier_update(ret.rma, S.IN_TRANSIT, "carrier:test")
    flow.carrier_update(ret.rma, S.DELIVERED, "carrier:test")
    flow.carrier_update(ret.rma, S.IN_TRANSIT, "carrier:test")  # late scan: ignored
    assert repo.get_return(ret.rma)[0].status is S.DELIVERED
    flow.scan(ret.rma.replace("-", "").lower(), "us-nj", "warehouse:carl")
    inspected = flow.inspect(ret.rma, [Grading("L1", Grade.RESELLABLE)], "warehouse:carl")
    assert inspected.inspection is not None and inspected.inspection.refund_total == Money(
        amount=4000, currency="USD"
    )
    assert flow.resolve(ret.rma)["status"] == "refund_pending"
    refund = repo.get_return(ret.rma)[0].refund
    assert refund is not None and refund.status == "pending"
    flow.settlement(ret.rma, True, "payments:test")
    flow.settlement(ret.rma, True, "payments:test")  # repeated webhook: nothing more
    assert flow.close(ret.rma)["status"] == "closed"
    events = [e["type"] for e in repo.outbox_events(ret.rma)]
    assert events == [
        "return.requested",
        "return.approved",
        "return.label_issued",
        "return.in_transit",
        "return.delivered",
        "return.received",
        "return.inspected",
        "return.refund_pending",
        "refund.succeeded",
        "return.closed",
    ]


def test_scrap_grade_pays_nothing_and_needs_repair_half(repo: Repository, flow: ReturnWorkflow) -> None:
    for grade, expected in ((Grade.SCRAP, 0), (Grade.NEEDS_REPAIR, 2000)):
        ret = new_return(repo, price=4000)
        flow.issue_label(ret.rma)
        flow.carrier_update(ret.rma, S.DELIVERED, "carrier:test")
        flow.scan(ret.rma, "us-nj", "warehouse:carl")
        inspected = flow.inspect(ret.rma, [Grading("L1", grade, "torn seam")], "warehouse:carl")
        assert inspected.inspection is not None
        assert inspected.inspection.refund_total.amount == expected
        inspected_event = next(e for e in repo.outbox_events(ret.rma) if e["type"] == "return.inspected")
        assert inspected_event["data"]["items"][0]["disposition"] in ("scrap", "needs_repair")


def test_refund_on_delivery_where_policy_allows(repo: Repository, flow: ReturnWorkflow) -> None:
    cheap = new_return(repo, price=1500)  # under $25, not electronics
    assert flow.decide(cheap.rma)["refund_on_delivery"] is True
    assert "refund_on_delivery" in [r.rule_id for r in cheap.decision.rules]
    dear = new_return(repo, price=4000)
    assert flow.decide(dear.rma)["refund_on_delivery"] is False


def test_store_credit_settles_at_once(repo: Repository, flow: ReturnWorkflow) -> None:
    ret = new_return(repo, price=4000, resolution=Resolution.STORE_CREDIT)
    flow.issue_label(ret.rma)
    flow.carrier_update(ret.rma, S.DELIVERED, "carrier:test")
    flow.scan(ret.rma, "us-nj", "w")
    flow.inspect(ret.rma, [Grading("L1", Grade.RESELLABLE)], "w")
    assert flow.resolve(ret.rma)["status"] == "credited"


def test_refund_failure_is_recorded(repo: Repository, flow: ReturnWorkflow) -> None:
    ret = new_return(repo, price=4000)
    flow.issue_label(ret.rma)
    flow.carrier_update(ret.rma, S.DELIVERED, "c")
    flow.scan(ret.rma, "us-nj", "w")
    flow.inspect(ret.rma, [Grading("L1", Grade.RESELLABLE)], "w")
    flow.resolve(ret.rma)
    failed = flow.settlement(ret.rma, False, "payments:test", "expired_or_canceled_card")
    assert failed.status is S.REFUND_FAILED
    assert failed.refund is not None and failed.refund.failure_reason == "expired_or_canceled_card"


def test_scan_refusals(repo: Repository, flow: ReturnWorkflow) -> None:
    ret = new_return(repo, price=4000)
    flow.issue_label(ret.rma)
    typo = ret.rma[:-1] + ("2" if ret.rma[-1] != "2" else "3")
    with pytest.raises(Unprocessable) as bad:
        flow.scan(typo, "us-nj", "w")
    assert bad.value.code == "invalid_rma"
    with pytest.raises(NotFound):
        flow.scan("222-222-222", "us-nj", "w")
    with pytest.raises(Conflict) as wrong:
        flow.scan(ret.rma, "eu-pl-gls", "w")
    assert wrong.value.code == "wrong_hub"
    assert repo.get_return(ret.rma)[0].status is S.LABEL_ISSUED


def test_expiry_and_escalation(repo: Repository, flow: ReturnWorkflow, engine: RecordingEngine) -> None:
    unused = new_return(repo, price=4000)
    flow.issue_label(unused.rma)
    flow.hold(unused.rma, Wait.CARRIER, "carrier-token")
    assert flow.expire(unused.rma, Wait.CARRIER)["status"] == "expired"
    stored = repo.get_return(unused.rma)[0]
    assert stored.task_token is None
    waiting = new_return(repo, price=4000, reason="defective")
    flow.hold(waiting.rma, Wait.REVIEW, "review-token")
    flow.escalate(waiting.rma, Wait.REVIEW)
    stored = repo.get_return(waiting.rma)[0]
    assert stored.escalated and stored.status is S.PENDING_REVIEW and stored.task_token is None


def test_record_failure_keeps_status_and_says_which_step(repo: Repository, flow: ReturnWorkflow) -> None:
    ret = new_return(repo, price=4000)
    flow.record_failure(ret.rma, "issue_label", "CarrierError", "no rates")
    stored, timeline = repo.get_return(ret.rma)
    assert stored.status is S.APPROVED
    assert stored.failure is not None and stored.failure.step == "issue_label"
    assert timeline[-1].event == "workflow.failed"


def test_decide_step_decides_a_requested_return_with_the_storefronts_code(
    repo: Repository, flow: ReturnWorkflow
) -> None:
    from boomerang.domain import rma as rma_numbers
    from boomerang.store.records import ReturnChange

    decided_in_request = new_return(repo, price=4000, reason="defective")
    requested = decided_in_request.model_copy(update={"rma": rma_numbers.generate(), "status": S.REQUESTED})
    repo.save(ReturnChange(requested, None, [], []))
    out = flow.decide(requested.rma)
    assert out["status"] == decided_in_request.status.value == "pending_review"
    stored, timeline = repo.get_return(requested.rma)
    assert [r.rule_id for r in stored.decision.rules] == [
        r.rule_id for r in decided_in_request.decision.rules
    ]
    assert timeline[-1].actor == "policy:v1"


def test_staff_action_survives_the_workflows_own_bookkeeping(
    repo: Repository, flow: ReturnWorkflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The staff member read the return just before the workflow kept its token: the approval
    retries on a fresh read instead of answering 409."""
    ret = new_return(repo, price=4000, reason="defective")
    before_the_hold = repo.get_return(ret.rma)
    flow.hold(ret.rma, Wait.REVIEW, "token-race")
    real = repo.get_return
    reads = iter([before_the_hold])
    monkeypatch.setattr(repo, "get_return", lambda rma: next(reads, None) or real(rma))
    approved = flow.approve(ret.rma, "staff:alice")
    assert approved.status is S.APPROVED
