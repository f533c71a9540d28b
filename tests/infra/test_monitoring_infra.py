"""Alarms, the dashboard and failure handling for asynchronous invocations (constructs/monitoring.py),
read from the synthesized template."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.cdk.constructs.monitoring import (
    MIN_REFUND_OUTCOMES,
    PUBLISHED_EVENT_LOG,
    REFUND_FAILURE_RATE_PERCENT,
    REFUND_OUTCOMES,
)
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra


def _ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


@pytest.fixture(scope="module")
def topic_id(synthesized: Synthesized) -> str:
    topics = synthesized.of_type("AWS::SNS::Topic")
    assert len(topics) == 1
    return next(iter(topics))


@pytest.fixture(scope="module")
def nested(synthesized: Synthesized) -> dict[str, Any]:
    """The alarms' nested stack's template, with each parameter replaced by what the parent passes."""
    from aws_cdk import NestedStack
    from aws_cdk.assertions import Template

    (stack,) = [
        c
        for c in synthesized.stack.node.find_all()
        if isinstance(c, NestedStack) and c.node.id == "AlarmsAndDashboard"
    ]
    template: dict[str, Any] = Template.from_stack(stack).to_json()
    (parent,) = [
        r
        for key, r in synthesized.of_type("AWS::CloudFormation::Stack").items()
        if "AlarmsAndDashboard" in key
    ]
    passed = parent["Properties"].get("Parameters", {})

    def substitute(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"Ref"} and value["Ref"] in passed:
                return passed[value["Ref"]]
            return {k: substitute(v) for k, v in value.items()}
        if isinstance(value, list):
            return [substitute(v) for v in value]
        return value

    return dict(substitute(template["Resources"]))


@pytest.fixture(scope="module")
def alarms(nested: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {key: r["Properties"] for key, r in nested.items() if r["Type"] == "AWS::CloudWatch::Alarm"}


def _metric(alarm: dict[str, Any]) -> dict[str, Any]:
    """The alarm's single metric (namespace, name, dimensions) as the facade renders it."""
    stats = [m["MetricStat"]["Metric"] for m in alarm["Metrics"] if "MetricStat" in m]
    assert len(stats) >= 1
    return stats[0]


def _alarms_on(alarms: dict[str, dict[str, Any]], namespace: str, metric: str) -> list[dict[str, Any]]:
    return [
        a
        for a in alarms.values()
        if "Metrics" in a
        and any(
            m.get("MetricStat", {}).get("Metric", {}).get("Namespace") == namespace
            and m["MetricStat"]["Metric"]["MetricName"] == metric
            for m in a["Metrics"]
        )
    ]


def _dimension(metric: dict[str, Any], name: str) -> Any:
    return next(d["Value"] for d in metric.get("Dimensions", []) if d["Name"] == name)


def test_the_main_stack_keeps_room_under_cloudformations_500_resources(synthesized: Synthesized) -> None:
    # The alarms live in a nested stack; the API's routes, functions and roles fill the main one.
    assert len(synthesized.resources) < 420


def test_every_alarm_notifies_the_topic(alarms: dict[str, dict[str, Any]], topic_id: str) -> None:
    assert len(alarms) > 50
    for name, alarm in alarms.items():
        assert alarm["ActionsEnabled"] is True, name
        assert alarm["AlarmActions"] == [_ref(topic_id)], name


