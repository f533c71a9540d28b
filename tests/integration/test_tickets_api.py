"""The ticket API through its handler (storefront side: API key or customer token; staff side:
the Cognito authorizer's claims), on DynamoDB Local, and the ticket repository's GDPR helpers."""

from __future__ import annotations

import importlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from boomerang.api.routes import TICKET_ADMIN_ROUTES, TICKET_ROUTES
from boomerang.auth import customer_tokens
from boomerang.auth.principal import Principal
from boomerang.domain.models import Order, OrderLine, Resolution, Return
from boomerang.domain.money import Money
from boomerang.domain.policy import RequestedItem, default_policy
from boomerang.services.customers import customer_ref
from boomerang.services.returns import ReturnRequest, ReturnsService
from boomerang.store.records import Repository
from local.apigw_events import LambdaContext, match_route, rest_event
from local.demo.data import DEMO_API_KEY, DEMO_SHOP
from tests.conftest import answer, staff_claims

NOW = datetime.now(UTC)
KEY = b"t" * 32


@pytest.fixture(scope="module")
def tickets(storefront: ModuleType) -> ModuleType:
    """The ticket handler module (the storefront fixture seeded the demo shop and its API key)."""
    module = importlib.import_module("functions.tickets_api.handler")
    module.auth.signing_key = lambda: KEY
    return module


class TicketCalls:
    def __init__(self, module: ModuleType):
        self.module = module

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        api_key: str | None = DEMO_API_KEY,
        token: str | None = None,
        key: str | None = "auto",
        raw_body: str | None = None,
        groups: str | None = None,
        query: dict[str, list[str]] | None = None,
    ) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        elif api_key and groups is None:
            headers["x-api-key"] = api_key
        if key == "auto" and method == "POST":
            headers["Idempotency-Key"] = uuid.uuid4().hex
        elif key and key != "auto":
            headers["Idempotency-Key"] = key
        routes = TICKET_ADMIN_ROUTES if path.startswith("/admin/") else TICKET_ROUTES
        found = match_route(routes, method, path)
        resource, params = found if found else (path, {})
        text = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
        event = rest_event(
            method, path, resource=resource, path_parameters=params, headers=headers, body=text, query=query
        )
        if groups is not None:
            event["requestContext"]["authorizer"] = {"claims": staff_claims("bob", groups)}
        return answer(self.module.handler(event, LambdaContext(function_name="tickets_api")))

    def staff(
        self, method: str, path: str, body: Any = None, groups: str = "support", **kw: Any
    ) -> tuple[int, Any]:
        return self.call(method, path, body, groups=groups, key=None, **kw)


@pytest.fixture(scope="module")
def calls(tickets: ModuleType) -> TicketCalls:
    return TicketCalls(tickets)


def an_order(repo: Repository, email: str | None = None) -> Order:
    oid = uuid.uuid4().hex[:12]
    return repo.upsert_order(
        Order(
            shop=DEMO_SHOP,
            order_id=oid,
            order_number=f"#{oid}",
            customer_email=email or f"{oid}@customer.example.com",
            customer_country="DE",
            currency="EUR",
            ordered_at=NOW - timedelta(days=8),
            lines=[
                OrderLine(
                    line_id="L1",
                    sku="SKU-1",
                    category="apparel",
                    quantity=1,
                    unit_price=Money(amount=3900, currency="EUR"),
                    delivered_at=NOW - timedelta(days=5),
                )
            ],
        )
    )


def a_return(repo: Repository, order: Order) -> Return:
    service = ReturnsService(repo, lambda _: default_policy(), lambda: KEY)
    request = ReturnRequest(
        order.order_id,
        [RequestedItem(line_id="L1", quantity=1, reason="size_too_small")],
        Resolution.REFUND,
        {},
        "de",
    )
    return service.create_return(Principal(shop=DEMO_SHOP), request, NOW)


def token_for(order: Order) -> str:
    claims = customer_tokens.CustomerClaims(
        shop=order.shop,
        order_id=order.order_id,
        customer_ref=customer_ref(order.shop, order.customer_email),
        expires_at=NOW + timedelta(hours=1),
    )
    return customer_tokens.issue(KEY, claims)


