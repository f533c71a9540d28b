"""The return workflow as synthesized: every wait has a timeout that leads somewhere, every Lambda
task retries Lambda's service errors and catches the rest into record_failure."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.conftest import Synthesized


@pytest.fixture(scope="module")
def definition(synthesized: Synthesized) -> dict[str, Any]:
    _, props = synthesized.one("AWS::StepFunctions::StateMachine")
    assert props["StateMachineType"] == "STANDARD"
    parts = props["DefinitionString"]["Fn::Join"][1]
    # Function ARNs are tokens in the template; stand-ins keep the JSON parseable.
    text = "".join(p if isinstance(p, str) else "ARN" for p in parts)
    return dict(json.loads(text))


def tasks(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in definition["States"].items() if s["Type"] == "Task"}


def test_every_wait_has_a_timeout_from_the_policy_and_a_destination(definition: dict[str, Any]) -> None:
    waits = {n: s for n, s in tasks(definition).items() if s["Resource"].endswith(".waitForTaskToken")}
    assert set(waits) == {
        "Await review",
        "Await evidence",
        "Await carrier",
        "Await inspection",
        "Await settlement",
        "Await refund retry",
        "Await fulfilment",  # an exchange's replacement shipped (issue 17)
        "Await payment",  # a dearer replacement's difference paid (issue 17)
    }
    for name, state in waits.items():
        assert state["TimeoutSecondsPath"].startswith("$.timeouts."), name
        timeout_catch = [c for c in state["Catch"] if "States.Timeout" in c["ErrorEquals"]]
        assert timeout_catch and timeout_catch[0]["Next"].startswith(("Escalate", "Expire")), name
        assert state["Parameters"]["Payload"]["token.$"] == "$$.Task.Token"
        assert set(state["Parameters"]["Payload"]) == {"rma.$", "wait", "token.$"}  # ids only


def test_every_lambda_task_retries_service_errors_and_records_failures(definition: dict[str, Any]) -> None:
    for name, state in tasks(definition).items():
        retried = {e for r in state.get("Retry", []) for e in r["ErrorEquals"]}
        assert "Lambda.ServiceException" in retried and "Lambda.TooManyRequestsException" in retried, name
        if name.startswith("Record failure"):
            continue
        caught = [c for c in state.get("Catch", []) if "States.ALL" in c["ErrorEquals"]]
        assert caught and caught[0]["Next"].startswith("Record failure"), name


def test_payloads_carry_ids_not_personal_data(definition: dict[str, Any]) -> None:
    for name, state in tasks(definition).items():
        # payload_response_only tasks pass Parameters as the payload itself.
        payload = state["Parameters"].get("Payload", state["Parameters"])
        assert set(payload) <= {"rma.$", "wait", "token.$", "step", "error.$", "announce", "unused"}, name


def test_task_functions_never_scan(synthesized: Synthesized) -> None:
    for _, policy in synthesized.of_type("AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert "dynamodb:Scan" not in actions and "dynamodb:*" not in actions


def test_a_notification_never_ends_the_execution(definition: dict[str, Any]) -> None:
    """Each Notify state retries an unavailable channel with backoff; whatever it raises in the end
    is recorded by the notify function (told the error) and the execution goes where the notify
    would have gone, even if that record fails. No path from a Notify state reaches a Fail."""
    states = definition["States"]
    notifies = {n: s for n, s in tasks(definition).items() if n.startswith("Notify ")}
    assert len(notifies) >= 8
    for name, state in notifies.items():
        retried = {e: r for r in state["Retry"] for e in r["ErrorEquals"]}
        assert retried["NotificationUnavailable"]["BackoffRate"] >= 2, name
        assert retried["NotificationUnavailable"]["MaxAttempts"] >= 3, name
        assert "States.Timeout" in retried, name
        (caught,) = [c for c in state["Catch"] if "States.ALL" in c["ErrorEquals"]]
        record = states[caught["Next"]]
        assert caught["Next"] == f"Record failure of {name}" and caught["ResultPath"] == "$.error"
        # payload_response_only: the Parameters are the payload, the Resource the function.
        assert record["Parameters"]["error.$"] == "$.error"
        assert record["Parameters"].get("announce") == state["Parameters"].get("announce")
        # The same function records it (no new Lambda), then on to where the notify goes.
        assert record["Resource"] == state["Resource"]
        assert record["Next"] == state["Next"], name
        assert [c["Next"] for c in record["Catch"]] == [state["Next"]], name
        assert states[state["Next"]]["Type"] != "Fail", name


def test_a_label_a_person_must_unblock_is_asked_again_for_about_a_day(definition: dict[str, Any]) -> None:
    state = definition["States"]["Issue label"]
    (retry,) = [r for r in state["Retry"] if r["ErrorEquals"] == ["LabelNotIssued"]]
    waits, interval = [], retry["IntervalSeconds"]
    for _ in range(retry["MaxAttempts"]):
        waits.append(min(interval, retry["MaxDelaySeconds"]))
        interval *= retry["BackoffRate"]
    assert waits[0] == 15 * 60 and 20 * 3600 <= sum(waits) <= 30 * 3600
    # Then the failure is recorded and on-call alerted, as for every step.
    (caught,) = [c for c in state["Catch"] if "States.ALL" in c["ErrorEquals"]]
    assert caught["Next"] == "Record failure of Issue label"


def test_a_return_that_ends_hands_its_unused_label_back_and_ends_all_the_same(
    synthesized: Synthesized,
) -> None:
    """Cancelled and Expired go through the label function's refund of an unused label first: it
    retries the carrier's outages and timeouts with backoff, and whatever it raises in the end is
    recorded (a ticket for finance) on the way to the customer's notification, never a Fail."""
    _, props = synthesized.one("AWS::StepFunctions::StateMachine")
    parts = props["DefinitionString"]["Fn::Join"][1]
    # Each function ARN as its logical id, so the states' functions can be told apart.
    named = "".join(p if isinstance(p, str) else str(p.get("Fn::GetAtt", ["ARN"])[0]) for p in parts)
    states = json.loads(named)["States"]
    assert "IssueLabel" in states["Issue label"]["Resource"]
    label_function = states["Issue label"]["Resource"]
    for ended in ("cancelled", "expired"):
        name = f"Refund unused label ({ended})"
        state = states[name]
        assert state["Resource"] == label_function and state["Parameters"]["unused"] is True
        assert state["Next"] == f"Notify {ended}"
        retried = {e: r for r in state["Retry"] for e in r["ErrorEquals"]}
        assert retried["CarrierUnavailable"]["BackoffRate"] >= 2 and "States.Timeout" in retried
        (caught,) = [c for c in state["Catch"] if "States.ALL" in c["ErrorEquals"]]
        record = states[caught["Next"]]
        assert record["Resource"] == label_function and record["Parameters"]["error.$"] == "$.error"
        assert record["Next"] == f"Notify {ended}"
        assert [c["Next"] for c in record["Catch"]] == [f"Notify {ended}"]
    # Every way to those ends passes through the refund.
    for source, state in states.items():
        for target in [state.get("Next"), *[c.get("Next") for c in state.get("Choices", [])]]:
            if target in ("Notify cancelled", "Notify expired"):
                assert source.startswith(("Refund unused label", "Record failure of Refund")), source
