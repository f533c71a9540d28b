"""`make demo`'s ticket journey: a customer asks "where is my refund?" in German through the ticket
API; support sees the return's status and a suggested reply in German, sends it, and the customer
reads it. Listed in local/demo/journeys.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from local.demo.data import DEMO_API_KEY, DEMO_SHOP

if TYPE_CHECKING:  # local/demo/journeys.py imports this module to list the journey
    from local.demo.harness import Journey


def refund_question_in_german(j: Journey) -> None:
    order = j.order("", "20.00")
    session = j.api.call(
        "POST",
        "/v1/sessions",
        {"shop": DEMO_SHOP, "order_number": order["order_number"], "email": order["customer"]["email"]},
    )
    bearer = {"Authorization": f"Bearer {session['token']}"}
    created = j.request_return(order, "size_too_small", "refund", headers=bearer)
    rma = j.track("the return the ticket asks about", created, DEMO_API_KEY, "label_issued")
    j.wait_label(rma)

    question = "Hallo, wo bleibt meine Erstattung? Ich habe das Paket schon vor Tagen abgegeben."
    ticket = j.api.call(
        "POST",
        "/v1/tickets",
        {"message": question, "rma": rma},
        {**bearer, "Idempotency-Key": f"{order['order_id']}-ticket"},
    )
    tid = ticket["ticket_id"]
    j.say(f"customer (portal): ticket {tid}: {question!r}")
    j.say(f"classifier: language {ticket['language']}, category {ticket['category']}")
    j.check(
        "classified as a German refund question",
        (ticket["language"], ticket["category"]) == ("de", "refund_status"),
    )

    support = j.api.staff("support")
    staff = j.api.call("GET", f"/admin/v1/tickets/{tid}", headers=support)
    linked = [(r["rma"], r["status"]) for r in staff["returns"]]
    j.say(
        f"support (staff API): queue {staff['group']}, priority {staff['priority']}, linked returns {linked}"
    )
    suggestion = staff["suggested_reply"]
    if not j.check("a suggested reply for a refund question about a known return", bool(suggestion)):
        return
    j.say(f"suggested reply ({suggestion['language']}): {suggestion['text']}")
    j.check("the agent sees the return's status", linked == [(rma, "label_issued")])
    j.check(
        "the suggestion is in German and names the RMA",
        suggestion["language"] == "de" and rma in suggestion["text"],
    )

    replied = j.api.call("POST", f"/admin/v1/tickets/{tid}/replies", {"message": suggestion["text"]}, support)
    due = replied["sla"]["first_response_due"]
    j.say(f"support: replied -> ticket {replied['status']}, first response was due by {due}")
    seen = j.api.call("GET", f"/v1/tickets/{tid}", headers=bearer)
    j.check(
        "the customer reads the reply", [m["author_kind"] for m in seen["messages"]] == ["customer", "staff"]
    )
