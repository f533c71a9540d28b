"""Reference exchange rates in the template: a function fetching the ECB's file each working day
(EventBridge schedule, retried), allowed to touch only the rates items, with an alarm when a fetch
fails and one when no rates were stored for three days."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.cdk.constructs.reference_rates import RATES_PARTITION
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra


def test_a_schedule_each_working_day_invokes_the_fetch_with_retries(synthesized: Synthesized) -> None:
    logical_id, props = synthesized.function("fx_rates")
    assert props["Handler"] == "handler.handler"
    assert "TABLE_NAME" in props["Environment"]["Variables"]
    rules = [
        r["Properties"]
        for r in synthesized.of_type("AWS::Events::Rule").values()
        if "ScheduleExpression" in r["Properties"]
        and any(t["Arn"] == {"Fn::GetAtt": [logical_id, "Arn"]} for t in r["Properties"]["Targets"])
    ]
    assert len(rules) == 1
    assert rules[0]["ScheduleExpression"] == "cron(30 16 ? * MON-FRI *)"
    target = rules[0]["Targets"][0]
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2


def test_the_function_may_touch_only_the_rates_items(synthesized: Synthesized) -> None:
    _, props = synthesized.function("fx_rates")
    statements = synthesized.role_statements(props)
    table_statements = [s for s in statements if "dynamodb" in json.dumps(s["Action"])]
    assert len(table_statements) == 1
    only = table_statements[0]
    assert sorted(only["Action"]) == ["dynamodb:GetItem", "dynamodb:PutItem"]
    assert only["Condition"] == {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [RATES_PARTITION]}}


def _alarms_on(synthesized: Synthesized, predicate: Any) -> list[dict[str, Any]]:
    return [r["Properties"] for r in synthesized.of_type("AWS::CloudWatch::Alarm").values() if predicate(r)]


def test_alarms_on_a_failed_fetch_and_on_stale_rates(synthesized: Synthesized) -> None:
    logical_id, _ = synthesized.function("fx_rates")
    failed = _alarms_on(
        synthesized,
        lambda r: (
            r["Properties"].get("MetricName") == "Errors"
            and {"Name": "FunctionName", "Value": {"Ref": logical_id}}
            in r["Properties"].get("Dimensions", [])
        ),
    )
    assert len(failed) == 1 and failed[0]["Threshold"] == 1
    stale = _alarms_on(synthesized, lambda r: r["Properties"].get("MetricName") == "ReferenceRatesStored")
    assert len(stale) == 1
    assert (stale[0]["ComparisonOperator"], stale[0]["EvaluationPeriods"]) == ("LessThanThreshold", 3)
    assert stale[0]["TreatMissingData"] == "breaching"
