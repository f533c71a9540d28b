"""`make demo` journeys for real labels and side channels (issue 14): a live shop's label bought
from EasyPost (the local stand-in speaking EasyPost's HTTP with its recorded replies, local/easypost.py)
whose link and QR code are in the customer's email; a German customer returning to that shop's one
hub, in New Jersey, with customs items on the shipment and a commercial invoice PDF beside the
label; and SES refusing every mail to a customer (its sandbox) while the return goes on to its
refund."""

from __future__ import annotations

import urllib.request
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from local.demo.data import DEMO_API_KEY, LIVE_API_KEY
from local.demo.harness import _events, _key

if TYPE_CHECKING:
    from local.demo.harness import Journey

NEW_YORK = {"name": "Ada Lovelace", "line1": "350 5th Ave", "city": "New York", "region": "NY",
            "postal_code": "10118", "country": "US", "phone": "+1 212 555 0100"}  # fmt: skip
BERLIN = {"name": "Anna Müller", "line1": "Friedrichstraße 43", "city": "Berlin", "postal_code": "10117",
          "country": "DE", "phone": "+49 30 1234567"}  # fmt: skip

# The customer's language, as a storefront sends it (the email is written in it).
LOCALES = {"DE": {"locale": "de-DE"}}


def _at(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _order(j: Journey, suffix: str, country: str, currency: str, lines: list[dict[str, Any]],
           address: dict[str, str], api_key: str = LIVE_API_KEY) -> dict[str, Any]:  # fmt: skip
    order_id = f"demo-{j.run_id}-{j.number}{suffix}"
    order = {
        "order_id": order_id,
        "order_number": f"#{order_id}",
        "customer": {"email": f"{order_id}@example.com", "country": country, **LOCALES.get(country, {})},
        "currency": currency,
        "ordered_at": _at(5),
        "payment_reference": f"pi_demo{j.run_id}x{j.number}{suffix}",
        "shipping_address": address,
        "lines": [
            {
                "line_id": f"{order_id}-{n}",
                "quantity": 1,
                "category": "apparel",
                "delivered_at": _at(2),
                **line,
                "unit_price": {"amount": line["unit_price"], "currency": currency},
            }
            for n, line in enumerate(lines, 1)
        ],
    }
    j.api.call("POST", "/v1/orders", order, _key(api_key))
    j.say(f"storefront: order {order_id} imported ({country}, {currency}, shipping address given)")
    return order


def _return_all(j: Journey, order: dict[str, Any], api_key: str = LIVE_API_KEY) -> dict[str, Any]:
    items = [
        {"line_id": line["line_id"], "quantity": 1, "reason": "size_too_small"} for line in order["lines"]
    ]
    body = {"order_id": order["order_id"], "items": items, "resolution": "refund"}
    headers = {**_key(api_key), "Idempotency-Key": f"{order['order_id']}-return"}
    created: dict[str, Any] = j.api.call("POST", "/v1/returns", body, headers)
    j.say(f"storefront: return {created['rma']} -> {created['status']}; hub {created['hub']['hub_id']}")
    return created


def _fetch(url: str) -> bytes:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=30) as answer:
        return bytes(answer.read())


def _mail(j: Journey, to: str, body_has: str) -> dict[str, str] | None:
    """The mail to `to` whose body has `body_has` (the label's tracking number: the label email)."""
    mails = j.api.call("POST", "/local/mails", {"to": to})["mails"]
    for mail in mails:
        j.say(f"email to the customer: {mail['subject']}")
    return next((m for m in mails if body_has in m["body"]), None)


def easypost_label_in_the_email(j: Journey) -> None:
    """A live shop: the label is EasyPost's (bought through the SDK), its link and QR code in the email."""
    order = _order(j, "", "US", "USD", [{"sku": "TEE-M", "title": "Black tee, M", "unit_price": "39.00"}],
                   NEW_YORK)  # fmt: skip
    created = _return_all(j, order)
    rma = j.track("EasyPost label, link in the email", created, LIVE_API_KEY, "label_issued")
    ret = j.wait_label(rma, api_key=LIVE_API_KEY)
    label = ret.get("label") or {}
    j.say(f"customer view: {label.get('carrier')} {label.get('tracking_number')}, label {label.get('url')}")
    j.check(
        "bought from EasyPost, not a specimen", label.get("carrier") == "USPS" and not label.get("specimen")
    )
    j.check("the customer's view links the label and the carrier's QR code",
            bool(label.get("url")) and bool(label.get("qr_code_url")))  # fmt: skip
    j.check("the label link serves a PDF", _fetch(str(label["url"])).startswith(b"%PDF-"))
    mail = _mail(j, order["customer"]["email"], str(label["tracking_number"]))
    j.check("the label email was sent", mail is not None and "label" in mail["subject"].lower())
    body = (mail or {}).get("body", "")
    for line in body.splitlines():
        if "http" in line:
            j.say(f"email: {line.strip()}")
    j.check(
        "the email links the label and the QR code",
        str(label["url"]) in body and str(label["qr_code_url"]) in body,
    )