def test_the_topic_is_encrypted_with_a_key_cloudwatch_may_use(
    synthesized: Synthesized, topic_id: str
) -> None:
    topic = synthesized.resources[topic_id]["Properties"]
    key_id = topic["KmsMasterKeyId"]["Fn::GetAtt"][0]
    statements = synthesized.resources[key_id]["Properties"]["KeyPolicy"]["Statement"]
    cloudwatch = [s for s in statements if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
    assert cloudwatch and {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(cloudwatch[0]["Action"])
    # No address given: nobody subscribed (-c alarm_email=... adds one; see test_deploy_infra.py).
    assert not synthesized.of_type("AWS::SNS::Subscription")


def test_every_function_has_error_throttle_and_duration_alarms(
    synthesized: Synthesized, alarms: dict[str, dict[str, Any]]
) -> None:
    functions = {
        key: r["Properties"]
        for key, r in synthesized.of_type("AWS::Lambda::Function").items()
        if "boomerang:code" in r.get("Metadata", {})
    }
    assert len(functions) >= 21
    for logical_id, props in functions.items():
        for metric in ("Errors", "Throttles", "Duration"):
            found = [
                a for a in _alarms_on(alarms, "AWS/Lambda", metric)
                if _dimension(_metric(a), "FunctionName") == _ref(logical_id)
            ]  # fmt: skip
            assert len(found) == 1, f"{logical_id}: {len(found)} {metric} alarms"
            if metric == "Errors":
                assert found[0]["Threshold"] == 0 and found[0]["EvaluationPeriods"] == 1
            if metric == "Duration":  # near the function's own timeout
                assert found[0]["Threshold"] == pytest.approx(props["Timeout"] * 1000 * 0.8)


def test_every_queue_where_failures_end_is_alarmed(
    synthesized: Synthesized, alarms: dict[str, dict[str, Any]]
) -> None:
    queues = synthesized.of_type("AWS::SQS::Queue")
    last_stops = [key for key, r in queues.items() if "RedrivePolicy" not in r["Properties"]]
    assert len(last_stops) >= 6  # the four dead-letter queues and the two async failure queues
    watched = [
        _dimension(_metric(a), "QueueName")["Fn::GetAtt"][0]
        for a in _alarms_on(alarms, "AWS/SQS", "ApproximateNumberOfMessagesVisible")
    ]
    # The parcels' delay watch and the lake keep a queue each in their own nested stack: its alarm
    # reaches it through that stack's outputs; the others watch the main stack's queues.
    nested = [w for w in watched if synthesized.resources[w]["Type"] == "AWS::CloudFormation::Stack"]
    assert sorted(n.startswith("ShipmentWatch") or "Analytics" in n for n in nested) == [True, True]
    assert len(nested) == 2 and any("Analytics" in n for n in nested)
    assert sorted(w for w in watched if w not in nested) == sorted(last_stops)


def test_failed_and_timed_out_executions_api_errors_and_latency(alarms: dict[str, dict[str, Any]]) -> None:
    assert len(_alarms_on(alarms, "AWS/States", "ExecutionsFailed")) == 1
    assert len(_alarms_on(alarms, "AWS/States", "ExecutionsTimedOut")) == 1
    (errors,) = _alarms_on(alarms, "AWS/ApiGateway", "5XXError")
    assert errors["Threshold"] == 0.01  # the average of 5XXError is the share of requests
    (latency,) = _alarms_on(alarms, "AWS/ApiGateway", "Latency")
    assert latency["Threshold"] == 3000 and latency["DatapointsToAlarm"] == 3


def test_dead_lettered_outbound_webhooks(alarms: dict[str, dict[str, Any]]) -> None:
    (alarm,) = _alarms_on(alarms, "Boomerang", "WebhookDeadLettered")
    assert _metric(alarm)["Dimensions"] == [{"Name": "service", "Value": "webhook_delivery"}]
    assert alarm["Threshold"] == 0 and alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_refund_failure_rate_from_the_outbox_publishers_log(
    synthesized: Synthesized, nested: dict[str, Any], alarms: dict[str, dict[str, Any]]
) -> None:
    _, publisher = synthesized.function("outbox_publisher")
    log_group = publisher["LoggingConfig"]["LogGroup"]
    filters = {
        r["Properties"]["MetricTransformations"][0]["MetricName"]: r["Properties"]
        for r in nested.values()
        if r["Type"] == "AWS::Logs::MetricFilter"
    }
    for metric, event_type in REFUND_OUTCOMES.items():
        assert filters[metric]["LogGroupName"] == log_group
        assert filters[metric]["MetricTransformations"][0]["MetricNamespace"] == "Boomerang"
        assert filters[metric]["FilterPattern"] == (
            f'{{ ($.message = "{PUBLISHED_EVENT_LOG["message"]}") && ($.type = "{event_type}") }}'
        )
    (rate,) = [a for a in alarms.values() if any("Expression" in m for m in a["Metrics"])]
    expression = next(m["Expression"] for m in rate["Metrics"] if "Expression" in m)
    assert f">= {MIN_REFUND_OUTCOMES}" in expression and "100 * failed / (failed + succeeded)" in expression
    assert rate["Threshold"] == REFUND_FAILURE_RATE_PERCENT
    assert {_metric_name(m) for m in rate["Metrics"] if "MetricStat" in m} == set(REFUND_OUTCOMES)


def _metric_name(metric: dict[str, Any]) -> str:
    return str(metric["MetricStat"]["Metric"]["MetricName"])


def test_one_dashboard(nested: dict[str, Any]) -> None:
    (dashboard,) = [r for r in nested.values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for shown in ("5XXError", "ExecutionsFailed", "WebhookDeadLettered", "RefundFailed", "Throttles"):
        assert shown in body


# --- asynchronous invocations ---------------------------------------------------------------------


def test_every_asynchronously_invoked_function_fails_to_a_queue(synthesized: Synthesized) -> None:
    invoked_async = {
        r["Properties"]["FunctionName"]["Fn::GetAtt"][0]
        for r in synthesized.of_type("AWS::Lambda::Permission").values()
        if r["Properties"]["Principal"] in ("events.amazonaws.com", "sns.amazonaws.com", "s3.amazonaws.com")
    }
    assert {
        synthesized.function("evidence_uploaded")[0],
        synthesized.function("system_tickets")[0],
    } <= invoked_async
    configs = {r["Properties"]["FunctionName"]["Ref"]: r["Properties"] for r in synthesized.of_type(
        "AWS::Lambda::EventInvokeConfig").values()}  # fmt: skip
    assert set(configs) == invoked_async
    queues = synthesized.of_type("AWS::SQS::Queue")
    for function_id, config in configs.items():
        destination = config["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
        assert destination in queues and "RedrivePolicy" not in queues[destination]["Properties"]
        assert config["MaximumRetryAttempts"] == 2
        role = synthesized.resources[function_id]["Properties"]
        sends = [s for s in synthesized.role_statements(role) if "sqs:SendMessage" in str(s["Action"])]
        assert any(s["Resource"] == {"Fn::GetAtt": [destination, "Arn"]} for s in sends)


def test_rule_targets_on_those_functions_have_a_dead_letter_queue(synthesized: Synthesized) -> None:
    policies = synthesized.of_type("AWS::SQS::QueuePolicy")
    for rule_id, rule in synthesized.of_type("AWS::Events::Rule").items():
        for target in rule["Properties"]["Targets"]:
            assert "DeadLetterConfig" in target, f"{rule_id}: {target['Id']}"
    evidence_rule = next(
        (key, r)
        for key, r in synthesized.of_type("AWS::Events::Rule").items()
        if key.startswith("EvidenceUploads")
    )
    queue_id = evidence_rule[1]["Properties"]["Targets"][0]["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    allowed = [
        s
        for p in policies.values()
        if _ref(queue_id) in p["Properties"]["Queues"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Principal") == {"Service": "events.amazonaws.com"}
    ]
    assert allowed and allowed[0]["Condition"] == {
        "ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [evidence_rule[0], "Arn"]}}
    }
