"""Staff reach only their shops (DESIGN.md): every staff route of every function that serves one
(the admin API's, the tickets API's staff side, the outbound webhooks' admin) answers another shop's
queue, return, ticket, policy, customer or subscriptions as if they did not exist (404), and changes
nothing. Parametrized over the route tables, so a new staff route must be given a case here.

The member works for shop A (custom:shops "A", or a Cognito group "shop:A") and is in every staff
group, so the groups allow each call and only the shop decides; a support user alone is tested too.
"""

from __future__ import annotations

import importlib
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import boto3
import pytest

from boomerang.api.routes import ADMIN_ROUTES, TICKET_ADMIN_ROUTES
from boomerang.auth.principal import Principal
from boomerang.domain.models import Return
from boomerang.domain.tickets import Channel
from boomerang.services.policy_admin import PolicyAdmin
from boomerang.services.tickets import NewTicket
from boomerang.store.records import Repository
from local.apigw_events import LambdaContext, match_route, rest_event
from tests.conftest import StaffApi, answer, staff_claims
from tests.integration.test_admin_api import new_return, written

EVERY_GROUP = "support,warehouse,finance,admin"
EVIDENCE_ID = "0" * 32


@dataclass(frozen=True)
class Shop:
    shop: str
    ret: Return
    email: str
    ticket: str
    other_ticket: str


@dataclass(frozen=True)
class Call:
    path: str
    body: Any = None
    query: dict[str, list[str]] | None = None
    headers: dict[str, str] | None = None


# What each staff route is called with to reach a shop's things; the code it answers when the
# member does not work for that shop.
Case = tuple[Callable[[Shop], Call], str]
RETURN = "return_not_found"
TICKET = "ticket_not_found"
SHOP = "shop_not_found"

ADMIN_CASES: dict[tuple[str, str], Case] = {
    ("GET", "/admin/v1/returns"): (
        lambda s: Call("/admin/v1/returns", query={"shop": [s.shop], "status": ["pending_review"]}),
        SHOP,
    ),
    ("GET", "/admin/v1/returns/{rma}"): (lambda s: Call(f"/admin/v1/returns/{s.ret.rma}"), RETURN),
    ("POST", "/admin/v1/returns/{rma}/approve"): (
        lambda s: Call(f"/admin/v1/returns/{s.ret.rma}/approve", {"note": "ok"}),
        RETURN,
    ),
    ("POST", "/admin/v1/returns/{rma}/reject"): (
        lambda s: Call(f"/admin/v1/returns/{s.ret.rma}/reject", {"reason": "Worn."}),
        RETURN,
    ),
    ("POST", "/admin/v1/warehouse/scans"): (
        lambda s: Call("/admin/v1/warehouse/scans", {"code": s.ret.rma, "hub": "us-nj"}),
        RETURN,
    ),
    ("POST", "/admin/v1/returns/{rma}/inspection"): (
        lambda s: Call(
            f"/admin/v1/returns/{s.ret.rma}/inspection", {"items": [{"line_id": "L1", "grade": "resellable"}]}
        ),
        RETURN,
    ),
    ("POST", "/admin/v1/returns/{rma}/evidence"): (
        lambda s: Call(
            f"/admin/v1/returns/{s.ret.rma}/evidence",
            {"kind": "photo", "content_type": "image/jpeg", "size": 1000},
        ),
        RETURN,
    ),
    ("GET", "/admin/v1/returns/{rma}/evidence"): (
        lambda s: Call(f"/admin/v1/returns/{s.ret.rma}/evidence"),
        RETURN,
    ),
    ("GET", "/admin/v1/returns/{rma}/evidence/{evidence_id}"): (
        lambda s: Call(f"/admin/v1/returns/{s.ret.rma}/evidence/{EVIDENCE_ID}"),
        RETURN,
    ),
    ("GET", "/admin/v1/customers/{email}/export"): (
        lambda s: Call(f"/admin/v1/customers/{s.email}/export", query={"shop": [s.shop]}),
        SHOP,
    ),
    ("POST", "/admin/v1/customers/{email}/erase"): (
        lambda s: Call(f"/admin/v1/customers/{s.email}/erase", query={"shop": [s.shop]}),
        SHOP,
    ),
    ("POST", "/admin/v1/returns/{rma}/refund"): (
        lambda s: Call(f"/admin/v1/returns/{s.ret.rma}/refund", {"method": "store_credit"}),
        RETURN,
    ),
    ("GET", "/admin/v1/shops/{shop}/policy"): (lambda s: Call(f"/admin/v1/shops/{s.shop}/policy"), SHOP),
    ("PATCH", "/admin/v1/shops/{shop}/policy"): (
        lambda s: Call(f"/admin/v1/shops/{s.shop}/policy", {"window_days": 45}, headers={"If-Match": '"v1"'}),
        SHOP,
    ),
    ("GET", "/admin/v1/shops/{shop}/policy/versions"): (
        lambda s: Call(f"/admin/v1/shops/{s.shop}/policy/versions"),
        SHOP,
    ),
    ("POST", "/admin/v1/shops/{shop}/policy/simulate"): (
        lambda s: Call(f"/admin/v1/shops/{s.shop}/policy/simulate", {"window_days": 10}),
        SHOP,
    ),
    ("GET", "/admin/v1/reports/{name}"): (
        lambda s: Call("/admin/v1/reports/return_rate", query={"shop": [s.shop]}),
        SHOP,
    ),
}
# Not per shop: the API's own description.
UNSHOPPED = {("GET", "/admin/v1/openapi.json")}