def outbox(tickets: ModuleType, ticket_id: str) -> list[dict[str, Any]]:
    return tickets.tickets.outbox_events(ticket_id)


# --- opening and reading ----------------------------------------------------------------------------


def test_a_customer_opens_a_ticket_classified_in_their_language_and_linked_to_their_order(
    calls: TicketCalls, tickets: ModuleType, repo: Repository
) -> None:
    order = an_order(repo)
    ret = a_return(repo, order)
    status, out = calls.call(
        "POST",
        "/v1/tickets",
        {"message": "Wo bleibt meine Erstattung? Das Paket ist seit einer Woche bei Ihnen."},
        token=token_for(order),
    )
    assert status == 201, out
    assert out["ticket_id"].startswith("TK-")
    assert (out["language"], out["category"], out["channel"]) == ("de", "refund_status", "portal")
    assert out["order_id"] == order.order_id and out["status"] == "open"
    assert [m["author_kind"] for m in out["messages"]] == ["customer"]

    # The agent sees the order's return, its status, and a suggested reply in German.
    status, staff = calls.staff("GET", f"/admin/v1/tickets/{out['ticket_id']}")
    assert status == 200, staff
    assert [(r["rma"], r["status"]) for r in staff["returns"]] == [(ret.rma, ret.status.value)]
    assert staff["suggested_reply"]["language"] == "de"
    assert ret.rma in staff["suggested_reply"]["text"] and "Retoure" in staff["suggested_reply"]["text"]
    assert staff["group"] == "support" and staff["priority"] == "normal"
    assert staff["customer_ref"] == customer_ref(order.shop, order.customer_email)
    assert "@" not in json.dumps(staff)  # no email reaches the staff view

    events = outbox(tickets, out["ticket_id"])
    assert [e["type"] for e in events] == ["ticket.opened"]
    assert events[0]["data"]["category"] == "refund_status" and events[0]["shop"] == DEMO_SHOP
    assert "@" not in json.dumps(events)


def test_another_customers_token_gets_404_and_learns_nothing(calls: TicketCalls, repo: Repository) -> None:
    mine, theirs = an_order(repo), an_order(repo)
    status, out = calls.call(
        "POST", "/v1/tickets", {"message": "My parcel never arrived, order 4411"}, token=token_for(mine)
    )
    assert status == 201
    tid = out["ticket_id"]
    for method, path, body in (
        ("GET", f"/v1/tickets/{tid}", None),
        ("POST", f"/v1/tickets/{tid}/messages", {"message": "hello?"}),
    ):
        status, refused = calls.call(method, path, body, token=token_for(theirs))
        assert status == 404 and refused["error"]["code"] == "ticket_not_found", refused
        assert tid not in json.dumps(refused) or refused["error"]["message"] == "No such ticket."
    # The owner still reads it; the shop's storefront key too.
    assert calls.call("GET", f"/v1/tickets/{tid}", token=token_for(mine))[0] == 200
    assert calls.call("GET", f"/v1/tickets/{tid}")[0] == 200


def test_a_customer_token_cannot_link_another_order_or_its_return(
    calls: TicketCalls, repo: Repository
) -> None:
    mine, theirs = an_order(repo), an_order(repo)
    their_return = a_return(repo, theirs)
    status, out = calls.call(
        "POST", "/v1/tickets", {"message": "refund?", "order_id": theirs.order_id}, token=token_for(mine)
    )
    assert status == 404 and out["error"]["code"] == "order_not_found"
    status, out = calls.call(
        "POST", "/v1/tickets", {"message": "refund?", "rma": their_return.rma}, token=token_for(mine)
    )
    assert status == 404 and out["error"]["code"] == "return_not_found"


