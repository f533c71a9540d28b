"""Events out in the template: the bus and its archive, the outbox publisher on the table's stream
(filtered, partial failures, bisect, on-failure queue), and outbound webhooks (rule -> queue ->
delivery function; staff routes behind the Cognito authorizer)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.cdk.constructs.outbound_webhooks import ROUTES
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra


def _mapping(synthesized: Synthesized, function_id: str) -> dict[str, Any]:
    found = [
        m["Properties"]
        for m in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": function_id}
    ]
    assert len(found) == 1
    return found[0]


def _actions(statements: list[dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    for st in statements:
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        found |= set(actions)
    return found


def test_bus_with_archive(synthesized: Synthesized) -> None:
    bus_id, _ = synthesized.one("AWS::Events::EventBus")
    _, archive = synthesized.one("AWS::Events::Archive")
    assert json.loads(json.dumps(archive["EventPattern"])) == {"source": ["boomerang"]}
    assert archive["RetentionDays"] == 365
    assert bus_id in json.dumps(archive["SourceArn"])


def test_publisher_reads_outbox_inserts_from_the_stream_in_order(synthesized: Synthesized) -> None:
    function_id, function = synthesized.function("outbox_publisher")
    mapping = _mapping(synthesized, function_id)
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert "OnFailure" in mapping["DestinationConfig"]
    assert mapping["MaximumRetryAttempts"] == 10
    [criteria] = mapping["FilterCriteria"]["Filters"]
    assert json.loads(criteria["Pattern"]) == {
        "eventName": ["INSERT"],
        "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "OUTBOX#"}]}}},
    }
    env = function["Environment"]["Variables"]
    assert "EVENT_BUS_NAME" in env and "STATE_MACHINE_ARN" in env
    actions = _actions(synthesized.role_statements(function))
    assert {"events:PutEvents", "states:StartExecution", "dynamodb:GetRecords"} <= actions


def test_webhook_queue_fed_by_a_rule_and_drained_with_partial_failures(synthesized: Synthesized) -> None:
    function_id, function = synthesized.function("webhook_delivery")
    mapping = _mapping(synthesized, function_id)
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    [rule] = [
        r["Properties"]
        for r in synthesized.of_type("AWS::Events::Rule").values()
        if r["Properties"].get("EventPattern") == {"source": ["boomerang"]}
    ]
    assert len(rule["Targets"]) == 1 and "DeadLetterConfig" in rule["Targets"][0]
    queues = synthesized.of_type("AWS::SQS::Queue")
    main = [q["Properties"] for q in queues.values() if "RedrivePolicy" in q["Properties"]]
    assert any(q["VisibilityTimeout"] == 360 for q in main)
    actions = _actions(synthesized.role_statements(function))
    assert {"sqs:ChangeMessageVisibility", "sqs:SendMessage", "secretsmanager:GetSecretValue"} <= actions
    assert "secretsmanager:CreateSecret" not in actions


def test_webhook_staff_routes_behind_the_staff_authorizer(synthesized: Synthesized) -> None:
    function_id, _ = synthesized.function("webhook_admin")
    authorizer_id, _ = synthesized.one("AWS::ApiGateway::Authorizer")
    methods = synthesized.api_methods()
    for route in ROUTES:
        method = methods[(route.method, route.path)]
        assert method["AuthorizationType"] == "COGNITO_USER_POOLS"
        assert method["AuthorizerId"] == {"Ref": authorizer_id}
        assert function_id in json.dumps(method["Integration"]["Uri"])
