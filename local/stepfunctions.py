"""Run a CDK-synthesized state machine on moto's Step Functions interpreter, Lambda tasks in-process.

Why this shape:
- moto 5 ships LocalStack's ASL interpreter (`moto.stepfunctions.parser`). With the moto config
  `{"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}` it really
  runs a definition: Choice, Retry, Catch, TimeoutSeconds, HeartbeatSeconds, `.waitForTaskToken`.
- The interpreter calls Lambda through boto3 (`lambda:Invoke`), which lands in
  `moto.awslambda_simple`'s backend. That backend only echoes the payload, so we replace its
  `invoke` (one small, version-checked patch, `install_lambda_dispatch`) to call the Python handler
  registered for the function, in this process, and to answer the way Lambda answers: the JSON
  result, or an `Unhandled` function error whose `errorType` is the exception's class name (what
  `Catch`/`Retry` match), or a Lambda *service* error (`Lambda.ServiceException`, ...) when the
  handler raises `LambdaServiceError`.
- moto runs as its ThreadedMotoServer on a loopback port (local/environment.py) rather than as
  `mock_aws`: `mock_aws` intercepts every boto3 call in the process, DynamoDB included, and the
  tables live in DynamoDB Local. The server shares this process's backends, so the patched
  `invoke` is the one the server runs. Application code reaches it through the service-specific
  endpoint variables (AWS_ENDPOINT_URL_SFN, AWS_ENDPOINT_URL_LAMBDA), set by `LocalStepFunctions`.
- The interpreter's own boto3 clients ignore those variables: they call
  `http://localhost:$MOTO_PORT`, so MOTO_PORT must name the server's port (set here too).
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import re
import threading
import time
import traceback
import urllib.request
import warnings
import zipfile
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any
from urllib.parse import urlparse

import boto3
from botocore.config import Config

from local.apigw_events import LambdaContext

ACCOUNT_ID = "123456789012"  # moto's default account: what every local ARN carries
REGION = "us-east-1"
MOTO_VERSION_CHECKED = "5.2.5"

Handler = Callable[[dict[str, Any], Any], Any]
StatusOrPredicate = str | Iterable[str] | Callable[[dict[str, Any]], bool]

TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})

MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


# --------------------------------------------------------------------------------------------
# Template -> concrete ASL
# --------------------------------------------------------------------------------------------


class TemplateError(ValueError):
    """The template holds something this resolver does not turn into a local value."""


def lambda_arn(function_name: str, *, account: str = ACCOUNT_ID, region: str = REGION) -> str:
    return f"arn:aws:lambda:{region}:{account}:function:{function_name}"


def _literal_name(resource: Mapping[str, Any], prop: str, default: str) -> str:
    value = resource.get("Properties", {}).get(prop)
    return value if isinstance(value, str) else default


def function_name_for(logical_id: str, resource: Mapping[str, Any]) -> str:
    """The local function name: the template's literal FunctionName, else the logical id."""
    return _literal_name(resource, "FunctionName", logical_id)


