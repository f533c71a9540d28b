"""`make demo` journeys for money going back the way it came: the demo shop is live and connected to
Shopify, Stripe and PayPal as `boomerang connect` connects a shop (docs/PAYMENTS.md); the providers
are the local fakes answering with their recorded replies (local/payment_fakes.py), reached by the
real SDKs and adapters. POST /local/payments shows which provider was asked, with which key."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from local.demo.data import DEMO_API_KEY

if TYPE_CHECKING:
    from local.demo.harness import Journey


def _key() -> dict[str, str]:
    return {"x-api-key": DEMO_API_KEY}


def _delivered(j: Journey, label: str, expected: str, reference: str | None) -> str:
    order = j.order("", "20.00", payment_reference=reference)
    j.say(f"            paid as: {reference or '(no payment reference)'}")
    created = j.request_return(order, "size_too_small", "refund", headers=_key())
    rma = j.track(label, created, DEMO_API_KEY, expected)
    j.wait_label(rma)
    j.carrier(rma, "delivered")
    return rma


def _asked(j: Journey, rma: str) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = j.api.call("POST", "/local/payments", {"key_contains": rma})["calls"]
    for call in calls:
        j.say(f"{call['provider']} (local fake): POST {call['path']} key {call['key']}")
    return calls


def _refunded_at_once(j: Journey, provider: str, reference: str, refund_prefix: str) -> None:
    rma = _delivered(j, f"refunded through {provider}", "closed", reference)
    final = j.wait_status(rma, "closed")
    refund = j.staff_view(rma, "finance")().get("refund") or {}
    calls = _asked(j, rma)
    j.check(
        f"refunded through {provider} ({refund.get('reference')})",
        str(refund.get("reference") or "").startswith(refund_prefix) and refund.get("status") == "succeeded",
    )
    j.check(
        f"{provider} was asked once, with the attempt's key", [c["provider"] for c in calls] == [provider]
    )
    j.check("refunded, then closed", [e["event"] for e in final["timeline"]].count("refund.succeeded") == 1)


def shopify_refund(j: Journey) -> None:
    """A Shopify order: refunded through Shopify's Admin GraphQL API (refundCreate), whatever gateway
    took the money, with the shop's Admin API token."""
    _refunded_at_once(j, "shopify", "gid://shopify/Order/734509473", "gid://shopify/Refund/")


def stripe_payment_intent(j: Journey) -> None:
    """A Stripe PaymentIntent: refunded by its id; Stripe's signed webhook settles it."""
    from local.demo.stripe import post_event
    from local.stripe_local import sample_event

    reference = f"pi_3Demo{j.run_id}x{j.number}"
    rma = _delivered(j, "Stripe refund by PaymentIntent", "closed", reference)
    refunding = j.wait_refund_requested(rma)
    calls = _asked(j, rma)
    j.check("Stripe was asked once (POST /v1/refunds)", [c["path"] for c in calls] == ["/v1/refunds"])
    refund_id = refunding["refund"]["reference"]
    event = sample_event("refund.updated.succeeded", rma, refund_id=refund_id,
                         event_id=f"evt_pay_{j.run_id}_{j.number}")  # fmt: skip
    event["data"]["object"]["payment_intent"] = reference
    post_event(j, event)
    final = j.wait_status(rma, "closed")
    j.check("settled by Stripe's webhook, then closed", final["status"] == "closed")


def paypal_capture(j: Journey) -> None:
    """A PayPal capture: refunded through PayPal's REST API (paypal-server-sdk)."""
    _refunded_at_once(j, "paypal", "paypal:9BT885563M275774M", "")


