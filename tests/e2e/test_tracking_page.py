"""The tracking page in a real browser (Debian's chromium, driven by Playwright) against `make local`:
a parcel shipped by YunExpress, handed over to USPS and delivered, found by order number and email,
with "Start a return" opening the portal with the order's number filled in; a parcel still on its
way opened by the shipping email's signed link on a phone, without JavaScript, with the lane's
estimate. axe-core checks each page: no serious or critical violation. Screenshots go to
docs/screenshots/ (web-tracking-*.png)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from local.carrier_signing import WEBHOOK_SECRETS, signed_headers
from local.outbound_samples import new_numbers, outbound_sample
from tests.e2e.test_web_pages import DEMO_KEY, SHOTS, browser, check_page, local  # noqa: F401 - fixtures


def _order(base: str, number: str, email: str, locale: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    order = {
        "order_id": number,
        "order_number": f"#{number}",
        "customer": {"email": email, "country": "US", "locale": locale},
        "currency": "USD",
        "ordered_at": (now - timedelta(days=12)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "payment_reference": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
        "lines": [
            {
                "line_id": f"{number}-1",
                "sku": "DRESS-SUMMER-M",
                "title": "Summer dress, M",
                "category": "apparel",
                "quantity": 1,
                "unit_price": {"amount": "39.00", "currency": "USD"},
            }
        ],
    }
    done = requests.post(f"{base}/v1/orders", json=order, headers={"x-api-key": DEMO_KEY}, timeout=30)
    assert done.status_code in (200, 201), done.text
    return order


def _ship(base: str, order: dict[str, Any], first: str, shipped: datetime) -> dict[str, Any]:
    body = {
        "tracking_number": first,
        "carrier": "YunExpress",
        "lines": [{"line_id": order["lines"][0]["line_id"], "quantity": 1}],
        "shipped_at": shipped.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    headers = {"x-api-key": DEMO_KEY, "Idempotency-Key": f"{order['order_id']}-ship"}
    made = requests.post(
        f"{base}/v1/orders/{order['order_id']}/fulfillments", json=body, headers=headers, timeout=30
    )
    assert made.status_code == 201, made.text
    parcel: dict[str, Any] = made.json()
    return parcel


def _push(base: str, name: str, first: str, last: str, start: datetime) -> None:
    raw = outbound_sample(name, first, last, start)
    headers = {
        "Content-Type": "application/json",
        **signed_headers("17track", raw, WEBHOOK_SECRETS["17track"][1]),
    }
    answer = requests.post(f"{base}/webhooks/carriers/17track", data=raw, headers=headers, timeout=30)
    assert answer.status_code in (200, 202) and answer.json()["result"] == "moved", answer.text


def test_a_delivered_parcel_found_by_number_and_email_offers_a_return(local: str, browser: Any) -> None:  # noqa: F811
    number = f"77{int(time.time()) % 100000:05d}"
    order = _order(local, number, "grace@example.com", "en-US")
    first, last = new_numbers()
    start = datetime.now(UTC) - timedelta(days=9)
    _ship(local, order, first, start)
    for name in ("17track_outbound_in_transit", "17track_outbound_handover", "17track_outbound_delivered"):
        _push(local, name, first, last, start)

    context = browser.new_context(locale="en-US", viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.goto(f"{local}/demo/track")
    check_page(page, "web-tracking-lookup")
    # A wrong email answers as an unknown order does.
    page.get_by_label("Order number").fill(number)
    page.get_by_label("Email address").fill("someone@example.com")
    page.get_by_role("button", name="Track my order").click()
    page.locator("#form-error").wait_for()
    assert "We could not find an order" in page.inner_text("#form-error")
    page.goto(f"{local}/demo/track")
    page.get_by_label("Order number").fill(number)  # without the '#'
    page.get_by_label("Email address").fill("Grace@Example.com")
    page.get_by_role("button", name="Track my order").click()
    page.locator("h1", has_text=f"Order #{number}").wait_for()
    main = page.inner_text("main")
    assert "Delivered on " in main and f"USPS, tracking number {last}" in main
    assert "Accepted at USPS Regional Facility" in main  # a checkpoint, as the carrier wrote it
    assert page.locator("[aria-current=step]").inner_text().strip() == "Delivered"
    check_page(page, "web-tracking-delivered")
    # "Start a return" opens the portal with the order's number filled in.
    page.locator("#start-return").click()
    page.locator("h1", has_text="Start a return").wait_for()
    assert page.get_by_label("Order number").input_value() == f"#{number}"
    context.close()


def test_the_emails_link_on_a_phone_without_javascript_shows_the_estimate(local: str, browser: Any) -> None:  # noqa: F811
    number = f"78{int(time.time()) % 100000:05d}"
    order = _order(local, number, "lin@example.com", "zh-CN")
    first, last = new_numbers()
    start = datetime.now(UTC) - timedelta(days=3)
    parcel = _ship(local, order, first, start)
    _push(local, "17track_outbound_in_transit", first, last, start)
    link = parcel["tracking_link"]
    assert link.startswith(f"{local}/demo/track?link=t1.")  # make local's own pages
    context = browser.new_context(
        locale="zh-CN", java_script_enabled=False, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = context.new_page()
    page.goto(link)
    assert page.get_attribute("html", "lang") == "zh"
    main = page.inner_text("main")
    assert f"订单 #{number}" in main and "运输中" in main and "预计送达" in main
    assert page.locator("#start-return").count() == 0
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "web-tracking-phone-zh-nojs.png"), full_page=True)
    context.close()
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(link)
    check_page(page, "web-tracking-phone-zh")
    # A forged link shows the form and says why.
    page.goto(link[:-3] + "xyz")
    assert page.locator("#form-error").count() == 1 and page.locator("form").count() == 1
    context.close()