TICKET_CASES: dict[tuple[str, str], Case] = {
    ("GET", "/admin/v1/tickets"): (lambda s: Call("/admin/v1/tickets", query={"shop": [s.shop]}), SHOP),
    ("GET", "/admin/v1/tickets/{ticket_id}"): (lambda s: Call(f"/admin/v1/tickets/{s.ticket}"), TICKET),
    ("POST", "/admin/v1/tickets/{ticket_id}/assign"): (
        lambda s: Call(f"/admin/v1/tickets/{s.ticket}/assign", {"assignee": "staff:sam"}),
        TICKET,
    ),
    ("POST", "/admin/v1/tickets/{ticket_id}/replies"): (
        lambda s: Call(f"/admin/v1/tickets/{s.ticket}/replies", {"message": "On its way."}),
        TICKET,
    ),
    ("POST", "/admin/v1/tickets/{ticket_id}/notes"): (
        lambda s: Call(f"/admin/v1/tickets/{s.ticket}/notes", {"message": "Checked."}),
        TICKET,
    ),
    ("POST", "/admin/v1/tickets/{ticket_id}/status"): (
        lambda s: Call(f"/admin/v1/tickets/{s.ticket}/status", {"status": "solved"}),
        TICKET,
    ),
    ("POST", "/admin/v1/tickets/{ticket_id}/category"): (
        lambda s: Call(f"/admin/v1/tickets/{s.ticket}/category", {"category": "refund_status"}),
        TICKET,
    ),
    ("POST", "/admin/v1/tickets/{ticket_id}/merge"): (
        lambda s: Call(f"/admin/v1/tickets/{s.ticket}/merge", {"into": s.other_ticket}),
        TICKET,
    ),
    ("POST", "/admin/v1/tickets/{ticket_id}/link"): (
        lambda s: Call(f"/admin/v1/tickets/{s.ticket}/link", {"rma": s.ret.rma}),
        TICKET,
    ),
}

WEBHOOK_CASES: dict[tuple[str, str], Case] = {
    ("POST", "/admin/v1/webhooks/subscriptions"): (
        lambda s: Call(
            "/admin/v1/webhooks/subscriptions",
            {"shop": s.shop, "url": "https://hooks.example.com/in", "event_types": ["*"]},
        ),
        SHOP,
    ),
    ("GET", "/admin/v1/webhooks/subscriptions"): (
        lambda s: Call("/admin/v1/webhooks/subscriptions", query={"shop": [s.shop]}),
        SHOP,
    ),
    ("DELETE", "/admin/v1/webhooks/subscriptions/{subscription_id}"): (
        lambda s: Call("/admin/v1/webhooks/subscriptions/wh_0123456789abcdef0123", query={"shop": [s.shop]}),
        SHOP,
    ),
    ("GET", "/admin/v1/webhooks/dead-letters"): (
        lambda s: Call("/admin/v1/webhooks/dead-letters", query={"shop": [s.shop]}),
        SHOP,
    ),
    ("POST", "/admin/v1/webhooks/dead-letters/{delivery_id}/redrive"): (
        lambda s: Call("/admin/v1/webhooks/dead-letters/K7Q-4M2-XAC:7:0/redrive", query={"shop": [s.shop]}),
        SHOP,
    ),
}


# --- the functions ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tickets(admin: ModuleType) -> ModuleType:
    return importlib.import_module("functions.tickets_api.handler")


@pytest.fixture(scope="module")
def webhook_admin(local_aws: Any) -> ModuleType:
    if "QUEUE_URL" not in os.environ:
        sqs = boto3.client("sqs", endpoint_url=local_aws.moto_endpoint)
        url = sqs.create_queue(QueueName=f"webhooks-{uuid.uuid4().hex[:6]}")["QueueUrl"]
        os.environ.update({"QUEUE_URL": url, "AWS_ENDPOINT_URL_SQS": local_aws.moto_endpoint})
    os.environ.setdefault("EVENT_BUS_NAME", "boomerang-local")
    return importlib.import_module("functions.webhook_admin.handler")


