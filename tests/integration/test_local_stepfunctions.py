"""local/stepfunctions/: a CDK-synthesized state machine, run by moto, its Lambdas in-process.

One small stack is synthesized once for the module (Node.js, ~10-15 s); each test runs one of its
state machines on the session's moto server (the one `make local` uses), next to DynamoDB Local.
What moto does where it differs from AWS is asserted, so a moto upgrade that changes it shows up.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local.stepfunctions import (
    ACCOUNT_ID,
    MOTO_VERSION_CHECKED,
    LambdaServiceError,
    LocalStepFunctions,
    TemplateError,
    definition_from_template,
    install_lambda_dispatch,
    lambda_arn,
    override_states,
)

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


def _synthesize() -> dict[str, Any]:
    import aws_cdk as cdk
    from aws_cdk import Duration
    from aws_cdk import aws_lambda as lambda_
    from aws_cdk import aws_stepfunctions as sfn
    from aws_cdk import aws_stepfunctions_tasks as tasks
    from aws_cdk.assertions import Template

    app = cdk.App()
    stack = cdk.Stack(app, "SfnHarness", env=cdk.Environment(account=ACCOUNT_ID, region="us-east-1"))

    def function(construct_id: str) -> lambda_.Function:
        return lambda_.Function(
            stack,
            construct_id,
            runtime=lambda_.Runtime.PYTHON_3_11,
            handler="index.handler",
            code=lambda_.Code.from_inline("def handler(event, context):\n    raise NotImplementedError\n"),
            memory_size=256,
            timeout=Duration.seconds(10),
        )

    decide, notify, refund, record = (function(n) for n in ("Decide", "Notify", "Refund", "RecordFailure"))

    def await_token(construct_id: str, step: str, **kwargs: Any) -> tasks.LambdaInvoke:
        return tasks.LambdaInvoke(
            stack,
            construct_id,
            lambda_function=notify,
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            payload=sfn.TaskInput.from_object(
                {"token": sfn.JsonPath.task_token, "rma": sfn.JsonPath.string_at("$.rma"), "step": step}
            ),
            **kwargs,
        )

    def machine(construct_id: str, chain: sfn.IChainable) -> None:
        sfn.StateMachine(
            stack,
            construct_id,
            state_machine_name=construct_id,
            definition_body=sfn.DefinitionBody.from_chainable(chain),
        )

    # 1. LambdaInvoke -> Choice -> Succeed/Fail
    decide_task = tasks.LambdaInvoke(
        stack, "DecideTask", lambda_function=decide, result_selector={"decision.$": "$.Payload.decision"}
    )
    machine(
        "Plain",
        decide_task.next(
            sfn.Choice(stack, "Approved?")
            .when(sfn.Condition.string_equals("$.decision", "approve"), sfn.Succeed(stack, "Approved"))
            .otherwise(sfn.Fail(stack, "Rejected", error="Rejected", cause="over the limit"))
        ),
    )

    # 2. Two waits for a task token in a row
    thirty = sfn.Timeout.duration(Duration.seconds(30))
    carrier = await_token("AwaitCarrier", "carrier", result_path="$.carrier", task_timeout=thirty)
    inspection = await_token("AwaitInspection", "inspection", result_path="$.inspection", task_timeout=thirty)
    machine("Tokens", carrier.next(inspection).next(sfn.Succeed(stack, "Closed")))

    # 3. A wait that times out, and one whose heartbeat stops
    label = await_token("AwaitLabel", "label", task_timeout=sfn.Timeout.duration(Duration.seconds(2)))
    expired = sfn.Pass(stack, "Expired", result=sfn.Result.from_object({"expired": True}))
    label.add_catch(expired, errors=["States.Timeout"])
    machine("Expiry", label)
    heartbeat = await_token(
        "AwaitScan",
        "scan",
        task_timeout=sfn.Timeout.duration(Duration.seconds(20)),
        heartbeat_timeout=sfn.Timeout.duration(Duration.seconds(1)),
    )
    heartbeat.add_catch(sfn.Pass(stack, "Stale"), errors=["States.HeartbeatTimeout"], result_path="$.error")
    heartbeat.add_catch(sfn.Pass(stack, "TimedOut"), errors=["States.Timeout"], result_path="$.error")
    machine("Heartbeat", heartbeat)

    # 4. Retry the Lambda service errors, catch a named error, catch everything else
    refund_task = tasks.LambdaInvoke(
        stack, "RefundTask", lambda_function=refund, retry_on_service_exceptions=False
    )
    refund_task.add_retry(
        errors=["Lambda.ServiceException", "Lambda.TooManyRequestsException"],
        interval=Duration.seconds(1),
        max_attempts=2,
        backoff_rate=1,
    )
    refund_task.add_catch(sfn.Pass(stack, "Declined"), errors=["RefundDeclined"], result_path="$.error")
    recording = tasks.LambdaInvoke(
        stack,
        "RecordFailureTask",
        lambda_function=record,
        payload_response_only=True,
        result_path="$.recorded",
    )
    refund_task.add_catch(recording, errors=["States.ALL"], result_path="$.error")
    machine("Failing", refund_task)

    return Template.from_stack(stack).to_json()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return _synthesize()


class Workflow:
    """In-process handlers that record what they were given."""

    def __init__(self, table: str):
        self.table = table
        self.tokens: dict[tuple[str, str], str] = {}
        self.contexts: list[Any] = []
        self.refund_calls: dict[str, int] = {}
        self.recorded: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.active = 0
        self.max_active = 0

    def decide(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self.lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            self.contexts.append(context)
        try:
            # Application code with plain boto3 reaches DynamoDB Local, not moto.
            ddb = boto3.client("dynamodb")
            assert ddb.describe_table(TableName=self.table)["Table"]["TableName"] == self.table
            time.sleep(0.2)
            decision = "approve" if event["amount"] < 100 else "reject"
            return {"decision": decision, "endpoint": ddb.meta.endpoint_url}
        finally:
            with self.lock:
                self.active -= 1

    def notify(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self.lock:
            self.tokens[(event["rma"], event["step"])] = event["token"]
        return {"queued": True}

    def refund(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self.lock:
            attempt = self.refund_calls[event["rma"]] = self.refund_calls.get(event["rma"], 0) + 1
        mode = event["mode"]
        if mode == "declined":
            raise type("RefundDeclined", (Exception,), {})("card expired")
        if mode == "flaky" and attempt == 1:
            raise LambdaServiceError("ServiceException")
        if mode in ("flaky", "broken"):
            raise ValueError(f"refund {event['rma']} broke on attempt {attempt}")
        if mode == "throttled":
            raise LambdaServiceError("TooManyRequestsException", "Rate exceeded", status=429)
        if mode == "unserializable":
            return {"at": {1, 2}}
        return {"refunded": True}

    def record_failure(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self.lock:
            self.recorded.append(event)
        return {"alerted": True}


@pytest.fixture(scope="module")
def workflow(local_aws: Any) -> Workflow:
    return Workflow(local_aws.table)


@pytest.fixture(scope="module")
def harness(template: dict[str, Any], workflow: Workflow, local_aws: Any) -> Iterator[Any]:
    handlers = {
        "Decide": workflow.decide,
        "Notify": workflow.notify,
        "Refund": workflow.refund,
        "RecordFailure": workflow.record_failure,
    }
    built: list[LocalStepFunctions] = []

    def deploy(name: str) -> LocalStepFunctions:
        sm = LocalStepFunctions(template, handlers, endpoint=local_aws.moto_endpoint, state_machine=name)
        built.append(sm.deploy())
        return sm

    yield deploy
    for sm in built:
        sm.close()


def _name() -> str:
    return f"RMA-{uuid.uuid4().hex[:10]}"


def test_definition_resolves_lambda_arns(template: dict[str, Any]) -> None:
    asl, functions = definition_from_template(template, "Plain")
    ((lid, name),) = functions.items()
    assert lid.startswith("Decide") and name == lid
    parsed = json.loads(asl)
    assert parsed["States"]["DecideTask"]["Resource"] == "arn:aws:states:::lambda:invoke"
    assert parsed["States"]["DecideTask"]["Parameters"]["FunctionName"] == lambda_arn(lid)
    assert "Fn::" not in asl and "Ref" not in asl


def test_invoke_choice_succeed_and_fail(harness: Any, workflow: Workflow, local_aws: Any) -> None:
    sm = harness("Plain")
    approved = sm.start(_name(), {"rma": "R1", "amount": 40})
    rejected = sm.start(_name(), {"rma": "R2", "amount": 400})
    done = sm.wait_for(approved, "SUCCEEDED", timeout=10)
    assert done["output"]["decision"] == "approve"
    failed = sm.wait_for(rejected, "FAILED", timeout=10)
    assert (failed["error"], failed["cause"]) == ("Rejected", "over the limit")
    assert sm.states_entered(approved) == ["DecideTask", "Approved?", "Approved"]

    # The handler got the execution input as its event, and a Lambda-shaped context.
    call = sm.wait_for_invocation("Decide", lambda c: c.event.get("rma") == "R1")
    assert call.event == {"rma": "R1", "amount": 40}
    context = next(c for c in workflow.contexts if c.aws_request_id == call.request_id)
    assert context.invoked_function_arn == lambda_arn(context.function_name)
    assert context.function_name == sm.functions[next(k for k in sm.functions if k.startswith("Decide"))]
    assert context.memory_limit_in_mb == 256 and 0 < context.get_remaining_time_in_millis() <= 10_000
    # DynamoDB stayed on DynamoDB Local while moto ran the state machine.
    assert call.result["endpoint"] == local_aws.ddb.endpoint


def test_concurrent_executions_dispatch_safely(harness: Any, workflow: Workflow) -> None:
    sm = harness("Plain")
    arns = [sm.start(_name(), {"rma": f"C{i}", "amount": i}) for i in range(6)]
    for arn in arns:
        assert sm.wait_for(arn, "SUCCEEDED", timeout=10)["output"]["decision"] == "approve"
    calls = [c for c in sm.invocations("Decide") if str(c.event.get("rma", "")).startswith("C")]
    assert len(calls) == 6 and len({c.request_id for c in calls}) == 6
    assert workflow.max_active > 1  # handlers really overlapped, on moto's request threads


def test_wait_for_task_token_resumes_once(harness: Any, workflow: Workflow) -> None:
    sm = harness("Tokens")
    rma = _name()
    arn = sm.start(rma, {"rma": rma})
    sm.wait_for_invocation("Notify", lambda c: c.event.get("rma") == rma and c.event["step"] == "carrier")
    first = workflow.tokens[(rma, "carrier")]

    # Application code resumes the execution with plain boto3 (AWS_ENDPOINT_URL_SFN).
    client = boto3.client("stepfunctions")
    client.send_task_success(taskToken=first, output=json.dumps({"status": "delivered"}))
    sm.wait_for_invocation("Notify", lambda c: c.event.get("rma") == rma and c.event["step"] == "inspection")
    assert sm.describe(arn)["status"] == "RUNNING"

    # moto 5.2.5: the used token, sent again while the execution waits elsewhere, is accepted
    # silently (AWS answers TaskTimedOut) and changes nothing.
    client.send_task_success(taskToken=first, output=json.dumps({"status": "lost"}))
    client.send_task_success(
        taskToken=workflow.tokens[(rma, "inspection")], output=json.dumps({"grade": "resellable"})
    )
    out = sm.wait_for(arn, "SUCCEEDED", timeout=10)["output"]
    assert out == {"rma": rma, "carrier": {"status": "delivered"}, "inspection": {"grade": "resellable"}}

    # Once the execution is closed, moto answers InvalidToken.
    with pytest.raises(ClientError) as raised:
        client.send_task_success(taskToken=first, output="{}")
    assert raised.value.response["Error"]["Code"] == "InvalidToken"
    assert sm.describe(arn)["output"] == out
    assert sm.states_entered(arn) == ["AwaitCarrier", "AwaitInspection", "Closed"]


def test_task_timeout_is_enforced_and_caught(harness: Any, workflow: Workflow) -> None:
    sm = harness("Expiry")
    rma = _name()
    started = time.monotonic()
    arn = sm.start(rma, {"rma": rma})
    done = sm.wait_for(arn, "SUCCEEDED", timeout=8)
    took = time.monotonic() - started
    assert 1.9 <= took < 5, took
    assert done["output"] == {"expired": True}
    assert sm.states_entered(arn) == ["AwaitLabel", "Expired"]
    kinds = [e["type"] for e in sm.history(arn)]
    assert "TaskTimedOut" in kinds
    late = workflow.tokens[(rma, "label")]
    with pytest.raises(ClientError) as raised:  # too late: the execution has moved on and closed
        boto3.client("stepfunctions").send_task_success(taskToken=late, output="{}")
    assert raised.value.response["Error"]["Code"] == "InvalidToken"


def test_heartbeat_keeps_a_task_alive_until_it_stops(harness: Any, workflow: Workflow) -> None:
    sm = harness("Heartbeat")
    rma = _name()
    arn = sm.start(rma, {"rma": rma})
    sm.wait_for_invocation("Notify", lambda c: c.event.get("rma") == rma)
    client = boto3.client("stepfunctions")
    for _ in range(4):  # 2 s of heartbeats, twice HeartbeatSeconds
        client.send_task_heartbeat(taskToken=workflow.tokens[(rma, "scan")])
        time.sleep(0.5)
    assert sm.describe(arn)["status"] == "RUNNING"
    stopped = time.monotonic()
    done = sm.wait_for(arn, "SUCCEEDED", timeout=5)
    assert time.monotonic() - stopped < 2
    # moto 5.2.5 names a heartbeat timeout States.Timeout, so a Catch on States.HeartbeatTimeout
    # (which AWS documents) does not fire locally: catch States.Timeout too.
    assert done["output"]["error"]["Error"] == "States.Timeout"
    assert sm.states_entered(arn) == ["AwaitScan", "TimedOut"]


def test_retry_then_catch_records_the_failure(harness: Any, workflow: Workflow) -> None:
    sm = harness("Failing")
    flaky, declined = _name(), _name()
    flaky_arn = sm.start(flaky, {"rma": flaky, "mode": "flaky"})
    declined_arn = sm.start(declined, {"rma": declined, "mode": "declined"})

    out = sm.wait_for(flaky_arn, "SUCCEEDED", timeout=10)["output"]
    # Attempt 1: a Lambda service error, retried after IntervalSeconds; attempt 2: the function
    # raised ValueError, which no retrier names, so the States.ALL catcher ran the recording task.
    assert workflow.refund_calls[flaky] == 2
    assert out["error"]["Error"] == "ValueError"
    cause = json.loads(out["error"]["Cause"])
    assert cause["errorType"] == "ValueError" and "attempt 2" in cause["errorMessage"]
    assert out["recorded"] == {"alerted": True}
    assert workflow.recorded[-1]["error"]["Error"] == "ValueError"
    calls = sm.invocations("Refund")
    attempts = [c for c in calls if c.event.get("rma") == flaky]
    assert attempts[1].started - attempts[0].ended >= 0.9  # the retry interval is really waited
    kinds = [e["type"] for e in sm.history(flaky_arn)]
    assert kinds.count("TaskFailed") == 2

    out = sm.wait_for(declined_arn, "SUCCEEDED", timeout=10)["output"]
    assert out["error"]["Error"] == "RefundDeclined" and workflow.refund_calls[declined] == 1
    assert sm.states_entered(declined_arn) == ["RefundTask", "Declined"]


def test_invoke_answers_in_lambdas_shapes(harness: Any) -> None:
    """Application code calling Lambda (AWS_ENDPOINT_URL_LAMBDA) sees what Lambda would return."""
    sm = harness("Failing")
    client = boto3.client("lambda")
    name = sm.functions[next(k for k in sm.functions if k.startswith("Refund"))]

    def invoke(mode: str) -> dict[str, Any]:
        return client.invoke(FunctionName=name, Payload=json.dumps({"rma": _name(), "mode": mode}))

    ok = invoke("fine")
    assert "FunctionError" not in ok and json.load(ok["Payload"]) == {"refunded": True}
    crashed = invoke("broken")
    assert crashed["FunctionError"] == "Unhandled"
    body = json.load(crashed["Payload"])
    assert body["errorType"] == "ValueError" and body["stackTrace"]
    unserializable = invoke("unserializable")
    assert json.load(unserializable["Payload"])["errorType"] == "Runtime.MarshalError"
    with pytest.raises(ClientError) as raised:
        invoke("throttled")
    error = raised.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
        "TooManyRequestsException",
        429,
    )


def test_state_overrides_shorten_a_synthesized_wait(template: dict[str, Any]) -> None:
    asl, _ = definition_from_template(template, "Tokens")
    shorter = json.loads(override_states(asl, {"AwaitCarrier": {"TimeoutSeconds": 1}}))
    assert shorter["States"]["AwaitCarrier"]["TimeoutSeconds"] == 1
    assert shorter["States"]["AwaitInspection"] == json.loads(asl)["States"]["AwaitInspection"]
    with pytest.raises(TemplateError):
        override_states(asl, {"NoSuchState": {"TimeoutSeconds": 1}})


def test_start_execution_twice_with_the_same_name(harness: Any, workflow: Workflow) -> None:
    sm = harness("Tokens")
    rma = _name()
    arn = sm.start(rma, {"rma": rma})
    assert sm.start(rma, {"rma": rma}) == arn  # running, same input: the same execution
    client = boto3.client("stepfunctions")
    with pytest.raises(client.exceptions.ExecutionAlreadyExists):  # running, other input
        sm.start(rma, {"rma": rma, "other": 1})
    sm.wait_for_invocation("Notify", lambda c: c.event.get("rma") == rma and c.event["step"] == "carrier")
    # moto 5.2.5: StopExecution only takes effect when the current wait ends (the token, or the
    # task's timeout): until then the execution still reads RUNNING.
    client.stop_execution(executionArn=arn)
    time.sleep(0.3)
    assert sm.describe(arn)["status"] == "RUNNING"
    client.send_task_success(taskToken=workflow.tokens[(rma, "carrier")], output="{}")
    sm.wait_for(arn, "ABORTED", timeout=5)
    with pytest.raises(client.exceptions.ExecutionAlreadyExists):  # closed: the name stays taken
        sm.start(rma, {"rma": rma})
    assert len([c for c in sm.invocations("Notify") if c.event.get("rma") == rma]) == 1


def test_dispatch_is_installed_on_the_moto_it_was_checked_on() -> None:
    """The patch is version-checked: a moto upgrade must re-run and re-read these tests."""
    import moto
    from moto.awslambda_simple.models import LambdaSimpleBackend

    install_lambda_dispatch()
    assert "local.stepfunctions" in (LambdaSimpleBackend.invoke.__doc__ or "")
    assert moto.__version__ == MOTO_VERSION_CHECKED, (
        f"moto {moto.__version__}: re-check local/stepfunctions/ and the moto behaviours asserted here"
    )
