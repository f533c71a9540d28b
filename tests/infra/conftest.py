"""Synthesizes the CDK app once per test session, as `cdk synth` builds it (cdk.json context, cdk-nag
checks) but with asset bundling skipped: building the layers runs pip and belongs to `cdk synth`
(tests/infra/test_layer_build.py builds one for real)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

# jsii prints a banner on every start under Node 20; the value is the Node major version to silence.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import App  # starts jsii: after the variable above
from aws_cdk.assertions import Template

from infra.cdk.app import build_app
from infra.cdk.constructs.function_layers import LockedLayerBundling
from local.template import offline_context

REPO_ROOT = Path(__file__).resolve().parents[2]


class Synthesized:
    def __init__(self, app: Any, stack: Any) -> None:
        self.app = app
        self.stack = stack
        self.template = Template.from_stack(stack)
        self.resources: dict[str, Any] = self.template.to_json()["Resources"]

    def of_type(self, resource_type: str) -> dict[str, Any]:
        return {key: r for key, r in self.resources.items() if r["Type"] == resource_type}

    def one(self, resource_type: str, **properties: Any) -> tuple[str, dict[str, Any]]:
        """The logical id and properties of the single resource of that type with those properties."""
        found = [
            (key, r["Properties"])
            for key, r in self.of_type(resource_type).items()
            if all(r["Properties"].get(name) == value for name, value in properties.items())
        ]
        assert len(found) == 1, f"{len(found)} {resource_type} with {properties}"
        return found[0]

    def function(self, service: str) -> tuple[str, dict[str, Any]]:
        """The Lambda function whose POWERTOOLS_SERVICE_NAME is `service`: its logical id and properties."""
        found = [
            (key, r["Properties"])
            for key, r in self.of_type("AWS::Lambda::Function").items()
            if r["Properties"].get("Environment", {}).get("Variables", {}).get("POWERTOOLS_SERVICE_NAME")
            == service
        ]
        assert len(found) == 1, f"{len(found)} functions of service {service}"
        return found[0]

    def api_methods(self) -> dict[tuple[str, str], dict[str, Any]]:
        """(HTTP method, full path) -> method properties, rebuilt from the Resource parent chain."""
        resources = self.of_type("AWS::ApiGateway::Resource")

        def path_of(resource_id: Any) -> str:
            if "Ref" not in resource_id:  # Fn::GetAtt RestApi.RootResourceId
                return ""
            props = resources[resource_id["Ref"]]["Properties"]
            return f"{path_of(props['ParentId'])}/{props['PathPart']}"

        return {
            (m["Properties"]["HttpMethod"], path_of(m["Properties"]["ResourceId"]) or "/"): m["Properties"]
            for m in self.of_type("AWS::ApiGateway::Method").values()
        }

    def role_statements(self, function_properties: dict[str, Any]) -> list[dict[str, Any]]:
        """Every policy statement of a function's role (inline and attached policies)."""
        role_id = function_properties["Role"]["Fn::GetAtt"][0]
        role = self.resources[role_id]["Properties"]
        statements = [
            st for policy in role.get("Policies", []) for st in policy["PolicyDocument"]["Statement"]
        ]
        for policy in self.of_type("AWS::IAM::Policy").values():
            if {"Ref": role_id} in policy["Properties"]["Roles"]:
                statements += policy["Properties"]["PolicyDocument"]["Statement"]
        return statements


def _refuse_bundling(self: Any, output_dir: str, *, image: Any, **_options: Any) -> bool:
    raise AssertionError("a layer was bundled in a test: context aws:cdk:bundling-stacks must be []")


def synthesize(**context_values: Any) -> Synthesized:
    # Stacks to bundle: none. CDK then stages assets without running their bundling.
    context = offline_context()
    # With this flag an error annotation aborts synth; off here, so test_infra_nag can list the
    # findings (the template is the same either way).
    context["@aws-cdk/core:annotationsInValidationReport"] = False
    context.update(context_values)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(LockedLayerBundling, "try_bundle", _refuse_bundling)
        app, stack = build_app(App(context=context))
        return Synthesized(app, stack)  # Template.from_stack synthesizes the app


@pytest.fixture(scope="session")
def synthesized() -> Synthesized:
    return synthesize()
