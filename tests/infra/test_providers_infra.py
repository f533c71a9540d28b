"""Issue 14 in the template: function timeouts above every SDK call's budget, the state machine
retrying a timed-out task with backoff, each shop's provider secrets readable only by the steps
that call that provider, and SES with DKIM, a configuration set and its bounce and complaint
feedback (SNS -> function, an on-failure queue with an alarm); cdk-nag stays clean."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Annotations, Match

from boomerang.timeouts import (
    API_GATEWAY_SECONDS,
    EASYPOST,
    PAYPAL,
    SHOPIFY,
    STRIPE,
    label_seconds,
    refund_seconds,
)
from tests.infra.conftest import Synthesized, synthesize
from tests.infra.test_workflow_infra import tasks

pytestmark = pytest.mark.infra

SENDER = "returns@shop.example"
DOMAIN = "shop.example"


@pytest.fixture(scope="module")
def with_domain() -> Synthesized:
    return synthesize(notify_sender=SENDER, notify_domain=DOMAIN)


def step(synthesized: Synthesized, name: str) -> dict[str, Any]:
    found = [
        r["Properties"]
        for r in synthesized.of_type("AWS::Lambda::Function").values()
        if r["Properties"].get("Handler") == f"handler.{name}"
    ]
    assert len(found) == 1
    return found[0]


def definition(synthesized: Synthesized) -> dict[str, Any]:
    _, props = synthesized.one("AWS::StepFunctions::StateMachine")
    text = "".join(p if isinstance(p, str) else "ARN" for p in props["DefinitionString"]["Fn::Join"][1])
    return dict(json.loads(text))


def test_steps_that_call_sdks_outlast_every_call_they_make(synthesized: Synthesized) -> None:
    label, resolve = step(synthesized, "issue_label"), step(synthesized, "resolve")
    assert label["Timeout"] > label_seconds() >= 4 * EASYPOST.timeout_seconds
    assert resolve["Timeout"] > refund_seconds()
    assert refund_seconds() >= max(
        STRIPE.worst_case_seconds(), SHOPIFY.timeout_seconds, PAYPAL.timeout_seconds
    )
    # Stripe's SDK would wait 80 s three times; ours is bounded far below the function.
    assert STRIPE.worst_case_seconds() < resolve["Timeout"] / 2
    # Finance's synchronous retry: the admin function and its refund both fit under API Gateway's 29 s.
    _, admin = synthesized.function("admin_api")
    assert refund_seconds() < admin["Timeout"] < API_GATEWAY_SECONDS


def test_a_timed_out_task_is_retried_with_backoff(synthesized: Synthesized) -> None:
    states = tasks(definition(synthesized))
    functions = {
        "Issue label": step(synthesized, "issue_label"),
        "Resolve": step(synthesized, "resolve"),
    }
    for name, state in states.items():
        if state["Resource"].endswith(".waitForTaskToken") or name.startswith("Record failure"):
            continue
        timed_out = [r for r in state["Retry"] if "States.Timeout" in r["ErrorEquals"]]
        assert timed_out, name
        assert {"Sandbox.Timedout", "Lambda.Unknown"} <= set(timed_out[0]["ErrorEquals"])
        assert timed_out[0]["BackoffRate"] >= 2 and timed_out[0]["MaxAttempts"] >= 3
        if name in functions:
            assert state["TimeoutSeconds"] > functions[name]["Timeout"], name
    label_retries = {e for r in states["Issue label"]["Retry"] for e in r["ErrorEquals"]}
    assert "CarrierUnavailable" in label_retries
    assert "PaymentProviderUnavailable" in {e for r in states["Resolve"]["Retry"] for e in r["ErrorEquals"]}


def secret_grants(synthesized: Synthesized, props: dict[str, Any]) -> set[str]:
    found = set()
    for statement in synthesized.role_statements(props):
        if "secretsmanager:GetSecretValue" in json.dumps(statement["Action"]):
            for resource in (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            ):
                text = json.dumps(resource)
                for provider in ("stripe", "shopify-admin", "paypal", "easypost"):
                    if f"boomerang/*/{provider}-??????" in text:
                        found.add(provider)
    return found


def test_each_step_reads_only_the_shop_secrets_of_the_providers_it_calls(synthesized: Synthesized) -> None:
    assert secret_grants(synthesized, step(synthesized, "issue_label")) == {"easypost"}
    assert secret_grants(synthesized, step(synthesized, "resolve")) == {"stripe", "shopify-admin", "paypal"}
    assert secret_grants(synthesized, synthesized.function("admin_api")[1]) == {
        "stripe",
        "shopify-admin",
        "paypal",
    }
    assert secret_grants(synthesized, step(synthesized, "notify")) == set()
    assert secret_grants(synthesized, synthesized.function("storefront_api")[1]) == set()


def test_ses_has_a_dkim_domain_identity_and_a_configuration_set(with_domain: Synthesized) -> None:
    ((_, identity),) = with_domain.of_type("AWS::SES::EmailIdentity").items()
    props = identity["Properties"]
    assert props["EmailIdentity"] == DOMAIN
    # Easy DKIM: SES generates the keys and lists the three CNAME records to publish.
    assert props["DkimAttributes"] == {"SigningEnabled": True}
    config_id, _ = with_domain.one("AWS::SES::ConfigurationSet")
    assert props["ConfigurationSetAttributes"]["ConfigurationSetName"] == {"Ref": config_id}
    notify = step(with_domain, "notify")
    assert notify["Environment"]["Variables"]["SES_CONFIGURATION_SET"] == {"Ref": config_id}
    sends = [s for s in with_domain.role_statements(notify) if "ses:SendEmail" in json.dumps(s["Action"])]
    assert len(sends) == 1 and "configuration-set" in json.dumps(sends[0]["Resource"])


def test_bounces_and_complaints_reach_the_feedback_function_with_an_on_failure_queue(
    with_domain: Synthesized,
) -> None:
    _, destination = with_domain.one("AWS::SES::ConfigurationSetEventDestination")
    spec = destination["EventDestination"]
    assert sorted(spec["MatchingEventTypes"]) == ["bounce", "complaint"]
    topic_ref = spec["SnsDestination"]["TopicARN"]
    topic_id = topic_ref["Ref"]
    assert with_domain.resources[topic_id]["Properties"]["KmsMasterKeyId"]
    function_id, function = with_domain.function("ses_feedback")
    (subscription,) = [
        r["Properties"] for r in with_domain.of_type("AWS::SNS::Subscription").values()
        if r["Properties"]["TopicArn"] == {"Ref": topic_id}
    ]  # fmt: skip
    assert subscription["Protocol"] == "lambda"
    assert subscription["Endpoint"] == {"Fn::GetAtt": [function_id, "Arn"]}
    (invoke,) = [
        r["Properties"] for r in with_domain.of_type("AWS::Lambda::EventInvokeConfig").values()
        if r["Properties"]["FunctionName"] == {"Ref": function_id}
    ]  # fmt: skip
    assert invoke["MaximumRetryAttempts"] == 2
    queue = invoke["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    alarms = [a["Properties"] for a in with_domain.of_type("AWS::CloudWatch::Alarm").values()]
    assert any(
        json.dumps({"Fn::GetAtt": [queue, "QueueName"]}) in json.dumps(a["Dimensions"])
        for a in alarms
        if "Dimensions" in a
    )
    assert function["Environment"]["Variables"]["TABLE_NAME"]


def test_still_clean_under_cdk_nag(with_domain: Synthesized) -> None:
    annotations = Annotations.from_stack(with_domain.stack)
    assert annotations.find_error("*", Match.string_like_regexp("AwsSolutions-.*")) == []
    assert annotations.find_warning("*", Match.string_like_regexp("AwsSolutions-.*")) == []


def test_a_label_purchase_held_by_a_step_still_running_is_asked_again_after_its_lease(
    synthesized: Synthesized,
) -> None:
    """The label claim's lease outlasts the label function (a claim past it belongs to a step that
    no longer runs), and the state machine keeps asking a LabelInProgress step past the lease."""
    from boomerang.timeouts import LABEL_CLAIM_LEASE_SECONDS

    label = step(synthesized, "issue_label")
    assert label["Timeout"] < LABEL_CLAIM_LEASE_SECONDS
    state = tasks(definition(synthesized))["Issue label"]
    (retry,) = [r for r in state["Retry"] if r["ErrorEquals"] == ["LabelInProgress"]]
    waits, interval = 0.0, retry["IntervalSeconds"]
    for _ in range(retry["MaxAttempts"]):
        waits += interval
        interval *= retry["BackoffRate"]
    assert waits > LABEL_CLAIM_LEASE_SECONDS
