"""The return journeys a merchant sees most: approved at once, reviewed, evidence first, scrap,
expiry, cancelled and a failed refund, each from the storefront and staff APIs."""

from __future__ import annotations

from local.demo.data import DEMO_API_KEY, DEMO_SHOP, HURRIED_API_KEY, HURRIED_SHOP
from local.demo.evidence import attach_inspection_photo, upload_unboxing_video
from local.demo.harness import Journey, _events, _key, _money

EXPIRY_TIMEOUT = 30.0  # the hurried shop's 5-second label expires well within this


def auto_approved_and_refunded(j: Journey) -> None:
    """A $20 size return: approved at once; the default policy refunds it on carrier delivery."""
    order = j.order("", "20.00")
    # The customer goes through the returns portal: a session for their order, then the return.
    session = j.api.call(
        "POST",
        "/v1/sessions",
        {"shop": DEMO_SHOP, "order_number": order["order_number"], "email": order["customer"]["email"]},
    )
    bearer = {"Authorization": f"Bearer {session['token']}"}
    eligibility = j.api.call("GET", f"/v1/orders/{order['order_id']}/eligibility", headers=bearer)
    line = eligibility["lines"][0]
    j.say(
        f"customer (portal session): line returnable x{line['returnable_quantity']} "
        f"until {line['deadline']}, eligible={line['eligible']}"
    )
    created = j.request_return(order, "size_too_large", "refund", headers=bearer)
    rma = j.track("size return, refund on delivery", created, DEMO_API_KEY, "closed")
    j.check("approved at once by the policy", created["status"] == "approved")
    j.wait_label(rma)
    j.carrier(rma, "in_transit")
    j.carrier(rma, "delivered")
    j.wait_refund_requested(rma)
    j.payment(rma, "succeeded")
    final = j.wait_status(rma, "closed")
    events = _events(final)
    j.check("timeline has refund.succeeded", "refund.succeeded" in events)
    told = [e.removeprefix("customer.notified.") for e in events if e.startswith("customer.notified.")]
    j.check(
        f"the customer was told of the label and the refund (told: {', '.join(told) or 'nothing'})",
        {"label_issued", "refunded"} <= set(told),
    )
    j.check("no inspection: refunded on delivery", "return.received" not in events)


def reviewed(j: Journey) -> None:
    """$40 'defective': no rule approves it, so a person reviews it. One approved, one rejected."""
    order = j.order("a", "40.00")
    created = j.request_return(order, "defective", "refund", headers=_key(DEMO_API_KEY), note="Seam split")
    rma = j.track("defective, approved by support", created, DEMO_API_KEY, "closed")
    j.check("goes to review", created["status"] == "pending_review")
    j.wait("the workflow waits for review", j.staff_view(rma), lambda r: r.get("waiting_for") == "review")
    j.find_in_queue(rma, "pending_review")
    j.approve(rma, "photos show a manufacturing fault")
    j.wait_label(rma)
    j.carrier(rma, "in_transit")
    j.carrier(rma, "delivered")
    j.wait(
        "the workflow waits for inspection", j.staff_view(rma), lambda r: r.get("waiting_for") == "inspection"
    )
    j.scan(rma, created["hub"]["hub_id"])
    j.inspect(rma, order["lines"][0]["line_id"], "resellable", "fault confirmed, item otherwise as new")
    refunding = j.wait_refund_requested(rma)
    j.check(
        f"refund after inspection: {_money(refunding['refund']['amount'])}",
        refunding["refund"]["amount"]["amount"] == "40.00",
    )
    j.payment(rma, "succeeded")
    final = j.wait_status(rma, "closed")
    approved_by = [e["actor"] for e in final["timeline"] if e["event"] == "return.approved"]
    j.check(f"who approved is recorded ({', '.join(approved_by)})", any("support" in a for a in approved_by))

    order = j.order("b", "40.00")
    created = j.request_return(
        order, "defective", "refund", headers=_key(DEMO_API_KEY), note="Stopped working"
    )
    rma = j.track("defective, rejected by support", created, DEMO_API_KEY, "rejected")
    j.check("goes to review", created["status"] == "pending_review")
    j.wait("the workflow waits for review", j.staff_view(rma), lambda r: r.get("waiting_for") == "review")
    j.reject(rma, "Water damage: not covered by the returns policy.")
    final = j.wait_status(rma, "rejected", event="customer.notified.rejected")
    j.check("the reason is on the timeline", any("Water damage" in e["message"] for e in final["timeline"]))


def evidence(j: Journey) -> None:
    """A $180 order: an unboxing video first, uploaded through the presigned POST and watched by
    support before approving (local/demo/evidence.py). Store credit after a needs_repair grade."""
    order = j.order("", "180.00")
    created = j.request_return(order, "not_as_described", "store_credit", headers=_key(DEMO_API_KEY))
    rma = j.track("$180, evidence first, store credit", created, DEMO_API_KEY, "closed")
    j.check(
        "evidence required before approval",
        created["status"] == "awaiting_evidence" and created["evidence_required"] is True,
    )
    j.wait("the workflow waits for evidence", j.staff_view(rma), lambda r: r.get("waiting_for") == "evidence")
    upload_unboxing_video(j, rma, DEMO_API_KEY)
    j.approve(rma, "unboxing video checked")
    j.wait_label(rma)
    j.carrier(rma, "delivered")
    j.scan(rma, created["hub"]["hub_id"])
    attach_inspection_photo(j, rma)
    inspected = j.inspect(rma, order["lines"][0]["line_id"], "needs_repair", "zip needs replacing")
    j.check(
        "needs_repair allows half the amount",
        inspected["inspection"]["refund_total"]["amount"] == "90.00",
    )
    j.wait_status(rma, "closed")
    final = j.staff_view(rma)()
    refund = final.get("refund") or {}
    j.check(
        f"store credit issued at once: {refund.get('method')} {_money(refund['amount']) if refund else '-'} "
        f"{refund.get('status')}",
        refund.get("method") == "store_credit"
        and refund.get("status") == "succeeded"
        and refund["amount"]["amount"] == "90.00",
    )
    j.check("credited, never paid out by card", "return.credited" in _events(final))


