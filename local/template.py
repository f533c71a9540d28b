"""The CloudFormation template production deploys, synthesized offline for the local stack.

Assets are staged but not bundled (no pip run for the layer): locally the code runs from the
checkout, in-process. Needs Node.js, as `cdk synth` does.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class NodeMissing(RuntimeError):
    pass


def offline_context(**values: Any) -> dict[str, Any]:
    """cdk.json's context, with bundling skipped for every stack."""
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    context["aws:cdk:bundling-stacks"] = []
    context.update(values)
    return context


def synthesize_template() -> dict[str, Any]:
    if shutil.which("node") is None:
        raise NodeMissing("Node.js is needed to synthesize the CDK app (install Node.js 20 or newer).")
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from aws_cdk import App
    from aws_cdk.assertions import Template

    from infra.cdk.app import build_app

    _, stack = build_app(App(context=offline_context()))
    return dict(Template.from_stack(stack).to_json())
