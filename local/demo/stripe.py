"""`make demo` journeys for Stripe: refunds settled, failed and disputed by events posted to
POST /webhooks/stripe exactly as Stripe posts them (events/samples/stripe, signed with the local
stack's webhook secret), and finance paying a failed refund another way through the staff API."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from local.demo.data import DEMO_API_KEY
from local.stripe_local import LOCAL_WEBHOOK_SECRET, sample_event, stripe_signature

if TYPE_CHECKING:
    from local.demo.harness import Journey


def _key() -> dict[str, str]:
    return {"x-api-key": DEMO_API_KEY}


def post_event(
    j: Journey, event: dict[str, Any], *, signature: str | None = None, expect: tuple[int, ...] = (200,)
) -> Any:
    body = json.dumps(event)  # the very text Api.call sends
    sig = signature if signature is not None else stripe_signature(body, LOCAL_WEBHOOK_SECRET)
    answer = j.api.call("POST", "/webhooks/stripe", event, {"Stripe-Signature": sig}, expect=expect)
    result = (
        answer.get("result") if isinstance(answer, dict) and "result" in answer else answer["error"]["code"]
    )
    j.say(f"stripe (signed webhook): {event['type']} -> {result}")
    return answer


def _refunding(
    j: Journey, label: str, expected: str, suffix: str
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    order = j.order(suffix, "20.00")
    created = j.request_return(order, "size_too_small", "refund", headers=_key())
    rma = j.track(label, created, DEMO_API_KEY, expected)
    j.wait_label(rma)
    j.carrier(rma, "delivered")
    return rma, j.wait_refund_requested(rma), order


def _event_id(j: Journey, name: str) -> str:
    return f"evt_demo_{j.run_id}_{j.number}_{name}_{time.time_ns() % 10**9}"


def stripe_settled(j: Journey) -> None:
    """A refund settled by Stripe's events arriving out of order and more than once; a forged one refused."""
    rma, refunding, _ = _refunding(j, "refund settled by Stripe", "closed", "s")
    reference = refunding["refund"]["reference"]
    succeeded = sample_event(
        "refund.updated.succeeded", rma, refund_id=reference, event_id=_event_id(j, "ok")
    )
    forged = post_event(j, succeeded, signature=f"t={int(time.time())},v1={'0' * 64}", expect=(400,))
    j.check("a forged signature is refused (400)", forged["error"]["code"] == "invalid_signature")
    post_event(j, succeeded)
    created = sample_event("refund.created", rma, refund_id=reference, event_id=_event_id(j, "created"))
    post_event(j, created)  # arrives after the success: no news
    for _ in range(3):
        post_event(j, succeeded)  # Stripe redelivers: answered as the first time
    final = j.wait_status(rma, "closed")
    events = [e["event"] for e in final["timeline"]]
    j.check(
        "refunded once, then closed", events.count("refund.succeeded") == 1 and final["status"] == "closed"
    )


def stripe_failed_store_credit(j: Journey) -> None:
    """A refund Stripe fails (lost card): the customer is told their options, finance pays store credit."""
    rma, refunding, _ = _refunding(j, "refund failed, store credit", "closed", "f")
    failed = sample_event(
        "refund.failed",
        rma,
        refund_id=refunding["refund"]["reference"],
        event_id=_event_id(j, "failed"),
        failure_reason="lost_or_stolen_card",
    )
    post_event(j, failed)
    j.wait_status(rma, "refund_failed", event="customer.notified.refund_failed")
    j.wait(
        "the workflow waits for finance",
        j.staff_view(rma, "finance"),
        lambda r: r.get("waiting_for") == "refund_retry",
    )
    path = f"/admin/v1/returns/{rma}/refund"
    refused = j.api.call("POST", path, {"method": "card"}, j.api.staff("finance"), expect=(422,))
    j.check("the lost card cannot be paid again (422)", refused["error"]["code"] == "method_not_possible")
    credited = j.api.call("POST", path, {"method": "store_credit"}, j.api.staff("finance"))
    j.say(f"finance (staff API): store credit -> {credited['status']}")
    j.wait_status(rma, "closed")
    final = j.staff_view(rma, "finance")()
    j.check("paid as store credit", (final.get("refund") or {}).get("paid_via") == "store_credit")


def stripe_disputed(j: Journey) -> None:
    """The customer disputes the charge while the refund is pending: Stripe fails the refund, and
    nothing pays it again."""
    rma, refunding, order = _refunding(j, "charge disputed", "refund_failed", "d")
    dispute = sample_event("charge.dispute.created", rma, event_id=_event_id(j, "dispute"))
    dispute["data"]["object"]["payment_intent"] = order["payment_reference"]
    post_event(j, dispute)
    failed = sample_event(
        "refund.failed",
        rma,
        refund_id=refunding["refund"]["reference"],
        event_id=_event_id(j, "dfailed"),
        failure_reason="charge_for_pending_refund_disputed",
    )
    post_event(j, failed)
    j.wait_status(rma, "refund_failed")
    view = j.staff_view(rma, "finance")()
    j.check(f"the return is marked disputed ({view.get('dispute')})", bool(view.get("dispute")))
    refused = j.api.call(
        "POST",
        f"/admin/v1/returns/{rma}/refund",
        {"method": "store_credit"},
        j.api.staff("finance"),
        expect=(409,),
    )
    j.check("finance cannot pay a disputed return (409)", refused["error"]["code"] == "return_disputed")


STRIPE_JOURNEYS = [
    ("Stripe: refund settled by signed webhooks", stripe_settled),
    ("Stripe: refund failed, paid as store credit", stripe_failed_store_credit),
    ("Stripe: a disputed charge is never refunded again", stripe_disputed),
]
