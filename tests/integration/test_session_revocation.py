"""Revoked sessions, through the storefront, staff and ticket handlers on DynamoDB Local: a token
issued before a GDPR erasure, or before its customer signed out everywhere, answers 401 on every
route, within the DynamoDB calls those routes already make."""

from __future__ import annotations

import importlib
import uuid
from types import ModuleType
from typing import Any

import pytest

from tests.integration.test_storefront_api import create_order, request_return, session
from tests.integration.test_tickets_api import TicketCalls


@pytest.fixture
def tickets(storefront: ModuleType, monkeypatch: pytest.MonkeyPatch) -> TicketCalls:
    module = importlib.import_module("functions.tickets_api.handler")
    # The storefront's tokens, whatever key another test gave the ticket handler.
    monkeypatch.setattr(module.auth, "signing_key", storefront._signing_key)
    return TicketCalls(module)


def _everything(
    api: Any, tickets: TicketCalls, order: dict[str, Any], rma: str, token: str
) -> dict[str, Any]:
    """Every route a customer token reaches, called with `token`."""
    oid = order["order_id"]
    item = {"line_id": order["lines"][0]["line_id"], "quantity": 1, "reason": "size_too_small"}
    again = {"order_id": oid, "items": [item], "resolution": "refund"}
    return {
        "eligibility": api.call("GET", f"/v1/orders/{oid}/eligibility", token=token),
        "create return": api.call(
            "POST", "/v1/returns", again, headers={"Idempotency-Key": uuid.uuid4().hex}, token=token
        ),
        "get return": api.call("GET", f"/v1/returns/{rma}", token=token),
        "cancel return": api.call("POST", f"/v1/returns/{rma}/cancel", token=token),
        "label": api.call("GET", f"/v1/returns/{rma}/label", token=token),
        "evidence": api.call(
            "POST",
            f"/v1/returns/{rma}/evidence",
            {"kind": "photo", "content_type": "image/jpeg", "size": 1000},
            token=token,
        ),
        "policy": api.call("GET", "/v1/policy", token=token),
        "store credit": api.call("GET", "/v1/store-credit", token=token, query={"currency": ["USD"]}),
        "open ticket": tickets.call("POST", "/v1/tickets", {"message": "Where is my refund?"}, token=token),
        "sign out": api.call("POST", "/v1/sessions/revoke", token=token),
    }


def _refused(answers: dict[str, Any]) -> dict[str, Any]:
    return {
        name: (status, body["error"]["code"] if isinstance(body, dict) and "error" in body else body)
        for name, (status, body) in answers.items()
        if (status, (body or {}).get("error", {}).get("code")) != (401, "session_revoked")
    }


def test_a_token_issued_before_an_erasure_gets_401_everywhere(
    api: Any, staff_api: Any, tickets: TicketCalls
) -> None:
    order = create_order(api, price="39.00")
    token = session(api, order)
    status, ret = request_return(api, order, token=token)
    assert status == 201 and ret["status"] == "approved", ret
    assert api.call("GET", f"/v1/orders/{order['order_id']}/eligibility", token=token)[0] == 200

    quoted = order["customer"]["email"].replace("@", "%40")
    status, report = staff_api.call(
        "POST", f"/admin/v1/customers/{quoted}/erase", groups="admin", query={"shop": ["demo"]}
    )
    assert status == 200, report
    [kept] = report["records"]["sessions"]["kept"]
    assert kept["record"] == "session revocation" and kept["deleted_on"]

    answers = _everything(api, tickets, order, ret["rma"], token)
    assert _refused(answers) == {}
    # The storefront's server still reads the (anonymized) return: only the customer's sessions end.
    assert api.call("GET", f"/v1/returns/{ret['rma']}")[0] == 200


