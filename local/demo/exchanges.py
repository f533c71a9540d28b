"""Exchange journeys (issue 17), in the demo-swap shop: a size exchange in stock whose replacement
ships with its tracking emailed, a cheaper variant with the difference refunded, a dearer one whose
difference the customer pays through Stripe Checkout first, a replacement out
of stock at resolution falling back to store credit with its bonus, and a keep-the-item refund."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from local.demo.data import INSTANT_API_KEY, SWAP_API_KEY, address_in
from local.demo.harness import Journey, JourneyFailed, _events, _key, _money


def _product(
    j: Journey,
    suffix: str,
    sizes: dict[str, tuple[str, int]],
    category: str = "apparel",
    key: str = SWAP_API_KEY,
) -> str:
    product_id = f"demo-{j.run_id}-{j.number}{suffix}"
    body = {
        "product_id": product_id,
        "title": "Organic tee" if category == "apparel" else "Wool socks",
        "category": category,
        "variants": [
            {
                "variant_id": f"{product_id}-{size}",
                "sku": f"TEE-{size}",
                "title": size,
                "options": {"size": size},
                "price": {"amount": price, "currency": "USD"},
                "available": units,
            }
            for size, (price, units) in sizes.items()
        ],
    }
    saved = j.api.call("POST", "/v1/products", body, _key(key), expect=(200, 201))
    stock = ", ".join(
        f"{v['options']['size']} {_money(v['price'])} x{v['available']}" for v in saved["variants"]
    )
    j.say(f"storefront: product {product_id} in the catalog ({stock})")
    return product_id


def _order(
    j: Journey, suffix: str, product_id: str, price: str, category: str = "apparel", key: str = SWAP_API_KEY
) -> dict[str, Any]:
    now = datetime.now(UTC)
    order_id = f"demo-{j.run_id}-{j.number}{suffix}"

    def at(days: int) -> str:
        return (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")

    order = {
        "order_id": order_id,
        "order_number": f"#{order_id}",
        "customer": {"email": f"{order_id}@example.com", "country": "US"},
        "shipping_address": address_in("US"),
        "currency": "USD",
        "ordered_at": at(5),
        "payment_reference": f"pi_demo{j.run_id}x{j.number}{suffix}",
        "lines": [
            {
                "line_id": f"{order_id}-1",
                "sku": "TEE-S",
                "title": "Organic tee, S",
                "category": category,
                "quantity": 1,
                "unit_price": {"amount": price, "currency": "USD"},
                "delivered_at": at(2),
                "product_id": product_id,
                "variant_id": f"{product_id}-S",
            }
        ],
    }
    j.api.call("POST", "/v1/orders", order, _key(key), expect=(200, 201))
    return order


def _exchange(
    j: Journey,
    order: dict[str, Any],
    variant: str | None,
    resolution: str = "exchange",
    key: str = SWAP_API_KEY,
) -> dict[str, Any]:
    line = order["lines"][0]
    eligibility = j.api.call("GET", f"/v1/orders/{order['order_id']}/eligibility", headers=_key(key))
    options = eligibility["lines"][0]["exchange_options"]
    j.say(
        "customer (portal): exchange options "
        + (", ".join(f"{o['options'].get('size')} ({o['available']} left)" for o in options) or "none")
    )
    item: dict[str, Any] = {"line_id": line["line_id"], "quantity": 1, "reason": "size_too_small"}
    if variant:
        item["exchange_variant_id"] = f"{line['product_id']}-{variant}"
    body = {"order_id": order["order_id"], "items": [item], "resolution": resolution}
    headers = {**_key(key), "Idempotency-Key": f"{order['order_id']}-return"}
    created: dict[str, Any] = j.api.call("POST", "/v1/returns", body, headers)
    j.say(
        f"storefront: return {created['rma']} ({resolution}{', for ' + variant if variant else ''}) "
        f"-> {created['status']}"
    )
    return created


def _told(ret: dict[str, Any]) -> list[str]:
    return [e.removeprefix("customer.notified.") for e in _events(ret) if e.startswith("customer.notified.")]


def size_exchange_in_stock(j: Journey) -> None:
    """A tee bought in S, exchanged for M: the M is held at the request, ordered at resolution,
    and its tracking emailed once the merchant's WMS reports the shipment."""
    product = _product(j, "p", {"S": ("20.00", 1), "M": ("20.00", 2)})
    order = _order(j, "", product, "20.00")
    created = _exchange(j, order, "M")
    rma = j.track("size exchange S -> M", created, SWAP_API_KEY, "closed")
    j.check("the M is held for this exchange", created["exchange"]["hold"] == "held")
    j.wait_label(rma, api_key=SWAP_API_KEY)
    j.carrier(rma, "delivered")
    ordered = j.wait_status(rma, "exchanged", api_key=SWAP_API_KEY, event="customer.notified.exchanged")
    j.check(
        f"replacement order {ordered['exchange']['replacement_order_id']} requested, the M off the hold",
        ordered["exchange"]["hold"] == "ordered" and ordered["exchange"]["replacement_order_id"] is not None,
    )
    shipment = {"carrier": "UPS", "tracking_number": "1Z999AA10123456784"}
    shipped = j.api.call("POST", f"/v1/returns/{rma}/exchange-fulfilment", shipment, _key(SWAP_API_KEY))
    j.say(f"merchant's WMS: replacement shipped with UPS -> {shipped['status']}")
    final = j.wait_status(rma, "closed", api_key=SWAP_API_KEY)
    told = _told(final)
    j.check(f"the customer got the tracking (told: {', '.join(told)})", "replacement_shipped" in told)


