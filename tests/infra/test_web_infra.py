"""The customer pages' infrastructure: a nested stack (function, routes on the storefront's REST API,
assets bucket behind CloudFront, the files deployed with a year's Cache-Control), one resource in the
main stack, and the local stack reading the routes from it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from boomerang.api.routes import WEB_ROUTES
from boomerang.web.assets import SOURCES
from local.from_template import function_specs, route_specs
from local.template import inline_nested
from tests.infra.conftest import Synthesized


@pytest.fixture(scope="module")
def web(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    from aws_cdk import NestedStack
    from aws_cdk.assertions import Template

    (stack,) = [
        c
        for c in synthesized.stack.node.find_all()
        if isinstance(c, NestedStack) and c.node.path.startswith("Boomerang/Web/")
    ]
    return str(synthesized.stack.get_logical_id(stack.nested_stack_resource)), Template.from_stack(
        stack
    ).to_json()


def _of_type(template: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def test_the_pages_are_a_nested_stack_and_add_one_resource_to_the_main_stack(
    synthesized: Synthesized, web: tuple[str, dict[str, Any]]
) -> None:
    logical_id, nested = web
    assert synthesized.resources[logical_id]["Type"] == "AWS::CloudFormation::Stack"
    # Of the construct "Web", only the nested stack is in the main stack ("Webhooks" is another construct).
    assert [k for k in synthesized.resources if k.startswith("Web") and not k.startswith("Webhooks")] == [
        logical_id
    ]
    assert len(_of_type(nested, "AWS::CloudFront::Distribution")) == 1
    assert len(_of_type(nested, "AWS::S3::Bucket")) == 1
    (function,) = [
        r
        for r in _of_type(nested, "AWS::Lambda::Function").values()
        if (r.get("Metadata") or {}).get("boomerang:code")
    ]
    env = function["Properties"]["Environment"]["Variables"]
    assert env["POWERTOOLS_SERVICE_NAME"] == "web"
    assert "Cdn" in json.dumps(env["ASSETS_BASE_URL"]) and "DomainName" in json.dumps(env["ASSETS_BASE_URL"])
    (deployment,) = _of_type(nested, "Custom::CDKBucketDeployment").values()
    assert "max-age=31536000" in json.dumps(deployment["Properties"])


def test_the_api_deployment_waits_for_the_web_routes(
    synthesized: Synthesized, web: tuple[str, dict[str, Any]]
) -> None:
    logical_id, _ = web
    (deployment,) = synthesized.of_type("AWS::ApiGateway::Deployment").values()
    assert logical_id in deployment.get("DependsOn", [])


def test_the_local_stack_reads_the_web_routes_from_the_nested_stack(
    synthesized: Synthesized, web: tuple[str, dict[str, Any]]
) -> None:
    logical_id, nested = web
    merged = inline_nested(synthesized.template.to_json(), logical_id, nested)
    functions = function_specs(merged)
    web_function = next(lid for lid, spec in functions.items() if spec.module == "functions.web.handler")
    routes = {(r.method, r.path): r for r in route_specs(merged)}
    for route in WEB_ROUTES:
        assert routes[route].function == web_function and not routes[route].cognito
    # Parameters became the parent's values: the table the function names is the parent's table.
    assert "Ref" in json.dumps(functions[web_function].environment["TABLE_NAME"])
    assert "referenceto" not in json.dumps(functions[web_function].environment)


def test_the_assets_are_ours_and_htmx_from_npm() -> None:
    assert SOURCES["htmx.min.js"].startswith("node_modules/htmx.org/")


def test_the_console_signs_in_through_the_hosted_ui_with_its_own_client(
    web: tuple[str, dict[str, Any]],
) -> None:
    _, nested = web
    (client,) = _of_type(nested, "AWS::Cognito::UserPoolClient").values()
    props = client["Properties"]
    assert props["AllowedOAuthFlows"] == ["code"] and props["AllowedOAuthFlowsUserPoolClient"] is True
    assert props["GenerateSecret"] is False  # a public client: PKCE (boomerang/web/console/auth.py)
    assert sorted(props["AllowedOAuthScopes"]) == ["email", "openid", "profile"]
    callbacks = json.dumps(props["CallbackURLs"])
    assert "execute-api" in callbacks and "/prod/admin/callback" in callbacks
    assert len(_of_type(nested, "AWS::Cognito::UserPoolDomain")) == 1
    (function,) = [
        r
        for r in _of_type(nested, "AWS::Lambda::Function").values()
        if (r.get("Metadata") or {}).get("boomerang:code")
    ]
    env = function["Properties"]["Environment"]["Variables"]
    assert {"STAFF_USER_POOL_ID", "STAFF_CLIENT_ID", "STAFF_SIGN_IN_URL", "STRIPE_SECRET_NAME"} <= set(env)
    assert "LOCAL_STAFF_SIGN_IN" not in env  # the local sign-in form: `make local` only


def test_the_console_routes_hang_under_the_staff_apis_admin_resource(
    synthesized: Synthesized, web: tuple[str, dict[str, Any]]
) -> None:
    _, nested = web
    main_admin = [
        lid
        for lid, r in synthesized.of_type("AWS::ApiGateway::Resource").items()
        if r["Properties"]["PathPart"] == "admin"
    ]
    assert len(main_admin) == 1
    # No second "admin" under the root (API Gateway refuses a sibling of the same name); the local
    # stack's reading of the merged template (above) finds every console route at its /admin path.
    assert not [
        r
        for r in _of_type(nested, "AWS::ApiGateway::Resource").values()
        if r["Properties"]["PathPart"] == "admin"
    ]
    for method in _of_type(nested, "AWS::ApiGateway::Method").values():
        assert method["Properties"]["AuthorizationType"] == "NONE"


def _tracking_template(function: dict[str, Any]) -> str:
    value = function["Properties"]["Environment"]["Variables"]["TRACKING_LINK_TEMPLATE"]
    return json.dumps(value)


def test_the_shipping_emails_link_to_the_tracking_page_on_the_deployed_api(
    synthesized: Synthesized,
) -> None:
    (api_id,) = synthesized.of_type("AWS::ApiGateway::RestApi")
    senders = {
        r["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]: r
        for r in synthesized.of_type("AWS::Lambda::Function").values()
        if "TRACKING_LINK_TEMPLATE" in ((r["Properties"].get("Environment") or {}).get("Variables") or {})
    }
    # The fulfilment's answer (storefront) and the delivered/exception mails (carrier webhooks).
    assert {"storefront_api", "webhooks_carriers"} <= set(senders)
    for function in senders.values():
        template = _tracking_template(function)
        # The API's own id and the stage's name: no reference to the stage, so no dependency cycle.
        assert f'"Ref": "{api_id}"' in template and ".execute-api." in template
        assert "/prod/{shop}/track?link={link}" in template
        assert "Stage" not in template and "Deployment" not in template
    outputs = synthesized.template.to_json()["Outputs"]
    assert "/track" in json.dumps(outputs["TrackingPageUrl"]["Value"])


def test_the_delay_watch_links_to_the_tracking_page_too(synthesized: Synthesized) -> None:
    from aws_cdk import NestedStack
    from aws_cdk.assertions import Template

    (stack,) = [
        c
        for c in synthesized.stack.node.find_all()
        if isinstance(c, NestedStack) and c.node.path.startswith("Boomerang/ShipmentWatch/")
    ]
    nested = Template.from_stack(stack).to_json()
    (function,) = [
        r
        for r in _of_type(nested, "AWS::Lambda::Function").values()
        if (r.get("Metadata") or {}).get("boomerang:code")
    ]
    template = _tracking_template(function)
    assert "/prod/{shop}/track?link={link}" in template and ".execute-api." in template
    # In the nested stack, the API's id arrives as a parameter from the main stack.
    (parameter,) = [r for r in re.findall(r'"Ref": "([^"]+)"', template) if "::" not in r]
    assert parameter in (nested.get("Parameters") or {})
    resource = synthesized.resources[str(synthesized.stack.get_logical_id(stack.nested_stack_resource))]
    (api_id,) = synthesized.of_type("AWS::ApiGateway::RestApi")
    assert resource["Properties"]["Parameters"][parameter] == {"Ref": api_id}


def test_the_dashboard_runs_reports_in_the_lake_s_workgroup_only(web: tuple[str, dict[str, Any]]) -> None:
    _, nested = web
    (function,) = [
        r
        for r in _of_type(nested, "AWS::Lambda::Function").values()
        if (r.get("Metadata") or {}).get("boomerang:code")
    ]
    env = function["Properties"]["Environment"]["Variables"]
    assert {"REPORTS_WORKGROUP", "REPORTS_DATABASE"} <= set(env)
    assert function["Properties"]["Timeout"] == 28  # under API Gateway's 29 s
    statements = [
        st
        for policy in _of_type(nested, "AWS::IAM::Policy").values()
        for st in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    athena = [st for st in statements if "athena:StartQueryExecution" in json.dumps(st["Action"])]
    assert len(athena) == 1 and "workgroup/" in json.dumps(athena[0]["Resource"])
    assert not any("athena:*" in json.dumps(st["Action"]) for st in statements)
