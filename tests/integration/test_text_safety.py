"""Text that cannot smuggle, through the handlers on DynamoDB Local: control characters refused with
422 naming the field (storefront, staff, tickets); bidirectional and zero-width characters kept
as written and flagged in staff views; and `X-Content-Type-Options: nosniff` on every answer of
every function behind API Gateway, and of the local front."""

from __future__ import annotations

import ast
import importlib
import json
import threading
import urllib.request
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from boomerang.api.routes import STOREFRONT_ROUTES
from boomerang.domain.text import visible_text
from local.apigw_events import LambdaContext, rest_event
from local.demo.data import DEMO_API_KEY
from local.http_front import make_server, routes_for
from tests.integration.test_storefront_api import create_order, order_body, request_return
from tests.integration.test_tickets_api import TicketCalls

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tickets(storefront: ModuleType, monkeypatch: pytest.MonkeyPatch) -> TicketCalls:
    module = importlib.import_module("functions.tickets_api.handler")
    monkeypatch.setattr(module.auth, "signing_key", storefront._signing_key)
    return TicketCalls(module)


def _refused(answer: tuple[int, Any]) -> list[tuple[str, str]]:
    status, body = answer
    assert status == 422, body
    assert body["error"]["code"] == "validation_failed"
    return [(d["field"], d["code"]) for d in body["error"]["details"]]