def test_html_and_script_are_stored_and_answered_as_text(calls: TicketCalls) -> None:
    text = '<script>alert("x")</script><img src=x onerror=alert(1)> where is my order?'
    status, out = calls.call(
        "POST", "/v1/tickets", {"message": text, "contact": {"email": "ana@example.com"}}
    )
    assert status == 201, out
    assert out["messages"][0]["body"] == text  # kept verbatim, as a JSON string; no markup is built
    status, again = calls.call("GET", f"/v1/tickets/{out['ticket_id']}")
    assert again["messages"][0]["body"] == text
    assert "ana@example.com" not in json.dumps(again)


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"message": ""}, 422, "validation_failed", "message"),
        ({"message": "   \n  "}, 422, "validation_failed", "message"),
        ({"message": "x" * 5001}, 422, "validation_failed", "message"),
        ({"message": "hi\x00there"}, 422, "validation_failed", "message"),
        ({"message": "hola", "language": "not a language!"}, 422, "validation_failed", "language"),
        ({"message": "hola", "channel": "system"}, 422, "validation_failed", "channel"),
        ({"message": "hola", "surprise": 1}, 422, "validation_failed", "surprise"),
        ({}, 422, "validation_failed", "message"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    calls: TicketCalls, tickets: ModuleType, body: dict[str, Any], status: int, code: str, field: str
) -> None:
    before = tickets.tickets.queue(DEMO_SHOP, "triage", "open", 100).items
    got, out = calls.call("POST", "/v1/tickets", body)
    assert (got, out["error"]["code"]) == (status, code), out
    assert field in [d["field"] for d in out["error"]["details"]]
    assert tickets.tickets.queue(DEMO_SHOP, "triage", "open", 100).items == before


def test_huge_bodies_malformed_json_missing_key_and_no_credentials(calls: TicketCalls) -> None:
    status, out = calls.call("POST", "/v1/tickets", raw_body=json.dumps({"message": "x" * 70_000}))
    assert (status, out["error"]["code"]) == (413, "payload_too_large")
    status, out = calls.call("POST", "/v1/tickets", raw_body="{not json")
    assert (status, out["error"]["code"]) == (400, "malformed_json")
    status, out = calls.call("POST", "/v1/tickets", {"message": "hi"}, key=None)
    assert (status, out["error"]["code"]) == (400, "idempotency_key_required")
    status, out = calls.call("POST", "/v1/tickets", {"message": "hi"}, api_key=None)
    assert (status, out["error"]["code"]) == (401, "unauthenticated")
    status, out = calls.call("GET", "/v1/tickets/TK-000000000000")
    assert (status, out["error"]["code"]) == (404, "ticket_not_found")


def test_an_unsupported_language_goes_to_triage_and_a_person_categorizes_it(calls: TicketCalls) -> None:
    status, out = calls.call(
        "POST", "/v1/tickets", {"message": "Где мой возврат? Заказ 5512, прошло две недели."}
    )
    assert status == 201, out
    assert out["language"] == "und"
    tid = out["ticket_id"]
    status, staff = calls.staff("GET", f"/admin/v1/tickets/{tid}")
    assert staff["needs_triage"] and staff["group"] == "triage"
    status, queue = calls.staff("GET", "/admin/v1/tickets", query={"shop": [DEMO_SHOP], "group": ["triage"]})
    assert tid in [t["ticket_id"] for t in queue["items"]]

    status, staff = calls.staff("POST", f"/admin/v1/tickets/{tid}/category", {"category": "refund_status"})
    assert status == 200, staff
    assert (staff["category"], staff["group"], staff["needs_triage"]) == ("refund_status", "support", False)
    assert staff["categorized_by"] == "staff:bob"
    # A declared, well-formed but unsupported language is kept and also sent to triage.
    status, out = calls.call("POST", "/v1/tickets", {"message": "환불은 언제 되나요?", "language": "ko"})
    assert status == 201 and out["language"] == "ko"
    assert calls.staff("GET", f"/admin/v1/tickets/{out['ticket_id']}")[1]["group"] == "triage"


