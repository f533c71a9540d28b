"""The CloudFormation template production deploys, synthesized offline for the local stack.

Assets are staged but not bundled (no pip run for the layer): locally the code runs from the
checkout, in-process. Needs Node.js, as `cdk synth` does.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class NodeMissing(RuntimeError):
    pass


LOCAL_SENDER = "returns@boomerang.local"


def offline_context(**values: Any) -> dict[str, Any]:
    """cdk.json's context, with bundling skipped for every stack."""
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    context["aws:cdk:bundling-stacks"] = []
    context.update(values)
    return context


def fingerprint() -> str:
    """What the template depends on: the CDK code, the route tables it reads (boomerang.api.routes),
    cdk.json and the pinned packages."""
    digest = hashlib.sha256()
    routes = ROOT / "layers" / "core" / "python" / "boomerang" / "api" / "routes.py"
    for path in sorted(
        [
            *ROOT.glob("infra/**/*.py"),
            routes,
            ROOT / "cdk.json",
            ROOT / "constraints.txt",
            ROOT / "pyproject.toml",
        ]
    ):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cached_template() -> dict[str, Any]:
    """The synthesized template, reused while nothing it depends on changed (synthesis takes
    Node.js ten seconds or so; a warm `make local` should not pay it)."""
    cache = ROOT / ".build" / "local" / f"template-{fingerprint()}.json"
    if cache.exists():
        return dict(json.loads(cache.read_text()))
    template = synthesize_template()
    cache.parent.mkdir(parents=True, exist_ok=True)
    for old in cache.parent.glob("template-*.json"):
        old.unlink(missing_ok=True)
    # Written whole, then renamed: a second stack starting at the same time reads all or nothing.
    partial = cache.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(template))
    partial.replace(cache)
    return template


def synthesize_template() -> dict[str, Any]:
    if shutil.which("node") is None:
        raise NodeMissing("Node.js is needed to synthesize the CDK app (install Node.js 20 or newer).")
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    # Emails go through SES (moto's, local/notifications.py) from a local sender, as a deployment
    # with -c notify_sender=... sends them.
    from aws_cdk import App, NestedStack
    from aws_cdk.assertions import Template

    from infra.cdk.app import build_app

    _, stack = build_app(App(context=offline_context(notify_sender=LOCAL_SENDER)))
    template = dict(Template.from_stack(stack).to_json())
    for nested in stack.node.find_all():
        if isinstance(nested, NestedStack) and nested.nested_stack_parent is stack:
            logical_id = stack.resolve(nested.nested_stack_resource.logical_id)  # type: ignore[union-attr]
            template = inline_nested(template, str(logical_id), dict(Template.from_stack(nested).to_json()))
    return template


def _substitute(value: Any, replace: Any) -> Any:
    found = replace(value)
    if found is not None:
        return found
    if isinstance(value, dict):
        return {k: _substitute(v, replace) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, replace) for v in value]
    return value


def inline_nested(parent: dict[str, Any], logical_id: str, nested: dict[str, Any]) -> dict[str, Any]:
    """The parent template with a nested stack's resources in it, as if they were the parent's own:
    the nested template's parameters become the parent's values for them, and the parent's reads
    of the nested stack's outputs become those outputs' values. Only nested stacks with functions of
    ours are inlined (the local stack runs functions, tables and routes; a nested stack of alarms
    has nothing for it)."""
    has_code = any(
        (r.get("Metadata") or {}).get("boomerang:code")
        for r in nested.get("Resources", {}).values()
        if r.get("Type") == "AWS::Lambda::Function"
    )
    if not has_code:
        return parent
    given = parent["Resources"][logical_id].get("Properties", {}).get("Parameters", {})

    def parameter(value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in given:
            return given[value["Ref"]]
        return None

    resources = _substitute(nested.get("Resources", {}), parameter)
    outputs = _substitute(nested.get("Outputs", {}), parameter)

    def output(value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"Fn::GetAtt"}:
            target, attribute = value["Fn::GetAtt"]
            if target == logical_id and str(attribute).startswith("Outputs."):
                return outputs[str(attribute).removeprefix("Outputs.")]["Value"]
        return None

    def without_stack(resource: dict[str, Any]) -> dict[str, Any]:
        depends = resource.get("DependsOn")
        if isinstance(depends, list) and logical_id in depends:
            resource = {**resource, "DependsOn": [d for d in depends if d != logical_id]}
        return resource

    merged = dict(parent)
    merged["Resources"] = {
        **{
            k: without_stack(_substitute(v, output))
            for k, v in parent["Resources"].items()
            if k != logical_id
        },
        **resources,
    }
    if "Outputs" in parent:
        merged["Outputs"] = _substitute(parent["Outputs"], output)
    return merged
