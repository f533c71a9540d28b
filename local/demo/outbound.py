"""`make demo`'s outbound-parcel journeys (issue 21): a Shopify order shipped from Shenzhen by
YunExpress and handed over to USPS, delivered, its return window counted from that delivery; a
delayed parcel whose customer is told once; a customs exception that opens a support ticket; a
"where is my order" ticket in Spanish answered with the parcel's status and estimated delivery.

Carrier news is events/samples/carriers/*_outbound_* with this run's tracking numbers and times,
signed as 17TRACK signs its pushes (local/outbound_samples.py, local/carrier_signing.py).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from boomerang.shopify.signature import sign
from local.carrier_signing import WEBHOOK_SECRETS, signed_headers
from local.demo.data import DEMO_API_KEY, DEMO_SHOP, address_in
from local.outbound_samples import new_numbers, outbound_sample, shopify_fulfillment, shopify_us_order
from local.shopify import DEMO_SHOPIFY_DOMAIN, DEMO_SHOPIFY_SECRET

if TYPE_CHECKING:  # local/demo/journeys.py lists these journeys: no import back at run time
    from local.demo.harness import Journey

KEY = {"x-api-key": DEMO_API_KEY}


def _push(j: Journey, name: str, first: str, last: str, start: datetime) -> dict[str, Any]:
    body = json.loads(outbound_sample(name, first, last, start))
    raw = json.dumps(body).encode()  # what Api.call sends: the signature covers these bytes
    headers = signed_headers("17track", raw, WEBHOOK_SECRETS["17track"][1])
    answer: dict[str, Any] = j.api.call(
        "POST", "/webhooks/carriers/17track", body, headers, expect=(200, 202)
    )
    j.say(
        f"17TRACK push {name.removeprefix('17track_outbound_')}: {answer['result']} -> {answer.get('status')}"
    )
    return answer


def _shopify(j: Journey, topic: str, body: dict[str, Any]) -> dict[str, Any]:
    raw = json.dumps(body).encode()
    headers = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(raw, DEMO_SHOPIFY_SECRET),
        "X-Shopify-Shop-Domain": DEMO_SHOPIFY_DOMAIN,
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
    }
    answer: dict[str, Any] = j.api.call("POST", "/webhooks/shopify", body, headers)
    return answer


def _tracking(j: Journey, order_id: str, lang: str = "en") -> dict[str, Any]:
    view: dict[str, Any] = j.api.call("GET", f"/v1/orders/{order_id}/tracking?lang={lang}", headers=KEY)
    return view


def _order(j: Journey, suffix: str, ordered_days_ago: int = 12, locale: str = "en-US") -> dict[str, Any]:
    now = datetime.now(UTC)
    order_id = f"demo-{j.run_id}-{j.number}{suffix}"
    order = {
        "order_id": order_id,
        "order_number": f"#{order_id}",
        "customer": {"email": f"{order_id}@example.com", "country": "US", "locale": locale},
        "shipping_address": address_in("US"),
        "currency": "USD",
        "ordered_at": (now - timedelta(days=ordered_days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "payment_reference": f"pi_demo{j.run_id}x{j.number}{suffix}",
        "lines": [
            {
                "line_id": f"{order_id}-1",
                "sku": "DRESS-SUMMER-M",
                "title": "Summer dress, M",
                "category": "apparel",
                "quantity": 1,
                "unit_price": {"amount": "39.00", "currency": "USD"},
            }
        ],
    }
    j.api.call("POST", "/v1/orders", order, KEY)
    return order


def _fulfil(j: Journey, order: dict[str, Any], first: str, shipped_days_ago: float) -> dict[str, Any]:
    shipped = (datetime.now(UTC) - timedelta(days=shipped_days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {
        "tracking_number": first,
        "carrier": "YunExpress",
        "lines": [{"line_id": order["lines"][0]["line_id"], "quantity": 1}],
        "shipped_at": shipped,
    }
    headers = {**KEY, "Idempotency-Key": f"{order['order_id']}-ship"}
    parcel: dict[str, Any] = j.api.call("POST", f"/v1/orders/{order['order_id']}/fulfillments", body, headers)
    j.say(f"storefront: fulfilment {first} by YunExpress ({parcel['parcel_id']}, status {parcel['status']})")
    return parcel


def shopify_yunexpress_to_usps(j: Journey) -> None:
    """Ordered in Shopify 45 days ago: the window counted from the order would be closed. Shipped
    from Shenzhen by YunExpress, handed over to USPS, delivered a day and a half ago: the window
    counts from that delivery, and a late scan after it changes nothing."""
    now = datetime.now(UTC)
    order_id = str(7100000000000 + int(j.run_id, 16) % 10**9 * 10 + j.number)
    email = f"shopify-{j.run_id}@example.com"
    order = shopify_us_order(order_id, 5000 + j.number, email)
    placed = (now - timedelta(days=45)).isoformat()
    order.update({"created_at": placed, "processed_at": placed, "updated_at": placed})
    j.say(f"shopify: orders/create {order['name']} -> {_shopify(j, 'orders/create', order)['outcome']}")
    eligibility = j.api.call("GET", f"/v1/orders/{order_id}/eligibility", headers=KEY)
    line = eligibility["lines"][0]
    j.check(
        "not yet delivered, 45 days after the order: the window from the order date is closed",
        (line.get("ineligible") or {}).get("code") == "return_window_closed",
    )
    first, last = new_numbers()
    shipped = now - timedelta(days=9)
    outcome = _shopify(j, "fulfillments/create", shopify_fulfillment(order, first, shipped))["outcome"]
    j.say(f"shopify: fulfillments/create YunExpress {first} -> {outcome}")
    for name in ("17track_outbound_in_transit", "17track_outbound_handover"):
        _push(j, name, first, last, shipped)
    view = _tracking(j, order_id)
    parcel = view["parcels"][0]
    j.check(
        "handed over to USPS with its own number",
        parcel["last_mile"] == {"carrier": "USPS", "tracking_number": last},
    )
    j.say(f"tracking: {parcel['status_label']}; {parcel['estimated_delivery']['text']}")
    _push(j, "17track_outbound_delivered", first, last, shipped)
    late = _push(j, "17track_outbound_in_transit", first, last, shipped + timedelta(hours=2))
    j.check("a late in-transit scan after delivery changes nothing", late["result"] == "ignored")
    view = _tracking(j, order_id)
    parcel = view["parcels"][0]
    j.say(
        f"tracking: {parcel['status_label']} at {parcel['delivered_at']}, "
        f"{len(parcel['checkpoints'])} checkpoints"
    )
    for c in parcel["checkpoints"][:3]:
        j.say(f"    {c['at']} {c['carrier']} {c['location']}: {c['message']}")
    j.check(
        "delivered, and the tracking view offers the returns portal",
        view["returns_path"] == f"/{DEMO_SHOP}/returns",
    )
    eligibility = j.api.call("GET", f"/v1/orders/{order_id}/eligibility", headers=KEY)
    line = eligibility["lines"][0]
    j.say(f"eligibility: eligible {line['eligible']}, deadline {line.get('deadline')}")
    delivered = datetime.fromisoformat(parcel["delivered_at"].replace("Z", "+00:00"))
    j.check(
        "the return window counts from the carrier's delivery (30 days)",
        line["eligible"] is True
        and str(line.get("deadline", ""))[:10] == f"{delivered + timedelta(days=30):%Y-%m-%d}",
    )
    mails = [m["subject"] for m in j.api.call("POST", "/local/mails", {"to": email})["mails"]]
    j.say(f"emails to the customer: {mails}")
    j.check("told once that it was delivered", sum("has been delivered" in s for s in mails) == 1)


def delayed_parcel_told_once(j: Journey) -> None:
    """Shipped ten days ago and not scanned since: the hourly watch finds it late and tells the
    customer once, in their language (German here)."""
    order = _order(j, "", locale="de-DE")
    first, _ = new_numbers()
    _fulfil(j, order, first, shipped_days_ago=10)
    for run in (1, 2):
        report = j.api.call("POST", "/local/simulate/shipment-watch", {})
        j.say(
            f"delay watch run {run}: looked at {report['looked_at']}, "
            f"told {report['told']} {report['by_reason']}"
        )
    view = _tracking(j, order["order_id"], "de")
    j.check("the tracking view says it is late", view["parcels"][0]["delayed"] is True)
    mails = j.api.call("POST", "/local/mails", {"to": order["customer"]["email"]})["mails"]
    for mail in mails:
        j.say(f"email to the customer: {mail['subject']}")
    j.check(
        "told once, in German",
        [m["subject"] for m in mails]
        == [f"Deine Bestellung {order['order_number']} braucht länger als erwartet"],
    )


def customs_exception_opens_a_ticket(j: Journey) -> None:
    """Held by customs in Los Angeles: the customer is told, `shipment.exception` goes on the bus and
    support gets a ticket in its queue, linked to the order."""
    order = _order(j, "")
    first, last = new_numbers()
    _fulfil(j, order, first, shipped_days_ago=6)
    _push(j, "17track_outbound_customs_hold", first, last, datetime.now(UTC) - timedelta(days=6))
    view = _tracking(j, order["order_id"])
    j.say(f"tracking: {view['parcels'][0]['status_label']}: {view['parcels'][0]['exception_label']}")
    j.check("in exception: customs hold", view["parcels"][0]["exception"] == "customs_hold")

    def fetch() -> dict[str, Any]:
        query = f"/admin/v1/tickets?shop={DEMO_SHOP}&group=support&status=open&limit=100"
        page = j.api.call("GET", query, headers=j.api.staff("support"))
        found = [t for t in page["items"] if t.get("order_id") == order["order_id"]]
        return found[0] if found else {}

    ticket = j.wait(f"a support ticket for order {order['order_id']}", fetch, bool)
    j.say(f"support (staff API): ticket {ticket['ticket_id']}: {ticket['subject']}")
    j.check("a tracking ticket for support", ticket["category"] == "tracking")
    mails = j.api.call("POST", "/local/mails", {"to": order["customer"]["email"]})["mails"]
    j.check(
        "the customer was told", [m["subject"][:33] for m in mails] == ["A problem with the delivery of or"]
    )


def where_is_my_order_in_spanish(j: Journey) -> None:
    """A Spanish customer asks where the order is; the parcel is moving on time, so the reply
    quoting its status and estimated delivery (from the shop's measured YunExpress CN -> US times)
    goes out at once, in Spanish."""
    order = _order(j, "", locale="es-MX")
    first, last = new_numbers()
    _fulfil(j, order, first, shipped_days_ago=5)
    _push(j, "17track_outbound_handover", first, last, datetime.now(UTC) - timedelta(days=6))
    question = "Hola, ¿dónde está mi pedido? Lo compré hace dos semanas y no sé cuándo llega."
    ticket = j.api.call(
        "POST",
        "/v1/tickets",
        {"message": question, "order_id": order["order_id"]},
        {**KEY, "Idempotency-Key": f"{order['order_id']}-wismo"},
    )
    j.say(f"customer: ticket {ticket['ticket_id']}: {question!r}")
    j.say(
        f"classifier: language {ticket['language']}, category {ticket['category']}; status {ticket['status']}"
    )
    j.check("a Spanish tracking question", (ticket["language"], ticket["category"]) == ("es", "tracking"))
    seen = j.api.call("GET", f"/v1/tickets/{ticket['ticket_id']}", headers=KEY)
    replies = [m for m in seen["messages"] if m["author_kind"] != "customer"]
    for m in replies:
        j.say(f"answer ({m['author_kind']}): {m['body']}")
    j.check(
        "answered at once in Spanish with the status and the estimate",
        len(replies) == 1 and "En camino" in replies[0]["body"] and "Llegará hacia el" in replies[0]["body"],
    )
