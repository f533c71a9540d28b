"""Template -> concrete ASL: a CDK-synthesized state machine's definition with its intrinsics
(Ref, Fn::GetAtt, Fn::Join, Fn::Sub, ...) resolved to local ARNs, and the handlers matched to the
Lambda functions it calls."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from local.stepfunctions.dispatch import Handler

ACCOUNT_ID = "123456789012"  # moto's default account: what every local ARN carries
REGION = "us-east-1"


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