def scrap(j: Journey) -> None:
    """A $40 size return: approved at once, but over $25 it is refunded only after inspection;
    the warehouse grades it scrap, so nothing is refunded and the return closes."""
    order = j.order("", "40.00")
    created = j.request_return(order, "size_too_small", "refund", headers=_key(DEMO_API_KEY))
    rma = j.track("size return graded scrap", created, DEMO_API_KEY, "closed")
    j.check("approved at once by the policy", created["status"] == "approved")
    j.check(
        "no refund on delivery (over USD 25)",
        not any(r["rule_id"] == "refund_on_delivery" for r in created["decision"]["rules"]),
    )
    j.wait_label(rma)
    j.carrier(rma, "in_transit")
    j.carrier(rma, "delivered")
    j.wait(
        "the workflow waits for inspection", j.staff_view(rma), lambda r: r.get("waiting_for") == "inspection"
    )
    j.scan(rma.replace("-", "").lower(), created["hub"]["hub_id"])  # typed without hyphens
    j.inspect(rma, order["lines"][0]["line_id"], "scrap", "worn and torn")
    j.wait_status(rma, "closed")
    final = j.staff_view(rma, "finance")()
    inspection = final.get("inspection") or {}
    total = inspection.get("refund_total") or {}
    j.check(f"inspection refund total {total.get('amount')}", total.get("amount") == "0.00")
    j.check("no refund asked of the payment provider", final.get("refund") is None)
    j.check("never refund_pending", "return.refund_pending" not in _events(final))


def expiry(j: Journey) -> None:
    """The hurried demo shop's labels are valid 5 seconds: a label never used expires."""
    order = j.order("", "20.00", api_key=HURRIED_API_KEY)
    created = j.request_return(order, "size_too_large", "refund", headers=_key(HURRIED_API_KEY))
    rma = j.track(f"never shipped ({HURRIED_SHOP})", created, HURRIED_API_KEY, "expired")
    j.wait_label(rma, HURRIED_API_KEY)
    j.say("customer never ships it; the label is valid 5 seconds in this shop's policy")
    final = j.wait_status(
        rma, "expired", api_key=HURRIED_API_KEY, event="customer.notified.expired", timeout=EXPIRY_TIMEOUT
    )
    j.check(
        "expired by the workflow",
        any(e["event"] == "return.expired" and e["actor"] == "workflow" for e in final["timeline"]),
    )


def cancelled(j: Journey) -> None:
    """The customer changes their mind before shipping: the quantity is returnable again."""
    order = j.order("", "20.00")
    created = j.request_return(order, "size_too_small", "exchange", headers=_key(DEMO_API_KEY))
    rma = j.track("cancelled before shipping", created, DEMO_API_KEY, "cancelled")
    j.wait_label(rma)
    answer = j.api.call("POST", f"/v1/returns/{rma}/cancel", None, _key(DEMO_API_KEY))
    j.say(f"storefront: cancel -> {answer['status']}")
    j.wait_status(rma, "cancelled", event="customer.notified.cancelled")
    eligibility = j.api.call("GET", f"/v1/orders/{order['order_id']}/eligibility", headers=_key(DEMO_API_KEY))
    j.check("the item is returnable again", eligibility["lines"][0]["returnable_quantity"] == 1)
    late = j.api.call("POST", "/local/simulate/carrier", {"rma": rma, "status": "in_transit"}, expect=(200,))
    j.check("a late carrier scan does not move it", late["status"] == "cancelled")


def refund_failed(j: Journey) -> None:
    """The card refund fails: the customer is told the options, finance gets a ticket and the return
    waits for finance's recovery (paying it another way: the Stripe journeys)."""
    order = j.order("", "20.00")
    created = j.request_return(order, "size_too_small", "refund", headers=_key(DEMO_API_KEY))
    rma = j.track("card refund fails", created, DEMO_API_KEY, "refund_failed")
    j.wait_label(rma)
    j.carrier(rma, "delivered")
    j.wait_refund_requested(rma)
    j.payment(rma, "failed", "expired_or_canceled_card")
    j.wait_status(rma, "refund_failed", event="customer.notified.refund_failed")
    final = j.wait(
        "the workflow waits for finance's retry",
        j.staff_view(rma, "finance"),
        lambda r: r.get("waiting_for") == "refund_retry",
    )
    refund = final.get("refund") or {}
    j.check(
        f"the failure is recorded: {refund.get('status')} ({refund.get('failure_reason')})",
        refund.get("status") == "failed" and refund.get("failure_reason") == "expired_or_canceled_card",
    )
    ticket = j.wait_system_ticket(rma, "finance")
    j.check("finance's ticket is about the refund", ticket.get("category") == "refund_status")