class TemplateResolver:
    """Resolves the intrinsic functions CDK puts in a state machine definition.

    Ref/GetAtt of the usual resources become the values moto would give them; anything else must
    be named in `overrides` ("LogicalId" for Ref, "LogicalId.Attribute" for GetAtt), so nothing
    unresolved reaches the definition silently.
    """

    def __init__(self, template: Mapping[str, Any], overrides: Mapping[str, str], account: str, region: str):
        self.resources: Mapping[str, Any] = template.get("Resources", {})
        self.parameters: Mapping[str, Any] = template.get("Parameters", {})
        self.overrides = overrides
        self.account = account
        self.region = region
        self.functions: dict[str, str] = {}  # Lambda logical id -> function name, as referenced

    def pseudo(self, name: str) -> str | None:
        return {
            "AWS::Partition": "aws",
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": "local",
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{self.account}:stack/local/local",
        }.get(name)

    def ref(self, name: str) -> str:
        if name in self.overrides:
            return self.overrides[name]
        pseudo = self.pseudo(name)
        if pseudo is not None:
            return pseudo
        if name in self.parameters:
            default = self.parameters[name].get("Default")
            if default is None:
                raise TemplateError(f"parameter {name} has no Default: give it in overrides")
            return str(default)
        resource = self._resource(name)
        kind, r, a = resource["Type"], self.region, self.account
        if kind == "AWS::Lambda::Function":
            self.functions[name] = function_name_for(name, resource)
            return self.functions[name]
        if kind == "AWS::SNS::Topic":
            return f"arn:aws:sns:{r}:{a}:{_literal_name(resource, 'TopicName', name)}"
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{r}.amazonaws.com/{a}/{_literal_name(resource, 'QueueName', name)}"
        if kind == "AWS::StepFunctions::StateMachine":
            return f"arn:aws:states:{r}:{a}:stateMachine:{_literal_name(resource, 'StateMachineName', name)}"
        names = {
            "AWS::DynamoDB::Table": "TableName",
            "AWS::S3::Bucket": "BucketName",
            "AWS::Events::EventBus": "Name",
            "AWS::IAM::Role": "RoleName",
        }
        if kind in names:
            return _literal_name(resource, names[kind], name)
        raise TemplateError(f"no local value for Ref {name} ({kind}): give it in overrides")

    def get_att(self, name: str, attribute: str) -> str:
        key = f"{name}.{attribute}"
        if key in self.overrides:
            return self.overrides[key]
        resource = self._resource(name)
        kind, r, a = resource["Type"], self.region, self.account
        if kind == "AWS::Lambda::Function" and attribute == "Arn":
            self.functions[name] = function_name_for(name, resource)
            return lambda_arn(self.functions[name], account=a, region=r)
        if attribute == "Arn":
            local = self.ref(name)
            arns = {
                "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{r}:{a}:table/{local}",
                "AWS::S3::Bucket": f"arn:aws:s3:::{local}",
                "AWS::Events::EventBus": f"arn:aws:events:{r}:{a}:event-bus/{local}",
                "AWS::IAM::Role": f"arn:aws:iam::{a}:role/{local}",
                "AWS::SQS::Queue": f"arn:aws:sqs:{r}:{a}:{local.rsplit('/', 1)[-1]}",
            }
            if kind in arns:
                return arns[kind]
        if kind == "AWS::SQS::Queue" and attribute == "QueueName":
            return self.ref(name).rsplit("/", 1)[-1]
        if kind == "AWS::SQS::Queue" and attribute == "QueueUrl":
            return self.ref(name)
        raise TemplateError(f"no local value for GetAtt {key} ({kind}): give it in overrides")

    def _resource(self, name: str) -> Mapping[str, Any]:
        if name not in self.resources:
            raise TemplateError(f"the template has no resource {name}")
        return self.resources[name]  # type: ignore[no-any-return]

    def sub(self, text: str, variables: Mapping[str, Any]) -> str:
        def replace(found: re.Match[str]) -> str:
            token = found.group(1)
            if token.startswith("!"):  # ${!Literal} stands for the literal ${Literal}
                return "${" + token[1:] + "}"
            if token in variables:
                return self.string(variables[token])
            if "." in token:
                return self.get_att(*token.split(".", 1))
            return self.ref(token)

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def string(self, node: Any) -> str:
        value = self.resolve(node)
        if not isinstance(value, str):
            raise TemplateError(f"expected a string, resolved {node!r} to {value!r}")
        return value

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                name, attribute = arg.split(".", 1) if isinstance(arg, str) else arg
                return self.get_att(name, attribute)
            if key == "Fn::Join":
                separator, parts = arg
                return separator.join(self.string(part) for part in self.resolve(parts))
            if key == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else arg
                return self.sub(text, variables)
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                separator, text = arg
                return self.string(text).split(separator)
            if key.startswith("Fn::"):
                raise TemplateError(f"unsupported intrinsic {key} in the state machine definition")
        return {k: self.resolve(v) for k, v in node.items()}