def cheaper_variant(j: Journey) -> None:
    """An S at $20 exchanged for the M on sale at $14.50: the $5.50 difference is refunded."""
    product = _product(j, "p", {"S": ("20.00", 1), "M": ("14.50", 2)})
    created = _exchange(j, _order(j, "", product, "20.00"), "M")
    rma = j.track("cheaper variant, difference refunded", created, SWAP_API_KEY, "closed")
    j.check(
        f"price difference {_money(created['exchange']['price_difference'])}",
        created["exchange"]["price_difference"]["amount"] == "5.50",
    )
    j.wait_label(rma, api_key=SWAP_API_KEY)
    j.carrier(rma, "delivered")
    ordered = j.wait_status(rma, "exchanged", api_key=SWAP_API_KEY, event="customer.notified.exchanged")
    j.check(
        f"the difference refund is asked ({ordered['timeline'][-2]['message']})",
        "refunded" in " ".join(e["message"] for e in ordered["timeline"]),
    )
    j.api.call("POST", "/local/simulate/payment", {"rma": rma, "outcome": "succeeded"})
    j.api.call(
        "POST",
        f"/v1/returns/{rma}/exchange-fulfilment",
        {"carrier": "USPS", "tracking_number": "9400100000000000000000"},
        _key(SWAP_API_KEY),
    )
    final = j.wait_status(rma, "closed", api_key=SWAP_API_KEY)
    j.check("the difference refund settled", "refund.succeeded" in _events(final))


def out_of_stock_at_resolution(j: Journey) -> None:
    """The last M is held for this exchange, then the shop's feed reports none left: at resolution
    the policy's fallback pays store credit with its 10% bonus, and the customer is told why."""
    product = _product(j, "p", {"S": ("20.00", 1), "M": ("20.00", 1)})
    created = _exchange(j, _order(j, "", product, "20.00"), "M")
    rma = j.track("out of stock at resolution", created, SWAP_API_KEY, "closed")
    _product(j, "p", {"S": ("20.00", 1), "M": ("20.00", 0)})  # sold elsewhere meanwhile
    j.wait_label(rma, api_key=SWAP_API_KEY)
    j.carrier(rma, "delivered")
    final = j.wait_status(rma, "closed", api_key=SWAP_API_KEY)
    fell_back = [e["message"] for e in final["timeline"] if e["event"] == "exchange.fallen_back"]
    j.check(f"fallback recorded: {fell_back[0] if fell_back else 'none'}", bool(fell_back))
    j.check(f"resolved as {final['resolution']}", final["resolution"] == "store_credit")
    j.check(f"the customer was told why ({', '.join(_told(final))})", "credited" in _told(final))


