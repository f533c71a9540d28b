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
    """What the template depends on: the CDK code, cdk.json and the pinned packages."""
    digest = hashlib.sha256()
    for path in sorted(
        [*ROOT.glob("infra/**/*.py"), ROOT / "cdk.json", ROOT / "constraints.txt", ROOT / "pyproject.toml"]
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
    from aws_cdk import App
    from aws_cdk.assertions import Template

    from infra.cdk.app import build_app

    # Emails go through SES (moto's, local/notifications.py) from a local sender, as a deployment
    # with -c notify_sender=... sends them.
    _, stack = build_app(App(context=offline_context(notify_sender=LOCAL_SENDER)))
    return dict(Template.from_stack(stack).to_json())