def test_the_same_idempotency_key_opens_one_ticket(calls: TicketCalls) -> None:
    body = {"message": "Please cancel order 7781, ordered by mistake"}
    first = calls.call("POST", "/v1/tickets", body, key="same-key-1")
    again = calls.call("POST", "/v1/tickets", body, key="same-key-1")
    assert first[0] == again[0] == 201 and first[1]["ticket_id"] == again[1]["ticket_id"]
    other = calls.call("POST", "/v1/tickets", {"message": "something else"}, key="same-key-1")
    assert (other[0], other[1]["error"]["code"]) == (409, "idempotency_key_reused")


# --- the conversation and the staff's work ------------------------------------------------------------


def test_reply_note_customer_answer_status_assign_and_sla(
    calls: TicketCalls, tickets: ModuleType, repo: Repository
) -> None:
    order = an_order(repo)
    token = token_for(order)
    status, out = calls.call(
        "POST", "/v1/tickets", {"message": "The vase arrived smashed, box crushed."}, token=token
    )
    tid = out["ticket_id"]
    status, staff = calls.staff("GET", f"/admin/v1/tickets/{tid}")
    assert (staff["category"], staff["priority"]) == ("damaged_item", "high")
    due = datetime.fromisoformat(staff["sla"]["first_response_due"].replace("Z", "+00:00"))
    opened = datetime.fromisoformat(staff["created_at"].replace("Z", "+00:00"))
    assert due - opened == timedelta(hours=4)

    status, staff = calls.staff(
        "POST", f"/admin/v1/tickets/{tid}/assign", {"assignee": "staff:carol", "group": "support"}
    )
    assert status == 200 and staff["assignee"] == "staff:carol"
    status, staff = calls.staff(
        "POST", f"/admin/v1/tickets/{tid}/notes", {"message": "Customer is a VIP; check photos"}
    )
    assert status == 200 and staff["status"] == "open"
    status, staff = calls.staff(
        "POST", f"/admin/v1/tickets/{tid}/replies", {"message": "Sorry! Could you send a photo?"}
    )
    assert status == 200 and staff["status"] == "pending_customer"
    assert staff["sla"]["first_responded_at"] is not None and not staff["sla"]["first_response_breached"]

    # The customer sees the reply, not the note; answering reopens the ticket.
    status, mine = calls.call("GET", f"/v1/tickets/{tid}", token=token)
    assert [m["author_kind"] for m in mine["messages"]] == ["customer", "staff"]
    assert "VIP" not in json.dumps(mine)
    status, mine = calls.call(
        "POST", f"/v1/tickets/{tid}/messages", {"message": "Photo attached."}, token=token
    )
    assert status == 201 and mine["status"] == "open"

    status, staff = calls.staff("POST", f"/admin/v1/tickets/{tid}/status", {"status": "solved"})
    assert status == 200 and staff["status"] == "solved"
    status, staff = calls.staff("POST", f"/admin/v1/tickets/{tid}/status", {"status": "closed"})
    assert status == 200 and staff["status"] == "closed"
    status, refused = calls.call("POST", f"/v1/tickets/{tid}/messages", {"message": "one more"}, token=token)
    assert (status, refused["error"]["code"]) == (409, "ticket_closed")
    status, refused = calls.staff("POST", f"/admin/v1/tickets/{tid}/status", {"status": "open"})
    assert (status, refused["error"]["code"]) == (409, "illegal_ticket_transition")

    types = [e["type"] for e in outbox(tickets, tid)]
    assert types[0] == "ticket.opened" and "ticket.assigned" in types and types.count("ticket.replied") == 2
    assert "@" not in json.dumps(outbox(tickets, tid))