def state_machines_in(template: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {
        lid: res
        for lid, res in template.get("Resources", {}).items()
        if res.get("Type") == "AWS::StepFunctions::StateMachine"
    }


def _names(key: str, logical_id: str, resource: Mapping[str, Any], name_prop: str) -> bool:
    """Whether `key` names the resource: its logical id, that id without CDK's 8-character hash
    ("Decide" for "Decide85A9C3CA"), its literal physical name, or the end of its construct path
    (`aws:cdk:path` metadata, which cdk.out templates carry)."""
    path = resource.get("Metadata", {}).get("aws:cdk:path", "")
    return (
        key == logical_id
        or re.fullmatch(re.escape(key) + "[0-9A-F]{8}", logical_id) is not None
        or key == resource.get("Properties", {}).get(name_prop)
        or (bool(path) and path.endswith(f"/{key}/Resource"))
    )


def pick_state_machine(template: Mapping[str, Any], key: str | None = None) -> str:
    """The logical id of the state machine `key` names (see `_names`); optional when there is one."""
    machines = state_machines_in(template)
    hits = [lid for lid, res in machines.items() if key is None or _names(key, lid, res, "StateMachineName")]
    if len(hits) != 1:
        found = hits or "no state machine"
        raise TemplateError(f"{key!r} names {found}; the template has {sorted(machines)}")
    return hits[0]


def definition_from_template(
    template: Mapping[str, Any],
    state_machine_logical_id: str | None = None,
    *,
    overrides: Mapping[str, str] | None = None,
    account: str = ACCOUNT_ID,
    region: str = REGION,
) -> tuple[str, dict[str, str]]:
    """The concrete ASL of a synthesized state machine, and the Lambda functions it calls.

    Lambda ARNs become `arn:aws:lambda:<region>:<account>:function:<name>`, the name being the
    function's literal FunctionName or else its logical id. Returns (ASL JSON, {logical id:
    function name}) for the functions the definition references.
    """
    state_machine_logical_id = pick_state_machine(template, state_machine_logical_id)
    props = state_machines_in(template)[state_machine_logical_id].get("Properties", {})
    resolver = TemplateResolver(template, overrides or {}, account, region)
    if "DefinitionString" in props:
        definition = resolver.string(props["DefinitionString"])
    elif "Definition" in props:
        definition = json.dumps(resolver.resolve(props["Definition"]))
    else:
        raise TemplateError("only DefinitionString/Definition are supported (not DefinitionS3Location)")
    for key, value in (props.get("DefinitionSubstitutions") or {}).items():
        definition = definition.replace("${" + key + "}", resolver.string(value))
    json.loads(definition)  # fail here, not inside moto, if the result is not JSON
    return definition, dict(resolver.functions)


def override_states(definition: str, state_overrides: Mapping[str, Mapping[str, Any]]) -> str:
    """The definition with fields of named states replaced, e.g. {"AwaitLabelUse": {"TimeoutSeconds":
    3}} so a test sees a 30-day expiry in seconds. States inside Parallel branches and Map
    processors count too. A deliberate, visible deviation from the synthesized definition: moto
    waits in real time (timeouts, heartbeats, Wait states, Retry intervals)."""
    asl = json.loads(definition)
    seen: set[str] = set()

    def visit(machine: dict[str, Any]) -> None:
        for name, state in machine.get("States", {}).items():
            if name in state_overrides:
                state.update(state_overrides[name])
                seen.add(name)
            for branch in state.get("Branches", []):
                visit(branch)
            for key in ("Iterator", "ItemProcessor"):
                if key in state:
                    visit(state[key])

    visit(asl)
    unknown = sorted(set(state_overrides) - seen)
    if unknown:
        raise TemplateError(f"state_overrides name no state: {unknown}")
    return json.dumps(asl)


def match_handlers(
    template: Mapping[str, Any], handlers: Mapping[str, Handler], needed: Iterable[str]
) -> dict[str, Handler]:
    """Handlers by function logical id; a key names a function as `_names` says. Every function
    the state machine calls (`needed`) must have one: an unhandled call would only echo."""
    functions = {
        lid: res
        for lid, res in template.get("Resources", {}).items()
        if res.get("Type") == "AWS::Lambda::Function"
    }
    matched: dict[str, Handler] = {}
    for key, handler in handlers.items():
        hits = [lid for lid, res in functions.items() if _names(key, lid, res, "FunctionName")]
        if len(hits) != 1:
            raise TemplateError(
                f"handler key {key!r} matches {hits or 'no function'}; functions: {sorted(functions)}"
            )
        if hits[0] in matched:
            raise TemplateError(f"two handler keys name {hits[0]}")
        matched[hits[0]] = handler
    missing = sorted(set(needed) - set(matched))
    if missing:
        raise TemplateError(f"the state machine calls {missing} but no handler was given for them")
    return matched


# --------------------------------------------------------------------------------------------
# In-process Lambda dispatch
# --------------------------------------------------------------------------------------------


class LambdaServiceError(Exception):
    """Raise from a handler to fail the Invoke *call*, as the Lambda service does when it throttles
    or breaks: Step Functions then reports `Lambda.<code>`: Lambda.ServiceException (500, one of
    the errors CDK's LambdaInvoke retries by default), Lambda.TooManyRequestsException (429)..."""

    def __init__(self, code: str = "ServiceException", message: str = "", status: int = 500):
        super().__init__(message or code)
        self.code = code
        self.message = message or f"local {code}"
        self.status = status


@dataclass
class TaskLambdaContext(LambdaContext):
    """The Lambda `context`, with the ARN and limits of the function moto holds."""

    function_arn: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.function_arn:
            self.invoked_function_arn = self.function_arn


@dataclass
class Invocation:
    """One handler call, as recorded for tests and benchmarks."""

    function_name: str
    event: Any
    request_id: str
    started: float
    ended: float = 0.0
    result: Any = None
    error_type: str | None = None  # set when the handler raised
    error_message: str | None = None


@dataclass
class _Target:
    handler: Handler
    owner: object


class _Dispatch:
    """Handlers by (account, region, function name), and the invocation log.

    The server runs each Invoke on its own request thread, and executions run concurrently, so
    every access goes through one lock; waiters are woken through a Condition.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._targets: dict[tuple[str, str, str], _Target] = {}
        self.invocations: deque[Invocation] = deque(maxlen=10_000)  # bounded for `make local`

    def register(self, key: tuple[str, str, str], target: _Target) -> None:
        with self._cond:
            self._targets[key] = target

    def unregister(self, owner: object) -> None:
        with self._cond:
            for key in [k for k, t in self._targets.items() if t.owner is owner]:
                del self._targets[key]

    def target(self, key: tuple[str, str, str]) -> _Target | None:
        with self._cond:
            return self._targets.get(key)

    def record(self, invocation: Invocation) -> None:
        with self._cond:
            self.invocations.append(invocation)
            self._cond.notify_all()

    def finished(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def snapshot(self) -> list[Invocation]:
        with self._cond:
            return list(self.invocations)

    def wait(self, found: Callable[[], Invocation | None], timeout: float) -> Invocation | None:
        with self._cond:
            return self._cond.wait_for(found, timeout=timeout)


DISPATCH = _Dispatch()


def _error_payload(error_type: str, message: str, request_id: str, tb: Any = None) -> bytes:
    """What the Python runtime returns for an unhandled exception."""
    stack = traceback.format_list(traceback.extract_tb(tb)) if tb is not None else []
    body = {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": stack}
    return json.dumps(body).encode()


def _run_handler(fn: Any, target: _Target, body: Any) -> tuple[bytes, bool]:
    """Call the handler the way the Lambda runtime would. Returns (payload, function_error)."""
    text = body.decode() if isinstance(body, bytes) else body
    event = json.loads(text) if text else {}
    context = TaskLambdaContext(
        function_name=fn.function_name,
        memory_limit_in_mb=int(fn.memory_size),
        timeout_ms=int(fn.timeout) * 1000,
        log_group_name=f"/aws/lambda/{fn.function_name}",
        function_arn=fn.function_arn,
    )
    call = Invocation(fn.function_name, event, context.aws_request_id, started=time.monotonic())
    DISPATCH.record(call)
    try:
        try:
            result = target.handler(event, context)
        finally:
            call.ended = time.monotonic()
        try:
            payload = json.dumps(result).encode()
        except (TypeError, ValueError) as exc:
            call.error_type = "Runtime.MarshalError"
            call.error_message = f"Unable to marshal response: {exc}"
            return _error_payload(call.error_type, call.error_message, call.request_id), True
        call.result = result
        return payload, False
    except LambdaServiceError:
        call.error_type, call.error_message = "LambdaServiceError", "raised to the Invoke caller"
        raise
    except Exception as exc:
        call.error_type, call.error_message = type(exc).__name__, str(exc)
        return _error_payload(call.error_type, call.error_message, call.request_id, exc.__traceback__), True
    finally:
        DISPATCH.finished()


_install_lock = threading.Lock()
_installed = False


def install_lambda_dispatch() -> None:
    """Route moto's no-Docker Lambda `invoke` to registered in-process handlers (idempotent).

    The one monkeypatch: `LambdaSimpleBackend.invoke`, checked on moto 5.2.5. It is patched on the
    class, so it survives moto's backend resets; functions without a registered handler keep
    moto's echo behaviour. If moto changes the method, this raises rather than run unpatched.
    """
    global _installed
    with _install_lock:
        if _installed:
            return
        import moto
        from moto.awslambda_simple.models import LambdaSimpleBackend
        from moto.core.exceptions import JsonRESTError

        original = LambdaSimpleBackend.invoke
        expected = ["self", "function_name", "qualifier", "body", "headers", "response_headers"]
        if list(inspect.signature(original).parameters) != expected:
            raise RuntimeError(
                f"moto {moto.__version__}: LambdaSimpleBackend.invoke is no longer "
                f"{expected} (checked on {MOTO_VERSION_CHECKED}); revisit local/stepfunctions.py"
            )
        if moto.__version__ != MOTO_VERSION_CHECKED:
            warnings.warn(
                f"local.stepfunctions was checked on moto {MOTO_VERSION_CHECKED}, running {moto.__version__}",
                stacklevel=2,
            )

        def invoke(
            self: Any,
            function_name: str,
            qualifier: str | None,
            body: Any,
            headers: Any,
            response_headers: Any,
        ) -> str | bytes | None:
            fn = self.get_function(function_name, qualifier)  # unknown function: Lambda's 404
            target = DISPATCH.target((self.account_id, self.region_name, fn.function_name))
            if target is None:
                return original(self, function_name, qualifier, body, headers, response_headers)
            try:
                payload, function_error = _run_handler(fn, target, body)
            except LambdaServiceError as exc:
                error = JsonRESTError(exc.code, exc.message)
                error.code = exc.status
                raise error from exc
            if function_error:
                response_headers["x-amz-function-error"] = "Unhandled"
            response_headers["Content-Length"] = str(len(payload))
            return payload

        invoke.__doc__ = "In-process dispatch installed by local.stepfunctions.install_lambda_dispatch."
        LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign]
        _installed = True


# --------------------------------------------------------------------------------------------
# The harness
# --------------------------------------------------------------------------------------------


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
    Handler keys: see `_names`; every function the definition calls needs one.

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