def no_payment_reference(j: Journey) -> None:
    """An order the storefront sent without a payment reference: nothing is "refunded"; the return
    ends in refund_failed (no_payment_reference) and finance gets a ticket to pay another way."""
    rma = _delivered(j, "no payment reference, then paid by PayPal", "closed", None)
    j.wait_status(rma, "refund_failed", event="customer.notified.refund_failed")
    view = j.staff_view(rma, "finance")()
    refund = view.get("refund") or {}
    j.check(
        f"refund_failed: {refund.get('failure_reason')}",
        refund.get("failure_reason") == "no_payment_reference",
    )
    j.check("no provider was asked", _asked(j, rma) == [])
    ticket = j.wait_system_ticket(rma, "finance")
    j.check("finance's ticket is about the refund", ticket.get("category") == "refund_status")
    path = f"/admin/v1/returns/{rma}/refund"
    refused = j.api.call("POST", path, {"method": "card"}, j.api.staff("finance"), expect=(422,))
    j.check("the card cannot be asked (422)", refused["error"]["code"] == "method_not_possible")
    paid = j.api.call("POST", path, {"method": "paypal"}, j.api.staff("finance"))
    j.say(f"finance (staff API): pay by PayPal -> {paid['status']}")
    calls = _asked(j, rma)
    j.check("PayPal paid it (a payout, once)", [c["path"] for c in calls] == ["/v1/payments/payouts"])
    j.wait_status(rma, "closed")


def four_ways_at_once(j: Journey) -> None:
    """One round of the payment race (tests/integration/test_payment_race.py runs 50, from separate
    processes): a refund the card's bank declined, and finance sending card, store credit, PayPal and
    bank transfer at the same moment. One pays; the others answer 409 and ask no provider."""
    import threading

    from local.demo.stripe import _event_id, _refunding, post_event
    from local.stripe_local import sample_event

    rma, refunding, _ = _refunding(j, "the race: four ways to pay at once, one payment", "closed", "r")
    failed = sample_event("refund.failed", rma, refund_id=refunding["refund"]["reference"],
                          event_id=_event_id(j, "declined"), failure_reason="declined")  # fmt: skip
    post_event(j, failed)
    j.wait_status(rma, "refund_failed", event="customer.notified.refund_failed")
    j.wait("the workflow waits for finance", j.staff_view(rma, "finance"),
           lambda r: r.get("waiting_for") == "refund_retry")  # fmt: skip
    before = len(_asked(j, rma))  # the first refund, declined
    path, finance = f"/admin/v1/returns/{rma}/refund", j.api.staff("finance")
    bodies = [{"method": "card"}, {"method": "store_credit"}, {"method": "paypal"},
              {"method": "bank_transfer", "reference": f"SEPA-{j.run_id}"}]  # fmt: skip
    answers: dict[str, Any] = {}
    start = threading.Barrier(len(bodies))

    def pay(body: dict[str, str]) -> None:
        start.wait()
        answers[body["method"]] = j.api.call("POST", path, body, finance, expect=(200, 201, 409))

    threads = [threading.Thread(target=pay, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    paid = [m for m, a in answers.items() if "error" not in a]
    for method, answer in sorted(answers.items()):
        j.say(f"finance (staff API, at once): {method} -> {answer.get('status') or answer['error']['code']}")
    j.check("exactly one way paid", len(paid) == 1 and len(answers) == len(bodies))
    j.check("the others answered 409 with a code",
            all(answers[m]["error"]["code"] in ("payment_in_progress", "refund_not_failed")
                for m in answers if m not in paid))  # fmt: skip
    view = j.staff_view(rma, "finance")()
    if paid == ["card"] and view["status"] == "refund_pending":  # Stripe settles the new refund later
        post_event(j, sample_event("refund.updated.succeeded", rma, refund_id=view["refund"]["reference"],
                                   event_id=_event_id(j, "paid")))  # fmt: skip
    j.wait_status(rma, "closed")
    calls = _asked(j, rma)[before:]
    providers = {"card": ["stripe"], "paypal": ["paypal"]}.get(paid[0] if paid else "", [])
    j.check(f"providers asked once for the one payment ({', '.join(providers) or 'none'})",
            [c["provider"] for c in calls] == providers)  # fmt: skip


PAYMENT_JOURNEYS = [
    ("payments: a Shopify order refunded through Shopify", shopify_refund),
    ("payments: a Stripe refund by PaymentIntent", stripe_payment_intent),
    ("payments: a PayPal capture refunded", paypal_capture),
    ("payments: no payment reference -> refund_failed, finance pays by PayPal", no_payment_reference),
    ("payments: the race: finance's four ways to pay at once, one payment", four_ways_at_once),
]