def webhook_routes(module: ModuleType) -> set[tuple[str, str]]:
    """The webhook admin function's routes, from its resolver (it has no table of its own)."""
    app = module.app
    return {(r.method, r.openapi_path) for r in app._static_routes + app._dynamic_routes}


class Caller:
    """One staff member calling any of the three functions, as API Gateway would after the
    authorizer verified their ID token."""

    def __init__(self, admin: ModuleType, tickets: ModuleType, webhooks: ModuleType, claims: dict[str, Any]):
        self.functions = {"admin": (admin, ADMIN_ROUTES), "tickets": (tickets, TICKET_ADMIN_ROUTES)}
        self.functions["webhooks"] = (webhooks, tuple(webhook_routes(webhooks)))
        self.claims = claims

    def call(self, function: str, method: str, call: Call) -> tuple[int, Any]:
        module, routes = self.functions[function]
        found = match_route(routes, method, call.path)
        resource, params = found if found else (call.path, {})
        event = rest_event(
            method,
            call.path,
            resource=resource,
            path_parameters=params,
            headers={"Content-Type": "application/json", **(call.headers or {})},
            body=json.dumps(call.body) if call.body is not None else None,
            query=call.query,
        )
        event["requestContext"]["authorizer"] = {"claims": self.claims}
        return answer(module.handler(event, LambdaContext(function_name=function)))


# --- the shops --------------------------------------------------------------------------------------


def a_shop(repo: Repository, tickets: ModuleType) -> Shop:
    shop = f"shp-{uuid.uuid4().hex[:10]}"
    repo.put_shop(shop, "Shop")
    email = f"{uuid.uuid4().hex[:8]}@customer.example.com"
    ret = new_return(repo, shop, email=email)  # waits for review
    caller = Principal(shop=shop)
    opened = [
        tickets.service.open(caller, NewTicket(body=text, channel=Channel.API, order_id=ret.order_id))
        for text in ("Where is my refund?", "Where is my refund, again?")
    ]
    return Shop(shop, ret, email, opened[0].ticket_id, opened[1].ticket_id)


def state(repo: Repository, tickets: ModuleType, webhooks: ModuleType, s: Shop) -> tuple[Any, ...]:
    """Everything a refused call must leave as it was."""
    ticket, messages = tickets.service.tickets.get(s.ticket)
    other, _ = tickets.service.tickets.get(s.other_ticket)
    order = repo.get_order(s.shop, s.ret.order_id)
    return (
        written(repo, s.ret.rma),
        (ticket.version, len(messages), other.version),
        PolicyAdmin(repo).current(s.shop).version,
        len(webhooks.webhooks.store.of_shop(s.shop)),
        order.customer_email,
    )


@pytest.fixture
def shops(repo: Repository, tickets: ModuleType) -> tuple[Shop, Shop]:
    return a_shop(repo, tickets), a_shop(repo, tickets)


# --- every route ------------------------------------------------------------------------------------


def test_every_staff_route_has_a_case(webhook_admin: ModuleType) -> None:
    assert set(ADMIN_ROUTES) == set(ADMIN_CASES) | UNSHOPPED
    assert set(TICKET_ADMIN_ROUTES) == set(TICKET_CASES)
    assert webhook_routes(webhook_admin) == set(WEBHOOK_CASES)


ROUTES = [
    *(("admin", *route) for route in ADMIN_CASES),
    *(("tickets", *route) for route in TICKET_CASES),
    *(("webhooks", *route) for route in WEBHOOK_CASES),
]
CASES = {"admin": ADMIN_CASES, "tickets": TICKET_CASES, "webhooks": WEBHOOK_CASES}


@pytest.mark.parametrize("membership", ["attribute", "group"])
@pytest.mark.parametrize(("function", "method", "route"), ROUTES, ids=[f"{m} {r}" for _, m, r in ROUTES])
def test_another_shop_answers_404_and_is_left_as_it_was(
    repo: Repository,
    admin: ModuleType,
    tickets: ModuleType,
    webhook_admin: ModuleType,
    shops: tuple[Shop, Shop],
    function: str,
    method: str,
    route: str,
    membership: str,
) -> None:
    own, other = shops
    claims = (
        staff_claims("sam", EVERY_GROUP, shops=own.shop)
        if membership == "attribute"
        else staff_claims("sam", f"{EVERY_GROUP},shop:{own.shop}", shops=None)
    )
    caller = Caller(admin, tickets, webhook_admin, claims)
    build, code = CASES[function][(method, route)]
    before = state(repo, tickets, webhook_admin, other)

    status, out = caller.call(function, method, build(other))
    assert (status, out["error"]["code"]) == (404, code), out
    assert state(repo, tickets, webhook_admin, other) == before

    # The same call on their own shop is not refused as missing: the 404 was the shop's doing.
    status, out = caller.call(function, method, build(own))
    assert status not in (400, 403, 415, 422), out
    assert status < 400 or out["error"]["code"] != code, out


