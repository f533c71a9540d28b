"""The ticket API and system tickets in the synthesized template: routes on the shared REST API
(Cognito on the staff ones), the functions' least privilege, and the EventBridge rule that exists
only when the construct is given a bus."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from boomerang.api.routes import TICKET_ADMIN_ROUTES, TICKET_ROUTES
from boomerang.services.tickets import SYSTEM_TICKETS
from infra.cdk.constructs import tickets_api
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra

EXPECTED_PUBLIC = {
    ("POST", "/v1/tickets"),
    ("GET", "/v1/tickets/{ticket_id}"),
    ("POST", "/v1/tickets/{ticket_id}/messages"),
}
EXPECTED_STAFF = {
    ("GET", "/admin/v1/tickets"),
    ("GET", "/admin/v1/tickets/{ticket_id}"),
    *{
        ("POST", f"/admin/v1/tickets/{{ticket_id}}/{action}")
        for action in ("assign", "replies", "notes", "status", "category", "merge", "link")
    },
}
EXPECTED_TICKET_ROUTES = EXPECTED_PUBLIC | EXPECTED_STAFF


def test_the_construct_and_the_library_declare_the_same_routes() -> None:
    assert {(r.method, r.path) for r in tickets_api.ROUTES} == set(TICKET_ROUTES) == EXPECTED_PUBLIC
    assert (
        {(r.method, r.path) for r in tickets_api.ADMIN_ROUTES} == set(TICKET_ADMIN_ROUTES) == EXPECTED_STAFF
    )
    assert set(tickets_api.SYSTEM_EVENT_TYPES) == set(SYSTEM_TICKETS)


def test_routes_go_to_the_ticket_function_with_cognito_on_staff_routes(synthesized: Synthesized) -> None:
    methods = synthesized.api_methods()
    function_id, _ = synthesized.function("tickets_api")
    admin_authorizer = {
        m["AuthorizerId"]["Ref"]
        for (verb, path), m in methods.items()
        if path == "/admin/v1/returns" and verb == "GET"
    }
    for route in EXPECTED_TICKET_ROUTES:
        method = methods[route]
        assert method["Integration"]["Type"] == "AWS_PROXY"
        assert json.dumps({"Fn::GetAtt": [function_id, "Arn"]}) in json.dumps(method["Integration"]["Uri"])
        if route in EXPECTED_STAFF:
            assert method["AuthorizationType"] == "COGNITO_USER_POOLS"
            assert {method["AuthorizerId"]["Ref"]} == admin_authorizer  # the staff user pool's
        else:
            assert method["AuthorizationType"] == "NONE"
    assert methods[("POST", "/v1/tickets")]["RequestParameters"] == {
        "method.request.header.Idempotency-Key": True
    }


def _statements(synthesized: Synthesized, service: str) -> list[dict[str, Any]]:
    return synthesized.role_statements(synthesized.function(service)[1])


def test_functions_have_no_scan_and_only_what_they_use(synthesized: Synthesized) -> None:
    for service in ("tickets_api", "system_tickets"):
        actions = {
            a
            for st in _statements(synthesized, service)
            for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])
        }
        assert "dynamodb:Scan" not in actions
        assert not any(a.endswith("*") for a in actions), actions
    system_actions = json.dumps(_statements(synthesized, "system_tickets"))
    assert "secretsmanager" not in system_actions  # system tickets read no secret
    _, props = synthesized.function("system_tickets")
    assert "IDEMPOTENCY_TABLE_NAME" not in props["Environment"]["Variables"]


def test_the_stack_feeds_system_tickets_from_its_event_bus(synthesized: Synthesized) -> None:
    rules = [r for key, r in synthesized.of_type("AWS::Events::Rule").items() if "SystemTicket" in key]
    assert len(rules) == 1
    (bus_id,) = synthesized.of_type("AWS::Events::EventBus")
    assert rules[0]["Properties"]["EventBusName"] == {"Ref": bus_id}


def test_given_a_bus_a_rule_feeds_system_events_to_the_function_with_a_dead_letter_queue(
    synthesized: Synthesized,
) -> None:
    # The construct on its own, given a bus: TicketsApi(..., bus=<an events bus>).
    from infra.cdk.constructs.admin_api import AdminApi
    from infra.cdk.constructs.data_table import DataTables
    from infra.cdk.constructs.session_key import SessionSigningKey
    from infra.cdk.constructs.storefront_api import StorefrontApi
    from infra.cdk.stacks.boomerang_stack import REPO_ROOT

    stack = Stack(App(), "TicketsWithBus")
    layer = lambda_.LayerVersion.from_layer_version_arn(
        stack, "Layer", "arn:aws:lambda:us-east-1:123456789012:layer:boomerang-core:1"
    )
    tables = DataTables(stack, "Data")
    key = SessionSigningKey(stack, "Key")
    storefront = StorefrontApi(
        stack,
        "Api",
        code_dir=REPO_ROOT / "functions" / "storefront_api",
        layer=layer,
        tables=tables,
        session_key=key,
    )
    admin = AdminApi(
        stack,
        "Admin",
        storefront=storefront,
        code_dir=REPO_ROOT / "functions" / "admin_api",
        layer=layer,
        tables=tables,
        state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:x",
    )
    bus = events.EventBus(stack, "Bus", event_bus_name="boomerang")
    made = tickets_api.TicketsApi(
        stack,
        "Tickets",
        storefront=storefront,
        admin=admin,
        api_code_dir=REPO_ROOT / "functions" / "tickets_api",
        system_code_dir=REPO_ROOT / "functions" / "system_tickets",
        layer=layer,
        tables=tables,
        session_key=key,
        bus=bus,
    )
    template = Template.from_stack(stack).to_json()["Resources"]
    rules = [r["Properties"] for r in template.values() if r["Type"] == "AWS::Events::Rule"]
    assert len(rules) == 1
    rule = rules[0]
    assert rule["EventPattern"] == {
        "source": ["boomerang"],
        "detail-type": list(tickets_api.SYSTEM_EVENT_TYPES),
    }
    target = rule["Targets"][0]
    system_id = stack.get_logical_id(made.system_function.node.default_child)  # type: ignore[arg-type]
    assert target["Arn"] == {"Fn::GetAtt": [system_id, "Arn"]}
    assert "DeadLetterConfig" in target and target["RetryPolicy"]["MaximumRetryAttempts"] == 8
    permissions = [r["Properties"] for r in template.values() if r["Type"] == "AWS::Lambda::Permission"]
    assert any(p["Principal"] == "events.amazonaws.com" for p in permissions)
