"""The harness: LocalStepFunctions deploys one state machine from a synthesized template on the moto
server of this process, routes its Lambda tasks to in-process handlers, starts and watches
executions."""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
import urllib.request
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any
from urllib.parse import urlparse

import boto3
from botocore.config import Config

from local.stepfunctions.dispatch import (
    DISPATCH,
    Invocation,
    _Target,
    install_lambda_dispatch,
    install_parse_cache,
)
from local.stepfunctions.template import (
    ACCOUNT_ID,
    REGION,
    Handler,
    _literal_name,
    definition_from_template,
    function_name_for,
    match_handlers,
    override_states,
    pick_state_machine,
    state_machines_in,
)

StatusOrPredicate = str | Iterable[str] | Callable[[dict[str, Any]], bool]

TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})

MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


def _dummy_zip() -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def configure_moto_server(endpoint: str) -> None:
    """Switch a moto server to executing state machines with Docker-free Lambda (its config API)."""
    request = urllib.request.Request(
        f"{endpoint}/moto-api/config",
        data=json.dumps(MOTO_CONFIG).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        if response.status >= 300:
            raise RuntimeError(f"moto config at {endpoint} answered {response.status}")


class ExecutionEnded(AssertionError):
    """The execution reached a terminal status other than the one waited for."""


@dataclass
class LocalStepFunctions:
    """One state machine from a synthesized template, on a moto server in this process.

    `deploy()` switches the server to executing state machines, sets AWS_ENDPOINT_URL_SFN,
    AWS_ENDPOINT_URL_LAMBDA and MOTO_PORT in os.environ, creates an IAM role, a placeholder Lambda
    function per handler (its code never runs: the handler does) and the state machine (updated
    if it exists), and routes those functions' invocations to `handlers` until `close()`.
    Handler keys: see `_names` (template.py); every function the definition calls needs one.

        sm = LocalStepFunctions(template, {"Decide": decide.handler}, endpoint=aws.moto_endpoint,
                                state_machine="ReturnWorkflow").deploy()
        arn = sm.start(rma, {"rma": rma})
        sm.wait_for(arn, "SUCCEEDED", timeout=10)
    """

    template: Mapping[str, Any]
    handlers: Mapping[str, Handler]
    endpoint: str
    state_machine: str | None = None  # names it as `pick_state_machine` says; optional if only one
    name: str | None = None  # defaults to StateMachineName, else the logical id
    overrides: Mapping[str, str] = field(default_factory=dict)
    state_overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    region: str = REGION
    definition: str = ""
    functions: dict[str, str] = field(default_factory=dict)  # logical id -> name, once deployed
    state_machine_arn: str = ""

    def environment(self) -> dict[str, str]:
        """What application code and moto's interpreter need to reach this server."""
        return {
            "AWS_ENDPOINT_URL_SFN": self.endpoint,
            "AWS_ENDPOINT_URL_LAMBDA": self.endpoint,
            "MOTO_PORT": str(urlparse(self.endpoint).port),
        }

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(retries={"max_attempts": 1}),
        )

    def deploy(self) -> LocalStepFunctions:
        install_lambda_dispatch()
        install_parse_cache()
        os.environ.update(self.environment())
        configure_moto_server(self.endpoint)
        machines = state_machines_in(self.template)
        logical_id = pick_state_machine(self.template, self.state_machine)
        self.definition, self.functions = definition_from_template(
            self.template, logical_id, overrides=self.overrides, region=self.region
        )
        if self.state_overrides:
            self.definition = override_states(self.definition, self.state_overrides)
        resources = self.template["Resources"]
        matched = match_handlers(self.template, self.handlers, self.functions)

        role_arn = self._role()
        lam = self.client("lambda")
        for lid in matched:
            name = function_name_for(lid, resources[lid])
            props = resources[lid].get("Properties", {})
            spec: dict[str, Any] = {
                "FunctionName": name,
                "Runtime": props.get("Runtime") if isinstance(props.get("Runtime"), str) else "python3.11",
                "Role": role_arn,
                "Handler": "index.handler",
                "Code": {"ZipFile": _dummy_zip()},
            }
            for prop in ("Timeout", "MemorySize"):
                if isinstance(props.get(prop), int):
                    spec[prop] = props[prop]
            # Deployed before: the handler registered below replaces the old one.
            with contextlib.suppress(lam.exceptions.ResourceConflictException):
                lam.create_function(**spec)
            DISPATCH.register(
                (ACCOUNT_ID, self.region, name),
                _Target(matched[lid], owner=self),
            )
            self.functions[lid] = name
        self._check_same_process()

        sfn = self.client("stepfunctions")
        sm_name = self.name or _literal_name(machines[logical_id], "StateMachineName", logical_id)
        sm_type = machines[logical_id].get("Properties", {}).get("StateMachineType", "STANDARD")
        arn = f"arn:aws:states:{self.region}:{ACCOUNT_ID}:stateMachine:{sm_name}"
        try:
            sfn.describe_state_machine(stateMachineArn=arn)
            sfn.update_state_machine(stateMachineArn=arn, definition=self.definition, roleArn=role_arn)
        except sfn.exceptions.StateMachineDoesNotExist:
            arn = sfn.create_state_machine(
                name=sm_name, definition=self.definition, roleArn=role_arn, type=sm_type
            )["stateMachineArn"]
        self.state_machine_arn = arn
        return self

    def _role(self) -> str:
        iam = self.client("iam")
        name = "boomerang-local-execution"
        try:
            return str(iam.get_role(RoleName=name)["Role"]["Arn"])
        except iam.exceptions.NoSuchEntityException:
            trust = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
            return str(
                iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
            )

    def _check_same_process(self) -> None:
        """The handlers only run if the server's backends are this process's."""
        from moto.awslambda_simple.models import lambda_simple_backends

        backend = lambda_simple_backends[ACCOUNT_ID][self.region]
        for name in self.functions.values():
            try:
                backend.get_function(name, None)
            except Exception as exc:
                raise RuntimeError(
                    f"function {name} is not in this process's moto Lambda backend: the server at "
                    f"{self.endpoint} must be a ThreadedMotoServer started in this process, with "
                    "lambda use_docker False"
                ) from exc

    def close(self) -> None:
        """Stop routing this harness's functions to its handlers."""
        DISPATCH.unregister(self)

    def __enter__(self) -> LocalStepFunctions:
        return self.deploy()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Executions -------------------------------------------------------------------------

    def start(self, name: str, input: Mapping[str, Any] | None = None) -> str:
        response = self.client("stepfunctions").start_execution(
            stateMachineArn=self.state_machine_arn, name=name, input=json.dumps(input or {})
        )
        return str(response["executionArn"])

    def describe(self, execution_arn: str) -> dict[str, Any]:
        """describe_execution, with `input`/`output` parsed."""
        out = dict(self.client("stepfunctions").describe_execution(executionArn=execution_arn))
        for key in ("input", "output"):
            if isinstance(out.get(key), str):
                out[key] = json.loads(out[key])
        return out

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        sfn = self.client("stepfunctions")
        events: list[dict[str, Any]] = []
        for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
            events.extend(page["events"])
        return events

    def states_entered(self, execution_arn: str) -> list[str]:
        """Names of the states entered, in order (a Standard workflow bills one transition each)."""
        events = self.history(execution_arn)
        return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]

    def wait_for(
        self, execution_arn: str, until: StatusOrPredicate = "SUCCEEDED", timeout: float = 10.0
    ) -> dict[str, Any]:
        """Poll until the execution has a status in `until` (or `until(describe)` is true).

        Returns the description. Raises ExecutionEnded at once if it ends otherwise, TimeoutError
        after `timeout` seconds; both messages carry the history's last events.
        """
        if callable(until):
            predicate = until
        else:
            wanted = {until} if isinstance(until, str) else set(until)

            def predicate(d: dict[str, Any]) -> bool:
                return d["status"] in wanted

        deadline = time.monotonic() + timeout
        while True:
            described = self.describe(execution_arn)
            if predicate(described):
                return described
            if described["status"] in TERMINAL:  # nothing will change any more
                raise ExecutionEnded(self._explain(execution_arn, described))
            if time.monotonic() >= deadline:
                raise TimeoutError(f"after {timeout}s: {self._explain(execution_arn, described)}")
            time.sleep(0.05)

    def _explain(self, execution_arn: str, described: Mapping[str, Any]) -> str:
        tail = [
            {k: v for k, v in e.items() if k not in ("timestamp",)} for e in self.history(execution_arn)[-4:]
        ]
        return f"{execution_arn} is {described['status']}; last events: {json.dumps(tail, default=str)}"

    # Invocations ------------------------------------------------------------------------

    def invocations(self, function: str | None = None) -> list[Invocation]:
        """The handler calls so far for this harness's functions (or one, by key or name)."""
        names = set(self.functions.values()) if function is None else {self._function_name(function)}
        return [i for i in DISPATCH.snapshot() if i.function_name in names]

    def wait_for_invocation(
        self,
        function: str,
        predicate: Callable[[Invocation], bool] | None = None,
        timeout: float = 5.0,
        finished: bool = True,
    ) -> Invocation:
        """The first (finished, by default) handler call of `function` matching `predicate`."""
        name = self._function_name(function)

        def found() -> Invocation | None:
            for call in DISPATCH.invocations:
                if call.function_name != name or (finished and not call.ended):
                    continue
                if predicate is None or predicate(call):
                    return call
            return None

        hit = DISPATCH.wait(found, timeout)
        if hit is None:
            raise TimeoutError(f"no matching invocation of {name} within {timeout}s")
        return hit

    def _function_name(self, key: str) -> str:
        if key in self.functions.values():
            return key
        if key in self.functions:
            return self.functions[key]
        hits = [n for lid, n in self.functions.items() if re.fullmatch(re.escape(key) + "[0-9A-F]{8}", lid)]
        if len(hits) != 1:
            raise KeyError(f"{key!r} names none of {self.functions}")
        return hits[0]
