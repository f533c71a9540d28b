"""`make demo` journeys for return labels and carrier tracking: the label from the nearest hub,
fetched as the customer would, and the parcel's scans posted as signed EasyPost, AfterShip and
17TRACK webhooks (events/samples/carriers) that move the return with nobody typing anything."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from local.carrier_signing import WEBHOOK_SECRETS, sample, signed_headers
from local.demo.data import DEMO_API_KEY, address_in

if TYPE_CHECKING:
    from local.demo.harness import Journey

KEY = {"x-api-key": DEMO_API_KEY}


def _order(j: Journey, suffix: str, country: str, currency: str, price: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    order_id = f"demo-{j.run_id}-{j.number}{suffix}"

    def at(days: int) -> str:
        return (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")

    order = {
        "order_id": order_id,
        "order_number": f"#{order_id}",
        "customer": {"email": f"{order_id}@example.com", "country": country},
        "shipping_address": address_in(country),
        "currency": currency,
        "ordered_at": at(5),
        "payment_reference": f"pi_demo{j.run_id}x{j.number}{suffix}",  # a PaymentIntent id's form
        "lines": [
            {
                "line_id": f"{order_id}-1",
                "sku": "SKU-TEE",
                "title": "T-shirt",
                "category": "apparel",
                "quantity": 1,
                "unit_price": {"amount": price, "currency": currency},
                "delivered_at": at(2),
            }
        ],
    }
    j.api.call("POST", "/v1/orders", order, KEY)
    j.say(f"storefront: order {order_id} imported ({country}, {currency} {price})")
    return order


def _label(j: Journey, rma: str) -> dict[str, Any]:
    """The customer's one click: the label link, then the PDF behind it."""
    label: dict[str, Any] = j.api.call("GET", f"/v1/returns/{rma}/label", headers=KEY)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(label["url"], timeout=30) as answer:
        pdf = answer.read()
    j.say(
        f"customer: label {label['carrier']} {label['tracking_number']} to {label['hub']['name']} "
        f"({label['cost']['currency']} {label['cost']['amount']}), PDF {len(pdf)} bytes, "
        f"link valid until {label['url_expires_at']}"
    )
    j.check("the label link serves a PDF", pdf.startswith(b"%PDF-"))
    return label


def _post(
    j: Journey,
    provider: str,
    name: str,
    tracking_number: str,
    *,
    secret: str | None = None,
    variant: str = "",
) -> Any:
    """A sample event for this parcel, signed as `provider` signs it, posted to its webhook."""
    body = json.loads(sample(name, tracking_number, variant))
    raw = json.dumps(body).encode()  # what Api.call sends: the signature covers these bytes
    headers = signed_headers(provider, raw, secret or WEBHOOK_SECRETS[provider][1])
    expect = (401,) if secret else (200, 202)
    answer = j.api.call("POST", f"/webhooks/carriers/{provider}", body, headers, expect=expect)
    if secret:
        j.say(f"{provider} (forged signature): refused, {answer['error']['code']}")
    else:
        j.say(f"{provider} webhook {name}: {answer['result']} -> {answer.get('status')}")
    return answer


def _start(j: Journey, suffix: str, country: str, currency: str, hub: str, expected: str) -> tuple[str, str]:
    order = _order(j, suffix, country, currency, "20.00")
    created = j.request_return(order, "size_too_large", "refund", headers=KEY)
    rma = j.track(f"{country} size return, tracked by carrier webhooks", created, DEMO_API_KEY, expected)
    j.check(f"{country} goes to {hub}", created["hub"]["hub_id"] == hub)
    j.wait_label(rma)
    return rma, str(_label(j, rma)["tracking_number"])


def easypost_us(j: Journey) -> None:
    """US -> New Jersey; EasyPost's tracker.updated moves it; a forged and a repeated delivery change
    nothing; delivery refunds it (policy: refund on delivery under $25)."""
    rma, tracking = _start(j, "", "US", "USD", "us-nj", "closed")
    _post(j, "easypost", "easypost_in_transit", tracking, secret="forged-secret")
    first = _post(j, "easypost", "easypost_in_transit", tracking)
    again = _post(j, "easypost", "easypost_in_transit", tracking)
    j.check("a repeated delivery gets the same answer", again == first)
    j.wait_status(rma, "in_transit")
    _post(j, "easypost", "easypost_delivered", tracking)
    # The in-transit scan again as a new event, arriving after the delivery.
    late = _post(j, "easypost", "easypost_in_transit", tracking, variant="late")
    # By now the workflow may have moved on from delivered (refund on delivery): any status but back.
    j.check(
        "a late in-transit scan does not move it back",
        late["result"] == "ignored" and late.get("status") != "in_transit",
    )
    j.wait_refund_requested(rma)
    j.payment(rma, "succeeded")
    j.wait_status(rma, "closed")


def aftership_eu(j: Journey) -> None:
    """Germany -> the Poland GLS point; AfterShip's tags move it."""
    rma, tracking = _start(j, "", "DE", "EUR", "eu-pl-gls", "closed")
    _post(j, "aftership", "aftership_in_transit", tracking)
    j.wait_status(rma, "in_transit")
    _post(j, "aftership", "aftership_delivered", tracking)
    j.wait_refund_requested(rma)
    j.payment(rma, "succeeded")
    j.wait_status(rma, "closed")


def seventeen_track_exception(j: Journey) -> None:
    """Great Britain -> the origin warehouse, a cross-border line tracked through 17TRACK; the
    carrier returns it to the sender: support sees it on the return (a ticket is opened from the
    return.carrier_exception event); the return stays where it was."""
    rma, tracking = _start(j, "", "GB", "USD", "origin", "in_transit")
    _post(j, "17track", "17track_in_transit", tracking)
    j.wait_status(rma, "in_transit")
    _post(j, "17track", "17track_exception_returning", tracking)
    j.wait_status(rma, "in_transit", event="return.carrier_exception")
    ticket = j.wait_system_ticket(rma, "support")
    j.check("the exception opened a support ticket about tracking", ticket.get("category") == "tracking")