def dearer_variant_paid(j: Journey) -> None:
    """An S at $20 exchanged for the L at $30: the customer pays the $10 difference first (a Stripe
    Checkout Session; the sandbox's link in this test-mode shop), Stripe's signed
    checkout.session.completed comes, and the replacement is ordered."""
    from local.demo.stripe import post_event
    from local.stripe_local import sample_event

    product = _product(j, "p", {"S": ("20.00", 1), "L": ("30.00", 2)})
    created = _exchange(j, _order(j, "", product, "20.00"), "L")
    rma = j.track("dearer variant S -> L", created, SWAP_API_KEY, "closed")
    j.check(
        f"price difference {_money(created['exchange']['price_difference'])} (the customer pays it)",
        created["exchange"]["price_difference"]["amount"] == "-10.00",
    )
    j.wait_label(rma, api_key=SWAP_API_KEY)
    j.carrier(rma, "delivered")
    due = j.wait_status(rma, "refund_pending", api_key=SWAP_API_KEY, event="customer.notified.refund_pending")
    payment = due["exchange"]["payment"]
    j.check(
        f"the customer is emailed the link to pay {_money(payment['amount'])}: {payment['url']}",
        payment["status"] == "open" and payment["amount"]["amount"] == "10.00",
    )
    paid = sample_event("checkout.session.completed", rma, event_id=f"evt_demo_paid_{j.run_id}_{j.number}")
    # The session the sandbox made for this return (its link names it), paid in full.
    reference = payment["url"].rsplit("sandbox_payment=", 1)[-1]
    paid["data"]["object"].update({"id": reference, "amount_total": 1000, "currency": "usd"})
    post_event(j, paid)
    ordered = j.wait_status(rma, "exchanged", api_key=SWAP_API_KEY, event="customer.notified.exchanged")
    j.check(
        f"paid, then replacement order {ordered['exchange']['replacement_order_id']} requested",
        ordered["exchange"]["payment"]["status"] == "paid" and ordered["exchange"]["hold"] == "ordered",
    )
    shipment = {"carrier": "UPS", "tracking_number": "1Z999AA10123456785"}
    j.api.call("POST", f"/v1/returns/{rma}/exchange-fulfilment", shipment, _key(SWAP_API_KEY))
    final = j.wait_status(rma, "closed", api_key=SWAP_API_KEY)
    told = _told(final)
    j.check(f"told: {', '.join(told)}", "exchanged" in told and "replacement_shipped" in told)


def instant_exchange_never_sent(j: Journey) -> None:
    """demo-instant ships replacements with the label and holds the card (the sandbox's, in this
    test-mode shop); the return is never sent, so when the label runs out (its deadline: 3 s here)
    the authorization is captured and the return expires."""
    product = _product(j, "p", {"S": ("20.00", 1), "M": ("20.00", 2)}, key=INSTANT_API_KEY)
    created = _exchange(j, _order(j, "", product, "20.00", key=INSTANT_API_KEY), "M", key=INSTANT_API_KEY)
    rma = j.track("instant exchange S -> M, never sent", created, INSTANT_API_KEY, "expired")
    held = j.wait(
        "the card is held and the replacement ordered with the label",
        j.storefront_view(rma, INSTANT_API_KEY),
        lambda r: (r.get("exchange") or {}).get("instant") is not None,
    )
    j.check(
        f"replacement {held['exchange']['replacement_order_id']} ordered before the return ships, card "
        f"{held['exchange']['instant']['status']} for {_money(held['exchange']['instant']['amount'])}",
        held["status"] == "label_issued" and held["exchange"]["instant"]["status"] == "authorized",
    )
    final = j.wait_status(rma, "expired", api_key=INSTANT_API_KEY)
    j.check(
        f"not sent by {final['exchange']['instant']['deadline']}: the hold is "
        f"{final['exchange']['instant']['status']}",
        final["exchange"]["instant"]["status"] == "captured",
    )


def keep_the_item(j: Journey) -> None:
    """$9 socks the policy does not take back: refunded with no label, the customer keeps them."""
    product = _product(j, "p", {"S": ("9.00", 10)}, category="socks")
    created = _exchange(j, _order(j, "", product, "9.00", category="socks"), None, resolution="refund")
    rma = j.track("keep the item (returnless refund)", created, SWAP_API_KEY, "closed")
    j.check("the decision says keep the item", created["keep_item"] is True)
    j.wait(
        "the refund is asked", j.storefront_view(rma, SWAP_API_KEY), lambda r: r["status"] == "refund_pending"
    )
    j.api.call("POST", "/local/simulate/payment", {"rma": rma, "outcome": "succeeded"})
    final = j.wait_status(rma, "closed", api_key=SWAP_API_KEY)
    if "return.label_issued" in _events(final):
        raise JourneyFailed("a label was issued for a kept item")
    j.check(
        f"no label, no receipt (told: {', '.join(_told(final))})", "return.received" not in _events(final)
    )


EXCHANGE_JOURNEYS = [
    ("exchange: a size in stock, its replacement's tracking emailed", size_exchange_in_stock),
    ("exchange: a cheaper variant, the difference refunded", cheaper_variant),
    ("exchange: a dearer variant, the difference paid through Stripe Checkout", dearer_variant_paid),
    ("exchange: an instant exchange, captured when the return never ships", instant_exchange_never_sent),
    ("exchange: out of stock at resolution, store credit with its bonus", out_of_stock_at_resolution),
    ("keep the item: a returnless refund", keep_the_item),
]
