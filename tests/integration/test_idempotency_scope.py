"""Issue 13, item 1: a stored answer belongs to the caller that made it (one API key, or one
customer), and access is checked before any replay. Every route that takes an Idempotency-Key
follows the one rule of boomerang.api.idempotency."""

from __future__ import annotations

import hashlib
import uuid
from types import ModuleType
from typing import Any

import pytest

from boomerang.store.records import Repository
from local.demo.data import DEMO_SHOP
from tests.integration.test_storefront_api import create_order, session
from tests.integration.test_tickets_api import (
    TicketCalls,
    an_order,
    tickets,  # noqa: F401 (a fixture)
    token_for,
)

SECOND_KEY = "bk_demo_second_storefront_key_0000000"


@pytest.fixture(scope="module")
def calls(tickets: ModuleType) -> TicketCalls:  # noqa: F811 (the imported fixture)
    return TicketCalls(tickets)


def _return_body(order: dict[str, Any]) -> dict[str, Any]:
    return {
        "order_id": order["order_id"],
        "items": [{"line_id": order["lines"][0]["line_id"], "quantity": 1, "reason": "size_too_small"}],
        "resolution": "refund",
    }


def _post_return(api: Any, body: dict[str, Any], key: str, **who: Any) -> tuple[int, Any]:
    return api.call("POST", "/v1/returns", body, headers={"Idempotency-Key": key}, **who)


def test_a_token_replaying_the_storefronts_key_and_body_for_another_order_gets_404(api: Any) -> None:
    mine, theirs = create_order(api), create_order(api)
    key = f"k-{uuid.uuid4().hex}"
    status, made = _post_return(api, _return_body(theirs), key)
    assert status == 201, made
    token = session(api, mine)
    status, out = _post_return(api, _return_body(theirs), key, token=token)
    # What it gets without the key: the order is not its own. Not B's return, and no 409 either.
    assert (status, out["error"]["code"]) == (404, "order_not_found"), out
    assert made["rma"] not in str(out)
    # The key is unknown to this caller: with its own body it just makes its own return.
    status, own = _post_return(api, _return_body(mine), key, token=token)
    assert status == 201 and own["rma"] != made["rma"] and own["order_id"] == mine["order_id"]


def test_one_customers_tokens_for_two_orders_do_not_replay_each_others_answers(api: Any) -> None:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    first, second = create_order(api, email=email), create_order(api, email=email)
    key = f"k-{uuid.uuid4().hex}"
    status, made = _post_return(api, _return_body(second), key, token=session(api, second))
    assert status == 201, made
    token = session(api, first)
    status, out = _post_return(api, _return_body(second), key, token=token)
    assert (status, out["error"]["code"]) == (404, "order_not_found")
    # The customer's own replay, with the token for that order, is the stored answer.
    again = _post_return(api, _return_body(second), key, token=session(api, second))
    assert again[0] == 201 and again[1]["rma"] == made["rma"]


def test_another_api_key_of_the_shop_does_not_see_the_first_keys_answers(
    api: Any, storefront: ModuleType
) -> None:
    storefront.repo.put_api_key(hashlib.sha256(SECOND_KEY.encode()).hexdigest(), DEMO_SHOP, "second")
    order = create_order(api)
    key = f"k-{uuid.uuid4().hex}"
    status, made = _post_return(api, _return_body(order), key)
    assert status == 201
    # As without the key: the only unit is already in a return.
    status, out = _post_return(api, _return_body(order), key, api_key=SECOND_KEY)
    assert (status, out["error"]["code"]) == (422, "already_returned"), out
    # Another body under that key is no 409 for the second key either: the key is not its own.
    other = create_order(api)
    assert _post_return(api, _return_body(other), key, api_key=SECOND_KEY)[0] == 201
    # The first key still replays its own answer.
    again = _post_return(api, _return_body(order), key)
    assert again[0] == 201 and again[1]["rma"] == made["rma"]


def test_ticket_answers_belong_to_the_customer_who_opened_them(calls: TicketCalls, repo: Repository) -> None:
    ada, bob = an_order(repo), an_order(repo)
    key = f"k-{uuid.uuid4().hex}"
    body = {"message": "Where is my refund for the blue coat?", "language": "en"}
    status, opened = calls.call("POST", "/v1/tickets", body, token=token_for(ada), key=key)
    assert status == 201, opened
    # Bob with Ada's key and body: his own new ticket, never Ada's.
    status, bobs = calls.call("POST", "/v1/tickets", body, token=token_for(bob), key=key)
    assert status == 201 and bobs["ticket_id"] != opened["ticket_id"]
    # Writing on Ada's ticket with the key Ada used there: 404, as without the key.
    path = f"/v1/tickets/{opened['ticket_id']}/messages"
    message = {"message": "Any news?"}
    assert calls.call("POST", path, message, token=token_for(ada), key=key + "-m")[0] == 201
    status, out = calls.call("POST", path, message, token=token_for(bob), key=key + "-m")
    assert (status, out["error"]["code"]) == (404, "ticket_not_found")
    # Ada's replays answer her ticket as it is now.
    again = calls.call("POST", "/v1/tickets", body, token=token_for(ada), key=key)
    assert again[0] == 201 and again[1]["ticket_id"] == opened["ticket_id"]
    assert [m["body"] for m in again[1]["messages"]][-1] == "Any news?"