def test_storefront_fields_refuse_control_characters(api: Any) -> None:
    order = order_body()
    order["lines"][0]["title"] = "Black tee\x1b[31m"
    assert _refused(api.call("POST", "/v1/orders", order)) == [("lines[0].title", "control_character")]
    order = order_body()
    order["order_number"] = "#1001\r\nX-Injected: 1"
    assert _refused(api.call("POST", "/v1/orders", order)) == [("order_number", "control_character")]

    placed = create_order(api)
    body = {
        "order_id": placed["order_id"],
        "items": [
            {
                "line_id": placed["lines"][0]["line_id"],
                "quantity": 1,
                "reason": "size_too_small",
                "note": "a\x00b",
            }
        ],
        "resolution": "refund",
    }
    answer = api.call("POST", "/v1/returns", body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert _refused(answer) == [("items[0].note", "control_character")]
    assert "U+0000" in answer[1]["error"]["details"][0]["message"]
    session = {"shop": "demo", "order_number": placed["order_number"] + "\n", "email": "a\x85@example.com"}
    assert sorted(_refused(api.call("POST", "/v1/sessions", session, api_key=None))) == [
        ("email", "control_character"),
        ("order_number", "control_character"),
    ]
    # A note is a body: line breaks and tabs are fine.
    body["items"][0]["note"] = "Too tight.\n\tAlso the wrong colour."
    status, ret = api.call("POST", "/v1/returns", body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert status == 201 and ret["items"][0]["note"] == "Too tight.\n\tAlso the wrong colour."


def test_ticket_fields_refuse_control_characters_and_bodies_keep_lines(tickets: TicketCalls) -> None:
    def open_ticket(**fields: Any) -> tuple[int, Any]:
        return tickets.call("POST", "/v1/tickets", {"message": "Where is my refund?", **fields})

    assert _refused(open_ticket(subject="Refund\x00")) == [("subject", "control_character")]
    assert _refused(open_ticket(subject="Refund\r\nBcc: x@example.com")) == [("subject", "control_character")]
    assert _refused(open_ticket(contact={"name": "Ada\x1b]0;pwned\x07"})) == [
        ("contact.name", "control_character")
    ]
    for smuggled in ("\x1b[2J", "\x9b31m", "\x7f", "\r"):
        assert _refused(open_ticket(message=f"Hello{smuggled}")) == [("message", "control_character")]
    status, ticket = open_ticket(message="Hello,\n\n\tmy order #1001 never came.", subject="Missing parcel")
    assert status == 201, ticket
    assert ticket["messages"][0]["body"] == "Hello,\n\n\tmy order #1001 never came."
    tid = ticket["ticket_id"]
    answer = tickets.call("POST", f"/v1/tickets/{tid}/messages", {"message": "still\x00waiting"})
    assert _refused(answer) == [("message", "control_character")]
    answer = tickets.staff("POST", f"/admin/v1/tickets/{tid}/notes", {"message": "call\x1bback"})
    assert _refused(answer) == [("message", "control_character")]


def test_staff_fields_refuse_control_characters(staff_api: Any) -> None:
    answer = staff_api.call(
        "POST", "/admin/v1/returns/HNH-WWZ-BLY/reject", {"reason": "Worn\x1b[8m and washed"}
    )
    assert _refused(answer) == [("reason", "control_character")]
    inspection = {"items": [{"line_id": "L1", "grade": "scrap", "notes": "torn\x00"}]}
    answer = staff_api.call(
        "POST", "/admin/v1/returns/HNH-WWZ-BLY/inspection", inspection, groups="warehouse"
    )
    assert _refused(answer) == [("items[0].notes", "control_character")]
    answer = staff_api.call("POST", "/admin/v1/warehouse/scans", {"code": "HNH\x00WWZ", "hub": "us-nj"})
    assert _refused(answer) == [("code", "control_character")]


def test_bidi_and_zero_width_text_round_trips_and_staff_views_flag_it(
    api: Any, staff_api: Any, tickets: TicketCalls
) -> None:
    subject = "Refund for invoice\u202efdp.exe\u202c"
    message = "Hi\u200b, my name is \u2067אדה\u2069 and I want my money back."
    status, ticket = tickets.call("POST", "/v1/tickets", {"message": message, "subject": subject})
    assert status == 201, ticket
    status, read = tickets.call("GET", f"/v1/tickets/{ticket['ticket_id']}")
    assert (read["subject"], read["messages"][0]["body"]) == (subject, message)
    assert "hidden_characters" not in read  # the customer's own view is their text

    status, staff_view = tickets.staff("GET", f"/admin/v1/tickets/{ticket['ticket_id']}")
    assert status == 200, staff_view
    assert (staff_view["subject"], staff_view["messages"][0]["body"]) == (subject, message)
    assert staff_view["hidden_characters"] == [
        {"field": "subject", "characters": ["U+202E", "U+202C"]},
        {"field": "messages[0].body", "characters": ["U+200B", "U+2067", "U+2069"]},
    ]
    assert visible_text(staff_view["subject"]) == "Refund for invoice⟦U+202E RLO⟧fdp.exe⟦U+202C PDF⟧"

    plain, noted = create_order(api), create_order(api)
    status, ret = request_return(api, plain)
    assert status == 201
    item = {"line_id": noted["lines"][0]["line_id"], "quantity": 1, "reason": "defective"}
    body = {"order_id": noted["order_id"], "items": [{**item, "note": "broken \u202eelbuod\u202c"}]}
    body["resolution"] = "refund"
    status, flagged = api.call("POST", "/v1/returns", body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert status == 201 and flagged["items"][0]["note"] == "broken \u202eelbuod\u202c"
    status, staff_return = staff_api.call("GET", f"/admin/v1/returns/{flagged['rma']}")
    assert status == 200
    assert staff_return["hidden_characters"] == [
        {"field": "items[0].note", "characters": ["U+202E", "U+202C"]}
    ]
    assert staff_api.call("GET", f"/admin/v1/returns/{ret['rma']}")[1]["hidden_characters"] == []


# --- X-Content-Type-Options: nosniff -----------------------------------------------------------


def _nosniff(result: dict[str, Any]) -> bool:
    headers = {**(result.get("headers") or {})}
    headers |= {k: ",".join(v) for k, v in (result.get("multiValueHeaders") or {}).items()}
    return headers.get("X-Content-Type-Options") == "nosniff"


def test_every_function_behind_api_gateway_answers_nosniff_whoever_built_the_answer() -> None:
    """Statically: each handler module behind the REST API has security_headers as its handler's
    outermost decorator, so its own early answers (413, 401) carry it too."""
    behind_gateway = [
        p for p in sorted(ROOT.glob("functions/*/handler.py")) if "API_GATEWAY_REST" in p.read_text()
    ]
    assert {p.parent.name for p in behind_gateway} >= {
        "storefront_api",
        "admin_api",
        "tickets_api",
        "webhook_admin",
        "webhooks_carriers",
        "webhooks_shopify",
        "webhooks_stripe",
    }
    for path in behind_gateway:
        tree = ast.parse(path.read_text())
        [handler] = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "handler"]
        outermost = handler.decorator_list[0]
        assert isinstance(outermost, ast.Name) and outermost.id == "security_headers", path


def test_answers_carry_nosniff(storefront: ModuleType, admin: ModuleType, local_aws: Any) -> None:
    def send(
        module: ModuleType, method: str, path: str, body: str | None = None, **headers: str
    ) -> dict[str, Any]:
        event = rest_event(method, path, resource=path, headers=headers or None, body=body)
        return dict(module.handler(event, LambdaContext()))

    shopify = importlib.import_module("functions.webhooks_shopify.handler")
    tickets = importlib.import_module("functions.tickets_api.handler")
    answers = {
        "storefront 200": send(storefront, "GET", "/v1/policy", **{"x-api-key": DEMO_API_KEY}),
        "storefront 401": send(storefront, "GET", "/v1/policy"),
        "storefront 404": send(storefront, "GET", "/v1/nothing"),
        "storefront 413": send(storefront, "POST", "/v1/orders", "x" * 2_000_000),
        "storefront 400": send(
            storefront, "POST", "/v1/sessions", "{", **{"Content-Type": "application/json"}
        ),
        "staff 401": send(admin, "GET", "/admin/v1/returns"),
        "tickets 400": send(tickets, "POST", "/v1/tickets", json.dumps({"message": "hi"})),
        "shopify 401": send(shopify, "POST", "/webhooks/shopify", "{}"),
    }
    assert {name: (str(r["statusCode"]), _nosniff(r)) for name, r in answers.items()} == {
        name: (name.split()[-1], True) for name in answers
    }


def test_the_local_front_answers_nosniff_and_passes_the_peer_address(storefront: ModuleType) -> None:
    seen: list[str] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append(event["requestContext"]["identity"]["sourceIp"])
        return dict(storefront.handler(event, context))

    server = make_server("127.0.0.1", 0, routes_for(handler, STOREFRONT_ROUTES, "storefront_api"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        for path in ("/v1/policy", "/v2/no-such-route"):
            try:
                answer = urllib.request.urlopen(base + path, timeout=10)
            except urllib.error.HTTPError as refused:
                answer = refused
            assert answer.headers["X-Content-Type-Options"] == "nosniff", path
    finally:
        server.shutdown()
        server.server_close()
    assert seen == ["127.0.0.1"]