def test_merge_duplicates_and_link_to_a_return(calls: TicketCalls, repo: Repository) -> None:
    order = an_order(repo)
    ret = a_return(repo, order)
    token = token_for(order)
    first = calls.call("POST", "/v1/tickets", {"message": "Where is my refund?"}, token=token)[1]["ticket_id"]
    second = calls.call(
        "POST", "/v1/tickets", {"message": "Where is my refund??? still nothing"}, token=token
    )[1]["ticket_id"]

    status, dup = calls.staff("POST", f"/admin/v1/tickets/{second}/merge", {"into": first})
    assert status == 200, dup
    assert (dup["status"], dup["merged_into"]) == ("closed", first)
    status, kept = calls.staff("GET", f"/admin/v1/tickets/{first}")
    assert kept["merged_from"] == [second] and kept["status"] == "open"
    assert any(m["internal"] and second in m["body"] for m in kept["messages"])
    status, refused = calls.staff("POST", f"/admin/v1/tickets/{first}/merge", {"into": first})
    assert (status, refused["error"]["code"]) == (409, "merge_conflict")

    status, linked = calls.staff("POST", f"/admin/v1/tickets/{first}/link", {"rma": ret.rma})
    assert status == 200 and linked["rma"] == ret.rma
    assert [r["rma"] for r in linked["returns"]] == [ret.rma]


def test_staff_groups_are_checked_before_the_body(calls: TicketCalls) -> None:
    tid = calls.call("POST", "/v1/tickets", {"message": "hello"})[1]["ticket_id"]
    status, out = calls.staff("POST", f"/admin/v1/tickets/{tid}/merge", {"into": tid}, groups="warehouse")
    assert (status, out["error"]["code"]) == (403, "forbidden_group")
    status, out = calls.staff("POST", f"/admin/v1/tickets/{tid}/replies", {"bogus": 1}, groups="warehouse")
    assert (status, out["error"]["code"]) == (403, "forbidden_group")
    status, out = calls.call("GET", f"/admin/v1/tickets/{tid}", api_key=None, key=None)
    assert (status, out["error"]["code"]) == (401, "unauthenticated")


# --- system tickets -----------------------------------------------------------------------------------


def domain_event(kind: str, data: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    envelope = {
        "id": event_id or f"{uuid.uuid4().hex}:3:0",
        "type": kind,
        "version": 1,
        "occurred_at": "2026-11-26T10:00:00.000000Z",
        "shop": DEMO_SHOP,
        "data": data,
    }
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": kind,
        "source": "boomerang",
        "account": "123456789012",
        "time": "2026-11-26T10:00:01Z",
        "region": "us-east-1",
        "resources": [],
        "detail": envelope,
    }


@pytest.fixture(scope="module")
def system(storefront: ModuleType) -> ModuleType:
    return importlib.import_module("functions.system_tickets.handler")


def test_a_refund_failure_opens_one_finance_ticket_linked_to_the_return(
    system: ModuleType, calls: TicketCalls, repo: Repository
) -> None:
    order = an_order(repo)
    ret = a_return(repo, order)
    event = domain_event(
        "refund.failed",
        {"rma": ret.rma, "order_id": order.order_id, "failure_reason": "card_expired", "method": "refund"},
    )
    first = system.handler(event, LambdaContext(function_name="system_tickets"))
    again = system.handler(event, LambdaContext(function_name="system_tickets"))  # redelivered
    assert first["status"] == "opened" and again == {"status": "duplicate", "ticket_id": first["ticket_id"]}
    status, staff = calls.staff("GET", f"/admin/v1/tickets/{first['ticket_id']}", groups="finance")
    assert status == 200, staff
    assert (staff["group"], staff["channel"], staff["category"]) == ("finance", "system", "refund_status")
    assert (staff["rma"], staff["order_id"]) == (ret.rma, order.order_id)
    assert "card_expired" in staff["subject"] and staff["messages"][0]["internal"]
    # A system ticket is the merchant's, not the customer's: their token does not reach it.
    status, out = calls.call("GET", f"/v1/tickets/{first['ticket_id']}", token=token_for(order))
    assert (status, out["error"]["code"]) == (404, "ticket_not_found")


