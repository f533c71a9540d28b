"""`make demo`'s markets journeys (issue 19, issue 13 item 9): a German customer's return under the
EU's 14-day terms, told in German (read back from SES on moto); a CNY return decided at the recorded
ECB rate; the order number typed without its `#`; and a reviewed return that reads as sent to a
person, approval overridden, until staff decide it."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from local.demo.data import DEMO_API_KEY, DEMO_SHOP, address_in
from local.demo.harness import _key

if TYPE_CHECKING:  # local/demo/journeys.py lists these journeys: no import back at run time
    from local.demo.harness import Journey


def _order(j: Journey, suffix: str, price: str, currency: str, country: str, **more: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    order_id = f"demo-{j.run_id}-{j.number}{suffix}"
    digits = f"{zlib.crc32(order_id.encode()) % 10**8:08d}"

    def at(days: float) -> str:
        return (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")

    order = {
        "order_id": order_id,
        "order_number": f"#{digits}",
        "customer": {"email": f"{order_id}@example.com", "country": country, **more},
        "shipping_address": address_in(country),
        "currency": currency,
        "ordered_at": at(15),
        "payment_reference": f"pi_demo{j.run_id}x{j.number}{suffix}",
        "lines": [
            {
                "line_id": f"{order_id}-1",
                "sku": "DRESS-LINEN-38",
                "title": "Linen dress, 38",
                "category": "apparel",
                "quantity": 1,
                "unit_price": {"amount": price, "currency": currency},
                "delivered_at": at(12),
            }
        ],
    }
    j.api.call("POST", "/v1/orders", order, _key(DEMO_API_KEY), expect=(200, 201))
    j.say(f"storefront: order {order['order_number']} ({country}, {currency} {price}) imported")
    return order


def german_customer_under_eu_terms(j: Journey) -> None:
    """Delivered 12 days ago to Germany: inside the EU's 14 days from delivery, for any reason."""
    order = _order(j, "", "45.00", "EUR", "DE", locale="de-DE")
    # The customer types the order number as printed on the parcel, without its '#'.
    typed = order["order_number"].lstrip("#")
    session = j.api.call(
        "POST",
        "/v1/sessions",
        {"shop": DEMO_SHOP, "order_number": typed, "email": order["customer"]["email"]},
    )
    j.check(f"'{typed}' finds order {order['order_number']}", session["order_id"] == order["order_id"])
    bearer = {"Authorization": f"Bearer {session['token']}"}
    line = j.api.call("GET", f"/v1/orders/{order['order_id']}/eligibility", headers=bearer)["lines"][0]
    j.say(f"customer: returnable until {line['deadline']} (14 days from delivery), reasons: any")
    created = j.request_return(order, "size_too_small", "refund", headers=bearer)
    rma = j.track("German customer, EU terms", created, DEMO_API_KEY, "label_issued")
    market = created["decision"]["market"]
    j.check(
        f"the decision names the market: {market['name']}, "
        f"{market['window_days']} days from {market['window_from']}",
        market["market_id"] == "eu" and market["window_days"] == 14,
    )
    final = j.wait_label(rma)
    mails = j.api.call("POST", "/local/mails", {"to": order["customer"]["email"]})["mails"]
    for mail in mails:
        j.say(f"email to the customer: {mail['subject']}")
    told = [e["message"] for e in final["timeline"] if e["event"].startswith("customer.notified.")]
    for message in told:
        j.say(f"timeline: {message}")
    j.check(
        f"emails in German ({len(mails)}), their subjects on the timeline as sent",
        len(mails) >= 2 and [f"Customer told (de): {m['subject']}" for m in mails] == told[: len(mails)],
    )


def cny_return_at_the_recorded_rate(j: Journey) -> None:
    """A CNY 299 dress: thresholds in USD, converted at the ECB's rate of the recorded day."""
    order = _order(j, "", "299.00", "CNY", "CN")
    created = j.request_return(order, "size_too_small", "refund", headers=_key(DEMO_API_KEY))
    rma = j.track("CNY 299 dress", created, DEMO_API_KEY, "label_issued")
    rate = created["decision"]["exchange_rate"]
    j.check(
        f"approved at once, at 1 {rate['from_currency']} = {rate['rate']} {rate['to_currency']} "
        f"({rate['source']}, {rate['date']})",
        created["status"] == "approved" and rate["to_currency"] == "CNY",
    )
    j.wait_label(rma)


def reviewed_return_reads_as_reviewed(j: Journey) -> None:
    """Cheap headphones, wrong size: the size rule would approve, electronics go to a person."""
    order = j.order("", "20.00", category="electronics")
    created = j.request_return(order, "size_too_small", "refund", headers=_key(DEMO_API_KEY))
    rma = j.track("cheap electronics, approved by support", created, DEMO_API_KEY, "label_issued")
    decision = created["decision"]
    overridden = [r["rule_id"] for r in decision["rules"] if r["overridden"]]
    j.check(
        f"sent to a person; the approval rule marked overridden ({', '.join(overridden)})",
        created["status"] == "pending_review" and overridden == ["auto_approve_size_under_50"],
    )
    j.wait("the workflow waits for review", j.staff_view(rma), lambda r: r.get("waiting_for") == "review")
    j.approve(rma, "within the size exchange terms")
    final = j.wait_label(rma)
    outcome = final["decision"]
    j.check(
        f"the final outcome and who made it: {outcome['outcome']} by {outcome['decided_by']} "
        f"(the policy said {outcome['policy_outcome']})",
        outcome["outcome"] == "approved"
        and str(outcome["decided_by"]).startswith("staff:")
        and outcome["policy_outcome"] == "pending_review",
    )