@pytest.mark.parametrize(("function", "method", "route"), ROUTES, ids=[f"{m} {r}" for _, m, r in ROUTES])
def test_a_member_of_no_shop_reaches_none(
    admin: ModuleType,
    tickets: ModuleType,
    webhook_admin: ModuleType,
    shops: tuple[Shop, Shop],
    function: str,
    method: str,
    route: str,
) -> None:
    own, _ = shops
    for claims in (
        staff_claims("sam", EVERY_GROUP, shops=None),
        staff_claims("sam", EVERY_GROUP, shops=" , "),
    ):
        build, code = CASES[function][(method, route)]
        status, out = Caller(admin, tickets, webhook_admin, claims).call(function, method, build(own))
        assert (status, out["error"]["code"]) == (404, code), out


# --- the case, and lists -------------------------------------------------------------------


def test_a_support_user_of_shop_a_gets_404_on_shop_b_s_return_ticket_and_queue(
    admin: ModuleType, tickets: ModuleType, webhook_admin: ModuleType, shops: tuple[Shop, Shop]
) -> None:
    a, b = shops
    support = Caller(admin, tickets, webhook_admin, staff_claims("sue", "support", shops=a.shop))
    assert support.call("admin", "GET", Call(f"/admin/v1/returns/{b.ret.rma}"))[0] == 404
    assert support.call("tickets", "GET", Call(f"/admin/v1/tickets/{b.ticket}"))[0] == 404
    queue_b = Call("/admin/v1/returns", query={"shop": [b.shop], "status": ["pending_review"]})
    assert support.call("admin", "GET", queue_b)[0] == 404
    assert support.call("tickets", "GET", Call("/admin/v1/tickets", query={"shop": [b.shop]}))[0] == 404
    # Shop A's return, ticket and queues: theirs.
    status, out = support.call("admin", "GET", Call(f"/admin/v1/returns/{a.ret.rma}"))
    assert (status, out["rma"]) == (200, a.ret.rma)
    status, out = support.call("tickets", "GET", Call(f"/admin/v1/tickets/{a.ticket}"))
    assert (status, out["ticket_id"]) == (200, a.ticket)
    status, out = support.call(
        "admin", "GET", Call("/admin/v1/returns", query={"shop": [a.shop], "status": ["pending_review"]})
    )
    assert status == 200 and [r["rma"] for r in out["items"]] == [a.ret.rma]
    status, out = support.call("tickets", "GET", Call("/admin/v1/tickets", query={"shop": [a.shop]}))
    assert status == 200 and out["items"] and {t["shop"] for t in out["items"]} == {a.shop}


def test_a_deployment_wide_member_reaches_every_shop(
    admin: ModuleType, tickets: ModuleType, webhook_admin: ModuleType, shops: tuple[Shop, Shop]
) -> None:
    everywhere = Caller(admin, tickets, webhook_admin, staff_claims("ada", "admin", shops="*"))
    for s in shops:
        status, out = everywhere.call("admin", "GET", Call(f"/admin/v1/returns/{s.ret.rma}"))
        assert (status, out["shop"]) == (200, s.shop)
        status, out = everywhere.call("tickets", "GET", Call(f"/admin/v1/tickets/{s.ticket}"))
        assert (status, out["ticket_id"]) == (200, s.ticket)


def test_a_ticket_cannot_be_merged_or_linked_across_shops(
    repo: Repository,
    admin: ModuleType,
    tickets: ModuleType,
    webhook_admin: ModuleType,
    shops: tuple[Shop, Shop],
) -> None:
    a, b = shops
    both = Caller(admin, tickets, webhook_admin, staff_claims("sam", "support", shops=a.shop))
    before = state(repo, tickets, webhook_admin, b)
    status, out = both.call(
        "tickets", "POST", Call(f"/admin/v1/tickets/{a.ticket}/merge", {"into": b.ticket})
    )
    assert (status, out["error"]["code"]) == (404, TICKET)
    status, out = both.call("tickets", "POST", Call(f"/admin/v1/tickets/{a.ticket}/link", {"rma": b.ret.rma}))
    assert (status, out["error"]["code"]) == (404, RETURN)
    assert state(repo, tickets, webhook_admin, b) == before


def test_the_staff_api_fixture_is_deployment_wide_unless_told(
    staff_api: StaffApi, shops: tuple[Shop, Shop]
) -> None:
    a, _ = shops
    assert staff_api.call("GET", f"/admin/v1/returns/{a.ret.rma}")[0] == 200
    assert staff_api.call("GET", f"/admin/v1/returns/{a.ret.rma}", shops="elsewhere")[0] == 404