@pytest.mark.parametrize(
    ("kind", "group", "data"),
    [
        (
            "return.carrier_exception",
            "support",
            {"tracking_number": "1Z999", "carrier": "UPS", "status": "failure", "detail": "address"},
        ),
        ("dispute.created", "finance", {"charge": "ch_1", "dispute": "dp_1"}),
        (
            "webhook.dead_lettered",
            "admin",
            {"subscription_id": "sub_1", "event_id": "e1", "event_type": "return.approved"},
        ),
    ],
)
def test_each_system_event_goes_to_its_group(
    system: ModuleType, calls: TicketCalls, repo: Repository, kind: str, group: str, data: dict[str, Any]
) -> None:
    order = an_order(repo)
    ret = a_return(repo, order)
    if kind != "webhook.dead_lettered":
        data = {"rma": ret.rma, "order_id": order.order_id, **data}
    out = system.handler(domain_event(kind, data), LambdaContext(function_name="system_tickets"))
    assert out["status"] == "opened"
    staff = calls.staff("GET", f"/admin/v1/tickets/{out['ticket_id']}", groups="admin")[1]
    assert staff["group"] == group
    if kind != "webhook.dead_lettered":
        assert staff["rma"] == ret.rma


def test_system_handler_ignores_other_events_and_drops_malformed_ones(system: ModuleType) -> None:
    assert (
        system.handler(domain_event("return.approved", {"rma": "X"}), LambdaContext())["status"] == "ignored"
    )
    assert system.handler({"detail": {"nope": 1}}, LambdaContext())["status"] == "rejected"


# --- GDPR ---------------------------------------------------------------------------------------------


def test_a_customers_tickets_are_listed_and_anonymized_and_kept(
    tickets: ModuleType, calls: TicketCalls, repo: Repository
) -> None:
    order = an_order(repo, email=f"{uuid.uuid4().hex[:8]}@gdpr.example.com")
    token = token_for(order)
    tid = calls.call(
        "POST",
        "/v1/tickets",
        {
            "message": "I'm Ana Ruiz, Calle Mayor 5, Madrid. Where is my refund?",
            "subject": "Ana's refund",
            "contact": {"name": "Ana Ruiz", "email": order.customer_email},
        },
        token=token,
    )[1]["ticket_id"]
    calls.staff("POST", f"/admin/v1/tickets/{tid}/replies", {"message": "Hi Ana, checking now."})
    service = tickets.service
    cref = customer_ref(order.shop, order.customer_email)

    exported = service.customer_tickets(order.shop, cref)
    assert [t.ticket_id for t, _ in exported] == [tid]
    assert len(exported[0][1]) == 2

    # The staff's GDPR export and erasure (services/privacy.py) cover tickets.
    from boomerang.services.privacy import PrivacyService, Subject, standard_holders

    privacy = PrivacyService(standard_holders(repo))
    subject = Subject(order.shop, order.customer_email)
    records = privacy.export(subject)["records"]["tickets"]
    assert [r["ticket_id"] for r in records] == [tid]
    assert [m["body"] for m in records[0]["messages"]][1] == "Hi Ana, checking now."
    assert privacy.erase(subject)["records"]["tickets"]["anonymized"] == [tid]
    # Nothing leads from the person to the ticket any more; running it again is harmless.
    assert privacy.export(subject)["records"]["tickets"] == []
    assert service.anonymize_customer(order.shop, cref) == []
    ticket, messages = tickets.tickets.get(tid)
    dumped = ticket.model_dump_json() + "".join(m.model_dump_json() for m in messages)
    assert "Ana" not in dumped and "Calle" not in dumped and order.customer_email not in dumped
    assert ticket.anonymized and ticket.category and ticket.status.value == "pending_customer"
    assert [m.body for m in messages] == ["[erased]", "[erased]"]
    assert [e["type"] for e in tickets.tickets.outbox_events(tid)].count("ticket.anonymized") == 1


SAMPLES = Path(__file__).resolve().parents[2] / "events" / "samples" / "eventbridge"


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.glob("*.json")))
def test_the_committed_eventbridge_samples_open_one_ticket_each(system: ModuleType, sample: str) -> None:
    event = json.loads((SAMPLES / sample).read_text())
    first = system.handler(event, LambdaContext(function_name="system_tickets"))
    assert first["status"] == "opened", first
    again = system.handler(event, LambdaContext(function_name="system_tickets"))
    assert again == {"status": "duplicate", "ticket_id": first["ticket_id"]}
