"""Return journeys through the real state machine, as synthesized from the CDK app, executed by moto,
with the task Lambdas and the storefront API running in-process on DynamoDB Local.

News comes in where it comes from in production: the customer through the storefront handler;
staff, carriers and payment providers through the library calls their handlers make
(ReturnWorkflow.approve / carrier_update / scan / inspect / settlement).
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Iterator
from datetime import timedelta
from types import ModuleType
from typing import Any

import pytest

from boomerang.auth.api_keys import hash_api_key
from boomerang.domain.automation import Automation
from boomerang.domain.errors import Conflict, IllegalTransition
from boomerang.domain.models import EvidenceCheck, Grade, Wait
from boomerang.domain.policy import Timeouts, default_policy
from boomerang.domain.status import ReturnStatus as S
from boomerang.orchestration.step_functions import StepFunctionsEngine
from boomerang.services.workflow import Grading, ReturnWorkflow
from boomerang.store.records import Repository, ReturnChange
from infra.cdk.constructs.return_workflow import STEPS
from local.demo.data import in_test_mode
from local.stepfunctions import LocalStepFunctions
from tests.integration.test_storefront_api import order_body

SHOP, HURRIED, AUTOMATED = "journeys", "hurried", "automated"
KEYS = {shop: f"bk_{shop}_journey_key" for shop in (SHOP, HURRIED, AUTOMATED)}
# Issue 19's three automation options, all on (they are off in the default policy).
ALL_OPTIONS = {
    "trusted_customers": {"approve_up_to": {"USD": 15000}},
    "evidence_checked_approval": {},
    "refund_on_first_scan": {},
}


@pytest.fixture(scope="module")
def machine(local_aws: Any, repo: Repository, storefront: ModuleType) -> Iterator[LocalStepFunctions]:
    from tests.infra.conftest import synthesize

    template = synthesize().template.to_json()
    tasks = importlib.import_module("functions.workflow.handler")
    handlers = {
        f"ReturnWorkflow{''.join(p.title() for p in step.split('_'))}TaskFunction": getattr(tasks, step)
        for step in STEPS
    }
    automated = Automation.model_validate(ALL_OPTIONS)
    for shop, changes in (
        (SHOP, {"timeouts": Timeouts()}),
        (HURRIED, {"timeouts": Timeouts(label_valid=timedelta(seconds=2), review=timedelta(seconds=2))}),
        (AUTOMATED, {"automation": automated}),
    ):
        repo.put_shop(shop, shop)
        repo.put_api_key(hash_api_key(KEYS[shop]), shop, "journeys")
        in_test_mode(repo, shop)  # sandbox labels and refunds, explicitly
        if repo.current_policy(shop) is None:
            repo.put_policy(shop, default_policy().model_copy(update={"version": 2, **changes}))
    sm = LocalStepFunctions(template, handlers, endpoint=local_aws.moto_endpoint).deploy()
    engine = StepFunctionsEngine(sm.state_machine_arn)
    saved = storefront.engine, storefront.service.engine
    storefront.engine = storefront.service.engine = engine
    yield sm
    storefront.engine, storefront.service.engine = saved
    sm.close()


@pytest.fixture(scope="module")
def flow(machine: LocalStepFunctions) -> ReturnWorkflow:
    """The library object the staff API and the webhooks drive (the task functions' own)."""
    return importlib.import_module("functions.workflow.handler").workflow  # type: ignore[no-any-return]


def start_return(
    api: Any,
    *,
    shop: str = SHOP,
    price: str = "20.00",
    reason: str = "size_too_small",
    category: str = "apparel",
    resolution: str = "refund",
) -> dict[str, Any]:
    order = order_body(price=price, category=category)
    assert api.call("POST", "/v1/orders", order, api_key=KEYS[shop])[0] == 201
    body = {
        "order_id": order["order_id"],
        "items": [{"line_id": order["lines"][0]["line_id"], "quantity": 1, "reason": reason}],
        "resolution": resolution,
    }
    status, ret = api.call(
        "POST", "/v1/returns", body, api_key=KEYS[shop], headers={"Idempotency-Key": uuid.uuid4().hex}
    )
    assert status == 201, ret
    return ret


def execution(machine: LocalStepFunctions, rma: str) -> str:
    return machine.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{rma}"


def waiting(machine: LocalStepFunctions, repo: Repository, rma: str, wait: Wait) -> None:
    """Block until the execution holds `wait` on the return (bounded)."""
    import time

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if repo.get_return(rma)[0].waiting_for is wait:
            return
        status = machine.describe(execution(machine, rma))["status"]
        assert status == "RUNNING", machine.history(execution(machine, rma))[-3:]
        time.sleep(0.05)
    raise AssertionError(f"{rma} never waited for {wait}")


def finished(machine: LocalStepFunctions, rma: str, state: str, status: str = "SUCCEEDED") -> list[str]:
    arn = execution(machine, rma)
    machine.wait_for(arn, status, timeout=20)
    entered = machine.states_entered(arn)
    assert entered[-1] == state, entered
    return entered


def test_auto_approved_label_delivered_refunded(
    api: Any, repo: Repository, machine: LocalStepFunctions, flow: ReturnWorkflow
) -> None:
    ret = start_return(api, price="20.00")  # a $20 size return: approved at once, refunded on delivery
    assert ret["status"] == "approved"
    waiting(machine, repo, ret["rma"], Wait.CARRIER)
    assert repo.get_return(ret["rma"])[0].status is S.LABEL_ISSUED
    flow.carrier_update(ret["rma"], S.IN_TRANSIT, "carrier:test")
    waiting(machine, repo, ret["rma"], Wait.CARRIER)
    flow.carrier_update(ret["rma"], S.DELIVERED, "carrier:test")
    waiting(machine, repo, ret["rma"], Wait.SETTLEMENT)
    flow.settlement(ret["rma"], True, "payments:test")
    entered = finished(machine, ret["rma"], "Closed")
    assert "Await inspection" not in entered
    stored, timeline = repo.get_return(ret["rma"])
    assert stored.status is S.CLOSED
    told = [e.event for e in timeline if e.event.startswith("customer.notified")]
    assert told == [
        "customer.notified.requested",
        "customer.notified.label_issued",
        "customer.notified.refunded",
    ]


def test_review_approved_then_inspected_with_scrap_closes_without_refund(
    api: Any, repo: Repository, machine: LocalStepFunctions, flow: ReturnWorkflow
) -> None:
    ret = start_return(api, price="40.00", reason="defective")
    assert ret["status"] == "pending_review"
    waiting(machine, repo, ret["rma"], Wait.REVIEW)
    flow.approve(ret["rma"], "staff:alice")
    waiting(machine, repo, ret["rma"], Wait.CARRIER)
    flow.carrier_update(ret["rma"], S.DELIVERED, "carrier:test")
    waiting(machine, repo, ret["rma"], Wait.INSPECTION)
    with pytest.raises(Conflict):
        flow.scan(ret["rma"], "eu-pl-gls", "staff:carl")  # delivered to the wrong hub: set aside
    flow.scan(ret["rma"], "us-nj", "staff:carl")
    flow.inspect(ret["rma"], [Grading(ret["items"][0]["line_id"], Grade.SCRAP, "water damage")], "staff:carl")
    finished(machine, ret["rma"], "Closed")
    stored, timeline = repo.get_return(ret["rma"])
    assert stored.inspection is not None and stored.inspection.refund_total.amount == 0
    assert stored.refund is None
    # Told of the parcel's arrival at the hub (once its inspection resumed the workflow).
    assert "customer.notified.received" in [e.event for e in timeline]


def test_needs_repair_pays_half_as_store_credit(
    api: Any, repo: Repository, machine: LocalStepFunctions, flow: ReturnWorkflow
) -> None:
    ret = start_return(api, price="40.00", reason="size_too_large", resolution="store_credit")
    waiting(machine, repo, ret["rma"], Wait.CARRIER)
    flow.carrier_update(ret["rma"], S.DELIVERED, "carrier:test")
    waiting(machine, repo, ret["rma"], Wait.INSPECTION)
    flow.scan(ret["rma"], "us-nj", "staff:carl")
    flow.inspect(ret["rma"], [Grading(ret["items"][0]["line_id"], Grade.NEEDS_REPAIR)], "staff:carl")
    finished(machine, ret["rma"], "Closed")
    stored = repo.get_return(ret["rma"])[0]
    assert (
        stored.refund is not None
        and stored.refund.amount.amount == 2000
        and stored.refund.status == "succeeded"
    )


def test_review_rejected(
    api: Any, repo: Repository, machine: LocalStepFunctions, flow: ReturnWorkflow
) -> None:
    ret = start_return(api, price="40.00", reason="defective")
    waiting(machine, repo, ret["rma"], Wait.REVIEW)
    flow.reject(ret["rma"], "staff:bob", "Signs of wear")
    finished(machine, ret["rma"], "Rejected")
    timeline = repo.get_return(ret["rma"])[1]
    assert [e.event for e in timeline if e.event.startswith("customer.notified")] == [
        "customer.notified.requested",
        "customer.notified.pending_review",
        "customer.notified.rejected",
    ]
    # The token left with the decision: a second decision changes nothing and resumes nothing.
    with pytest.raises(IllegalTransition):
        flow.approve(ret["rma"], "staff:alice")


def test_evidence_required_then_approved(
    api: Any, repo: Repository, machine: LocalStepFunctions, flow: ReturnWorkflow
) -> None:
    ret = start_return(api, price="180.00", reason="not_as_described")
    assert ret["status"] == "awaiting_evidence"
    waiting(machine, repo, ret["rma"], Wait.EVIDENCE)
    flow.approve(ret["rma"], "staff:alice", "video checked")
    waiting(machine, repo, ret["rma"], Wait.CARRIER)
    assert repo.get_return(ret["rma"])[0].label is not None


def test_cancelled_before_shipping(api: Any, repo: Repository, machine: LocalStepFunctions) -> None:
    ret = start_return(api, price="20.00")
    waiting(machine, repo, ret["rma"], Wait.CARRIER)
    status, cancelled = api.call("POST", f"/v1/returns/{ret['rma']}/cancel", api_key=KEYS[SHOP])
    assert status == 200 and cancelled["status"] == "cancelled"
    finished(machine, ret["rma"], "Cancelled")


def test_label_expires_unused(api: Any, repo: Repository, machine: LocalStepFunctions) -> None:
    ret = start_return(api, shop=HURRIED, price="20.00")  # this shop's labels are valid 2 s
    finished(machine, ret["rma"], "Expired")
    assert repo.get_return(ret["rma"])[0].status is S.EXPIRED


def test_review_timeout_escalates_and_keeps_waiting(
    api: Any, repo: Repository, machine: LocalStepFunctions, flow: ReturnWorkflow
) -> None:
    ret = start_return(api, shop=HURRIED, price="40.00", reason="defective")  # reviews escalate after 2 s
    import time

    deadline = time.monotonic() + 15
    while not repo.get_return(ret["rma"])[0].escalated:
        assert time.monotonic() < deadline, "never escalated"
        time.sleep(0.1)
    waiting(machine, repo, ret["rma"], Wait.REVIEW)  # waiting again
    flow.reject(ret["rma"], "staff:bob", "too late")
    entered = finished(machine, ret["rma"], "Rejected")
    assert "Escalate review" in entered


def test_refund_failure_is_recorded_and_waits_for_finance(
    api: Any, repo: Repository, machine: LocalStepFunctions, flow: ReturnWorkflow
) -> None:
    ret = start_return(api, price="20.00")
    waiting(machine, repo, ret["rma"], Wait.CARRIER)
    flow.carrier_update(ret["rma"], S.DELIVERED, "carrier:test")
    waiting(machine, repo, ret["rma"], Wait.SETTLEMENT)
    flow.settlement(ret["rma"], False, "payments:test", "lost_or_stolen_card")
    waiting(machine, repo, ret["rma"], Wait.REFUND_RETRY)
    stored = repo.get_return(ret["rma"])[0]
    assert stored.status is S.REFUND_FAILED
    assert stored.refund is not None and stored.refund.failure_reason == "lost_or_stolen_card"


def test_a_second_start_of_the_same_return_is_harmless(
    api: Any, repo: Repository, machine: LocalStepFunctions
) -> None:
    ret = start_return(api, price="40.00", reason="defective")
    waiting(machine, repo, ret["rma"], Wait.REVIEW)
    StepFunctionsEngine(machine.state_machine_arn).start(ret["rma"])  # no error, no second execution
    executions = machine.client("stepfunctions").list_executions(stateMachineArn=machine.state_machine_arn)
    assert [e["name"] for e in executions["executions"]].count(ret["rma"]) == 1


# --- issue 19's automation options, through the real state machine -----------------------------------


def _customer_with_kept_orders(api: Any, kept: int) -> str:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    for _ in range(kept):
        assert api.call("POST", "/v1/orders", order_body(email=email), api_key=KEYS[AUTOMATED])[0] == 201
    return email


def _request(api: Any, email: str, price: str, reason: str) -> dict[str, Any]:
    order = order_body(price=price, email=email)
    assert api.call("POST", "/v1/orders", order, api_key=KEYS[AUTOMATED])[0] == 201
    body = {
        "order_id": order["order_id"],
        "items": [{"line_id": order["lines"][0]["line_id"], "quantity": 1, "reason": reason}],
        "resolution": "refund",
    }
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    status, ret = api.call("POST", "/v1/returns", body, api_key=KEYS[AUTOMATED], headers=headers)
    assert status == 201, ret
    return dict(ret)


def test_a_trusted_customer_is_approved_and_refunded_at_the_first_carrier_scan(
    api: Any, repo: Repository, machine: LocalStepFunctions, flow: ReturnWorkflow
) -> None:
    email = _customer_with_kept_orders(api, 3)
    ret = _request(api, email, "80.00", "unwanted")  # no default rule approves an $80 "unwanted"
    assert ret["status"] == "approved", ret["decision"]
    rules = {r["rule_id"]: r for r in ret["decision"]["rules"]}
    assert "trusted_customer" in rules and "refund_on_first_scan" in rules
    assert ret["decision"]["kept_orders"] == 3
    rma = ret["rma"]
    waiting(machine, repo, rma, Wait.CARRIER)
    flow.carrier_update(rma, S.IN_TRANSIT, "carrier:test")  # the first scan: no delivery, no inspection
    waiting(machine, repo, rma, Wait.SETTLEMENT)
    stored, timeline = repo.get_return(rma)
    assert stored.status is S.REFUND_PENDING and stored.refund is not None
    assert any("Refund at the carrier's first scan" in e.message for e in timeline)
    flow.settlement(rma, True, "payments:test")
    entered = finished(machine, rma, "Closed")
    assert "Await inspection" not in entered and "Refund on first scan?" in entered
    # The parcel still reaches the hub: its receipt is recorded, the money went already.
    received = flow.scan(rma, "us-nj", "staff:carl")
    assert received.status is S.CLOSED and received.received_at_hub == "us-nj"
    assert repo.get_return(rma)[1][-1].message.startswith(
        "Received at New Jersey returns hub, after the refund"
    )


def test_a_new_customer_is_not_trusted(api: Any, machine: LocalStepFunctions) -> None:
    ret = _request(api, _customer_with_kept_orders(api, 0), "80.00", "unwanted")
    assert ret["status"] == "pending_review"
    assert ret["decision"]["kept_orders"] == 0
    assert [r["rule_id"] for r in ret["decision"]["rules"]] == ["no_automatic_approval"]


def test_a_plausible_video_approves_with_no_person_and_the_label_follows(
    api: Any, repo: Repository, machine: LocalStepFunctions, flow: ReturnWorkflow
) -> None:
    ret = _request(api, _customer_with_kept_orders(api, 0), "180.00", "unwanted")
    assert ret["status"] == "awaiting_evidence"
    rma = ret["rma"]
    waiting(machine, repo, rma, Wait.EVIDENCE)
    # The upload check (issue 22) leaves its result on the return; then the evidence news comes.
    stored, _ = repo.get_return(rma)
    checked = stored.model_copy(
        update={
            "evidence_check": EvidenceCheck(passed=True, basis="content", checked_at=stored.updated_at),
            "version": stored.version + 1,
        }
    )
    repo.save(ReturnChange(checked, stored.version, [], []))
    approved = flow.evidence_arrived(rma, "customer")
    assert approved.status is S.APPROVED
    assert approved.decision.outcome.value == "approved" and approved.decision.decided_by == "policy:v2"
    waiting(machine, repo, rma, Wait.CARRIER)  # the label was issued with no one looking
    timeline = repo.get_return(rma)[1]
    assert any(e.message.startswith("Approved by evidence check") for e in timeline)