def german_customer_to_the_us_hub(j: Journey) -> None:
    """A shop with no EU hub: a German customer's parcel goes to New Jersey with customs papers."""
    lines = [
        {"sku": "SWEATER", "title": "Merino crew sweater", "unit_price": "29.00", "hs_code": "6110.11",
         "origin_country": "PT"},
        # No product data: the shop's defaults declare it.
        {"sku": "BEANIE", "title": "Wool beanie", "unit_price": "12.00"},
    ]  # fmt: skip
    order = _order(j, "", "DE", "EUR", lines, BERLIN)
    created = _return_all(j, order)
    rma = j.track("German customer, US hub, customs papers", created, LIVE_API_KEY, "label_issued")
    j.check("the return goes to the New Jersey hub", created["hub"]["hub_id"] == "us-nj")
    ret = j.wait_label(rma, api_key=LIVE_API_KEY)
    j.check(
        "the customer's view says customs papers come with it",
        bool((ret.get("label") or {}).get("customs_papers")),
    )
    asked = j.api.call("POST", "/local/easypost/shipments", {"reference": rma})["shipments"]
    customs = (asked[0] if asked else {}).get("customs_info") or {}
    for item in customs.get("customs_items") or []:
        j.say(f"EasyPost customs item: {item['description']} x{item['quantity']} {item['currency']} "
              f"{item['value']}, HS {item['hs_tariff_number']}, origin {item['origin_country']}")  # fmt: skip
    j.check("contents type returned goods, the order number as invoice number",
            customs.get("contents_type") == "returned_goods"
            and (asked[0]["options"] or {}).get("invoice_number") == order["order_number"])  # fmt: skip
    j.check("each line declared, with HS code and origin (the shop's defaults for the beanie)",
            [(i["hs_tariff_number"], i["origin_country"]) for i in customs.get("customs_items") or []]
            == [("611011", "PT"), ("650500", "US")])  # fmt: skip
    label = j.api.call("GET", f"/v1/returns/{rma}/label", headers=_key(LIVE_API_KEY))
    invoice = _fetch(str(label["customs_invoice_url"])) if label.get("customs_invoice_url") else b""
    j.say(f"commercial invoice beside the label: {len(invoice)} bytes")
    j.check("the commercial invoice is a PDF stored beside the label", invoice.startswith(b"%PDF-"))
    mail = _mail(j, order["customer"]["email"], str(label["tracking_number"]))
    j.check("the label email (in German) says to print the customs invoice",
            mail is not None and "Handelsrechnung" in mail["body"])  # fmt: skip


def ses_refuses_and_the_return_goes_on(j: Journey) -> None:
    """SES in its sandbox refuses every mail to this customer: each failure is on the timeline, and
    the return goes on to its refund."""
    order = j.order("", "20.00")
    email = order["customer"]["email"]
    j.api.call("POST", "/local/ses/unverified", {"address": email})
    j.say("SES (local): this customer's address is not verified, as in SES's sandbox")
    created = j.request_return(order, "size_too_large", "refund", headers=_key(DEMO_API_KEY))
    rma = j.track("SES refuses, refund still paid", created, DEMO_API_KEY, "closed")
    j.wait_status(rma, "label_issued", event="customer.notification_failed.label_issued")
    j.carrier(rma, "in_transit")
    j.carrier(rma, "delivered")
    j.wait_refund_requested(rma)
    j.payment(rma, "succeeded")
    final = j.wait_status(rma, "closed")
    events = _events(final)
    failed = [e.removeprefix("customer.notification_failed.") for e in events if "notification_failed" in e]
    j.say(f"not emailed about: {', '.join(failed)}")
    j.check("each refused email is on the timeline", {"requested", "label_issued", "refunded"} <= set(failed))
    j.check("the refund was paid all the same", "refund.succeeded" in events)
    j.check("SES sent this customer nothing", not j.api.call("POST", "/local/mails", {"to": email})["mails"])


def unused_label_refunded(j: Journey) -> None:
    """A live shop's return cancelled after its EasyPost label was bought: the workflow hands the
    unused label back through EasyPost's refund endpoint, once, and says so on the timeline."""
    order = _order(j, "", "US", "USD", [{"sku": "CAP-1", "title": "Cap", "unit_price": "25.00"}], NEW_YORK)
    created = _return_all(j, order)
    rma = j.track("cancelled after its label: the label refunded", created, LIVE_API_KEY, "cancelled")
    label = j.wait_label(rma, api_key=LIVE_API_KEY).get("label") or {}
    answer = j.api.call("POST", f"/v1/returns/{rma}/cancel", None, _key(LIVE_API_KEY))
    j.say(f"storefront: cancel -> {answer['status']}")
    view = j.wait(
        "the unused label handed back",
        j.staff_view(rma, "support"),
        lambda r: any(e["event"] == "label.refund" for e in r.get("timeline") or []),
        target="cancelled",
    )
    for entry in view.get("timeline") or []:
        if entry["event"] == "label.refund":
            j.say(f"timeline: {entry['message']}")
    refunds = j.api.call("POST", "/local/easypost/refunds", {"reference": rma})["refunds"]
    for refund in refunds:
        j.say(f"easypost (local stand-in): POST /v2/refunds {refund['carrier']} {refund['tracking_code']} "
              f"-> {refund['status']}")  # fmt: skip
    j.check("EasyPost was asked once to refund this label",
            [r["tracking_code"] for r in refunds] == [label.get("tracking_number")])  # fmt: skip
    j.wait_status(rma, "cancelled", api_key=LIVE_API_KEY, event="customer.notified.cancelled")


LABEL_JOURNEYS = [
    ("labels: a live shop's EasyPost label, its link and QR code in the email", easypost_label_in_the_email),
    ("labels: a German customer to the US hub, customs items and invoice PDF", german_customer_to_the_us_hub),
    ("side channels: SES refuses every mail, the return is refunded", ses_refuses_and_the_return_goes_on),
    ("labels: cancelled after its EasyPost label, the unused label refunded", unused_label_refunded),
]
