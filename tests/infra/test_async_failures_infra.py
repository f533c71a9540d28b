"""Every asynchronous invocation in every stack of the app (the main stack and each nested one: the
parcels' delay watch, the lake, the web pages, the alarms), with and without the SES domain that
brings the bounce and complaint feedback: a function EventBridge, SNS or S3 invokes has an
on-failure destination, a queue, and that queue is alarmed; every EventBridge target has a
dead-letter queue. test_monitoring_infra checks the main stack's queues and alarms in detail; this
walks the nested stacks too, so a capability added in one of them cannot drop a failure silently."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import NestedStack
from aws_cdk.assertions import Template

from tests.infra.conftest import Synthesized, synthesize

pytestmark = pytest.mark.infra

ASYNC_PRINCIPALS = (
    "events.amazonaws.com",
    "sns.amazonaws.com",
    "s3.amazonaws.com",
    "scheduler.amazonaws.com",
)


@pytest.fixture(scope="module")
def with_domain() -> Synthesized:
    return synthesize(notify_sender="returns@shop.example", notify_domain="shop.example")


def stacks(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    found = {"main": synthesized.resources}
    for nested in synthesized.stack.node.find_all():
        if isinstance(nested, NestedStack):
            found[nested.node.path] = Template.from_stack(nested).to_json()["Resources"]
    return found


def _function_id(ref: Any) -> str:
    return str(ref["Fn::GetAtt"][0] if "Fn::GetAtt" in ref else ref["Ref"])


@pytest.mark.parametrize("variant", ["default", "with_domain"])
def test_every_async_invocation_fails_to_an_alarmed_queue(
    variant: str, synthesized: Synthesized, request: pytest.FixtureRequest
) -> None:
    synth = synthesized if variant == "default" else request.getfixturevalue("with_domain")
    every = stacks(synth)
    all_alarms = json.dumps(
        [
            r
            for resources in every.values()
            for r in resources.values()
            if r["Type"] == "AWS::CloudWatch::Alarm"
        ]
    )
    assert not _alarmed(synth, "main", "NoSuchQueue", all_alarms)  # the check can fail
    invoked_async: list[str] = []
    for path, resources in every.items():
        async_functions = {
            _function_id(r["Properties"]["FunctionName"])
            for r in resources.values()
            if r["Type"] == "AWS::Lambda::Permission" and r["Properties"]["Principal"] in ASYNC_PRINCIPALS
        }
        configs = {
            _function_id(r["Properties"]["FunctionName"]): r["Properties"]
            for r in resources.values()
            if r["Type"] == "AWS::Lambda::EventInvokeConfig"
        }
        assert async_functions <= set(configs), f"{path}: {sorted(async_functions - set(configs))}"
        for function_id in async_functions:
            destination = configs[function_id]["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][
                0
            ]
            assert resources[destination]["Type"] == "AWS::SQS::Queue", f"{path}: {function_id}"
            assert _alarmed(synth, path, destination, all_alarms), f"{path}: {destination} has no alarm"
            invoked_async.append(f"{path}:{function_id}")
        for rule_id, rule in resources.items():
            if rule["Type"] != "AWS::Events::Rule":
                continue
            for target in rule["Properties"].get("Targets", []):
                assert "DeadLetterConfig" in target, f"{path}: {rule_id} -> {target['Id']}"
    # What this walks: the evidence, rates, system tickets and delay-watch functions at least, and
    # with a domain the SES feedback function behind SNS.
    assert len(invoked_async) >= (5 if variant == "with_domain" else 4), invoked_async
    if variant == "with_domain":
        assert any(
            r["Type"] == "AWS::Lambda::Permission" and r["Properties"]["Principal"] == "sns.amazonaws.com"
            for resources in every.values()
            for r in resources.values()
        )


def _alarmed(synth: Synthesized, path: str, queue: str, alarms: str) -> bool:
    """Whether an alarm watches `queue`: by its logical id, or through what carries its name into
    the alarms' nested stack (an output of the queue's nested stack, then a parameter of the alarms
    stack's resource in the main stack)."""
    names = {queue}
    if path != "main":
        names |= {key for key, output in _outputs(synth, path).items() if queue in json.dumps(output)}
    for resource in synth.resources.values():
        if resource["Type"] == "AWS::CloudFormation::Stack":
            for parameter, value in resource["Properties"].get("Parameters", {}).items():
                if any(f'"{n}"' in json.dumps(value) or f"Outputs.{n}" in json.dumps(value) for n in names):
                    names.add(parameter)
    return any(f'"{n}"' in alarms for n in names)


def _outputs(synth: Synthesized, path: str) -> dict[str, Any]:
    for nested in synth.stack.node.find_all():
        if isinstance(nested, NestedStack) and nested.node.path == path:
            return dict(Template.from_stack(nested).to_json().get("Outputs", {}))
    return {}