def test_signing_out_everywhere_revokes_every_token_of_the_customer_and_only_theirs(
    api: Any, tickets: TicketCalls
) -> None:
    email = f"dora.{uuid.uuid4().hex[:6]}@example.com"
    first, second, someone_else = (
        create_order(api, email=email),
        create_order(api, email=email),
        create_order(api),
    )
    token, other_device, theirs = session(api, first), session(api, second), session(api, someone_else)
    status, ret = request_return(api, first, token=token)
    assert status == 201

    status, out = api.call("POST", "/v1/sessions/revoke", token=other_device)
    assert status == 200 and out["revoked_at"].endswith("Z")

    assert _refused(_everything(api, tickets, first, ret["rma"], token)) == {}
    status, out = api.call("GET", f"/v1/orders/{second['order_id']}/eligibility", token=other_device)
    assert (status, out["error"]["code"]) == (401, "session_revoked")
    assert api.call("GET", f"/v1/orders/{someone_else['order_id']}/eligibility", token=theirs)[0] == 200
    # Signing in again works at once, and reaches the returns made before.
    fresh = session(api, first)
    assert api.call("GET", f"/v1/orders/{first['order_id']}/eligibility", token=fresh)[0] == 200
    assert api.call("GET", f"/v1/returns/{ret['rma']}", token=fresh)[0] == 200


def test_a_return_made_after_signing_out_stays_closed_to_older_tokens(api: Any) -> None:
    order = create_order(api, quantity=2)
    old = session(api, order)
    assert api.call("POST", "/v1/sessions/revoke", token=old)[0] == 200
    new = session(api, order)
    status, by_customer = request_return(api, order, token=new)
    assert status == 201
    status, by_storefront = request_return(api, order)  # the storefront's server, with its API key
    assert status == 201
    for made in (by_customer, by_storefront):
        assert api.call("GET", f"/v1/returns/{made['rma']}", token=new)[0] == 200
        status, out = api.call("GET", f"/v1/returns/{made['rma']}", token=old)
        assert (status, out["error"]["code"]) == (401, "session_revoked")


def test_a_return_racing_a_sign_out_is_refused_rather_than_left_open(
    api: Any, storefront: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = create_order(api)
    token = session(api, order)
    repo = storefront.service.repo
    read = repo.get_many  # the return's one read of order, customer, sessions' stamp and policy

    def read_then_sign_out(*args: Any) -> Any:
        found = read(*args)
        monkeypatch.setattr(repo, "get_many", read)  # once
        assert api.call("POST", "/v1/sessions/revoke", token=token)[0] == 200
        return found

    monkeypatch.setattr(repo, "get_many", read_then_sign_out)
    status, out = request_return(api, order, token=token)
    assert (status, out["error"]["code"]) == (409, "stale_version")
    assert repo.returns_of_order("demo", order["order_id"]).items == []
    status, out = request_return(api, order, token=token)
    assert (status, out["error"]["code"]) == (401, "session_revoked")


def test_signing_out_everywhere_takes_a_customer_token(api: Any) -> None:
    status, out = api.call("POST", "/v1/sessions/revoke")
    assert (status, out["error"]["code"]) == (403, "customer_token_required")
    assert api.call("POST", "/v1/sessions/revoke", api_key=None)[0] == 401


def test_the_revocation_check_rides_on_reads_the_routes_already_make(
    api: Any, storefront: ModuleType
) -> None:
    """bench/dynamodb_calls.py's budgets: eligibility 2, create return 4, get return 1 (token)."""
    order = create_order(api)
    token = session(api, order)
    seen: list[str] = []

    def after(model: Any, **_: Any) -> None:
        seen.append(model.name)

    client = storefront.repo.ddb
    client.meta.events.register("after-call.dynamodb.*", after)
    try:
        counted: dict[str, list[str]] = {}
        for name, call in (
            (
                "eligibility",
                lambda: api.call("GET", f"/v1/orders/{order['order_id']}/eligibility", token=token),
            ),
            ("create return", lambda: request_return(api, order, token=token)),
        ):
            seen.clear()
            answer = call()
            assert answer[0] in (200, 201), answer
            counted[name] = list(seen)
        rma = answer[1]["rma"]
        seen.clear()
        assert api.call("GET", f"/v1/returns/{rma}", token=token)[0] == 200
        counted["get return"] = list(seen)
    finally:
        client.meta.events.unregister("after-call.dynamodb.*", after)
    assert counted == {
        "eligibility": ["BatchGetItem"],
        "create return": ["PutItem", "BatchGetItem", "TransactWriteItems", "UpdateItem"],
        "get return": ["Query"],
    }
