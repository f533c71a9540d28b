"""Shopify's payloads onto orders, and its webhook signature: plain Python, no AWS."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from boomerang.domain.errors import Unprocessable
from boomerang.shopify import mapping, signature
from boomerang.shopify.payloads import Refund, ShopifyOrder

SAMPLES = Path(__file__).resolve().parents[2] / "events" / "samples" / "shopify"
TYPES = {"8234087006421": "Shoes", "8234087039189": "Headphones"}
CATEGORIES = {"Headphones": "electronics"}


def sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / f"{name}.json").read_text())


def order(name: str) -> ShopifyOrder:
    return ShopifyOrder.model_validate(sample(name))


# --- signature ------------------------------------------------------------------------------------


def test_signature_is_shopifys_base64_hmac_sha256_of_the_raw_body() -> None:
    body = (SAMPLES / "orders_create.json").read_bytes()
    expected = base64.b64encode(hmac.new(b"app-secret", body, hashlib.sha256).digest()).decode()
    assert signature.sign(body, "app-secret") == expected
    assert signature.verify(body, expected, "app-secret")


@pytest.mark.parametrize(
    "change",
    ["another secret", "body changed", "no header", "empty secret", "hex instead of base64"],
)
def test_forged_or_missing_signatures_fail(change: str) -> None:
    body = (SAMPLES / "orders_create.json").read_bytes()
    header: str | None = signature.sign(body, "app-secret")
    secret = "app-secret"
    if change == "another secret":
        header = signature.sign(body, "not-the-secret")
    elif change == "body changed":
        body = body.replace(b'"89.00"', b'"0.01"', 1)
    elif change == "no header":
        header = None
    elif change == "empty secret":
        secret = ""
    else:
        header = hmac.new(b"app-secret", body, hashlib.sha256).hexdigest()
    assert not signature.verify(body, header, secret)


def test_re_serialized_json_does_not_verify() -> None:
    """The signature is over the bytes Shopify sent: parsing and dumping the body again breaks it."""
    body = (SAMPLES / "orders_create.json").read_bytes()
    header = signature.sign(body, "app-secret")
    assert not signature.verify(json.dumps(json.loads(body)).encode(), header, "app-secret")


# --- mapping --------------------------------------------------------------------------------------


def test_order_lines_prices_categories_and_payment_reference() -> None:
    mapped = mapping.to_order("demo", order("orders_create"), {}, TYPES, CATEGORIES)
    assert (mapped.order_id, mapped.order_number, mapped.currency) == ("6129740677333", "#1042", "EUR")
    assert mapped.customer_email == "mia.schneider@example.com"
    assert mapped.customer_country == "DE"
    assert mapped.locale == "de"
    assert mapped.payment_reference == "gid://shopify/Order/6129740677333"
    assert mapped.ordered_at == datetime(2026, 11, 2, 8, 14, 6, tzinfo=UTC)
    shoes, buds = mapped.lines
    assert (shoes.line_id, shoes.sku, shoes.category, shoes.unit_price.amount) == (
        "14215865811157",
        "TRL-RUN-39-MOS",
        "shoes",  # slugged product type
        8900,
    )
    # The shop maps "Headphones" to the policy's electronics; the discount lowers the unit price.
    assert (buds.category, buds.unit_price.amount) == ("electronics", 5310)
    assert all(line.delivered_at is None for line in mapped.lines)
    assert mapped.removed == {}


def test_delivery_dates_come_from_delivered_fulfillments_only() -> None:
    fulfilled = mapping.to_order("demo", order("orders_fulfilled"), {}, TYPES, CATEGORIES)
    assert all(line.delivered_at is None for line in fulfilled.lines)  # shipped, not yet delivered
    delivered = mapping.to_order("demo", order("orders_updated"), {}, TYPES, CATEGORIES)
    assert {line.delivered_at for line in delivered.lines} == {datetime(2026, 11, 5, 10, 37, 20, tzinfo=UTC)}


def test_refunded_units_are_removed_and_refunds_merge_by_id() -> None:
    refund = Refund.model_validate(sample("refunds_create"))
    known = {str(refund.id): mapping.refund_lines(refund)}
    mapped = mapping.to_order("demo", order("orders_updated"), known, TYPES, CATEGORIES)
    assert mapped.removed == {"14215865843925": 1}
    assert mapped.returnable_quantity("14215865843925") == 0
    assert mapped.returnable_quantity("14215865811157") == 1
    # The same refund listed in a later snapshot counts once.
    snapshot = sample("orders_updated")
    snapshot["refunds"] = [sample("refunds_create")]
    assert mapping.merged_refunds(known, ShopifyOrder.model_validate(snapshot)) == known


def test_a_cancelled_order_has_nothing_left_to_return() -> None:
    mapped = mapping.to_order("demo", order("orders_cancelled"), {}, TYPES, CATEGORIES)
    assert mapped.removed == {line.line_id: line.quantity for line in mapped.lines}
    assert all(mapped.returnable_quantity(line.line_id) == 0 for line in mapped.lines)


@pytest.mark.parametrize(
    ("product_type", "expected"),
    [
        (None, "general"),
        ("", "general"),
        ("  ", "general"),
        ("Rain Jackets", "rain_jackets"),
        ("Headphones", "electronics"),
    ],
)
def test_categories(product_type: str | None, expected: str) -> None:
    assert mapping.category_of(product_type, CATEGORIES) == expected


def test_gift_cards_are_their_own_category() -> None:
    body = sample("orders_create")
    body["line_items"][0]["gift_card"] = True
    mapped = mapping.to_order("demo", ShopifyOrder.model_validate(body), {}, TYPES, CATEGORIES)
    assert mapped.lines[0].category == "gift_card"


def test_an_order_without_email_or_country_is_refused_with_the_fields_named() -> None:
    body = sample("orders_create")
    body["email"] = body["contact_email"] = None
    body["customer"] = None
    body["shipping_address"] = body["billing_address"] = None
    with pytest.raises(Unprocessable) as refused:
        mapping.to_order("demo", ShopifyOrder.model_validate(body), {}, TYPES, CATEGORIES)
    assert refused.value.code == "unmappable_order"
    assert [d["field"] for d in refused.value.details] == ["email", "shipping_address.country_code"]


@pytest.mark.parametrize(("currency", "price"), [("USD", "999999999999.99"), ("XXX", "10.00")])
def test_an_order_past_the_largest_amount_or_not_in_money_is_refused(currency: str, price: str) -> None:
    body = sample("orders_create")
    body["currency"] = currency
    for item in body["line_items"]:
        item["price"], item["quantity"], item["discount_allocations"] = price, 2, []
    with pytest.raises(Unprocessable) as refused:
        mapping.to_order("demo", ShopifyOrder.model_validate(body), {}, TYPES, CATEGORIES)
    assert refused.value.code == "unmappable_order"


def test_an_unknown_locale_is_dropped_not_guessed() -> None:
    body = sample("orders_create")
    body["customer_locale"] = "not a locale"
    assert mapping.to_order("demo", ShopifyOrder.model_validate(body), {}, {}, {}).locale is None


# --- issue 14: the shipping address, customs data and weights ---------------------------------


def test_the_shipping_address_comes_with_the_order() -> None:
    mapped = mapping.to_order("demo", order("orders_create"), {}, TYPES, CATEGORIES)
    address = mapped.shipping_address
    assert address is not None
    assert (address.name, address.line1, address.city, address.postal_code, address.country) == (
        "Mia Schneider",
        "Lindenstraße 12",
        "Berlin",
        "10969",
        "DE",
    )
    assert address.line2 is None and address.phone == "+49 30 901820"


def test_an_address_without_a_street_is_no_address() -> None:
    body = sample("orders_create")
    body["shipping_address"]["address1"] = ""
    mapped = mapping.to_order("demo", ShopifyOrder.model_validate(body), {}, TYPES, CATEGORIES)
    assert mapped.shipping_address is None and mapped.customer_country == "DE"


def test_lines_carry_their_skus_customs_data_and_weight() -> None:
    customs = {"TRL-RUN-39-MOS": ("6404.11", "vn"), "EAR-WL-GRA": ("not a code", None)}
    mapped = mapping.to_order("demo", order("orders_create"), {}, TYPES, CATEGORIES, customs)
    shoes, earbuds = mapped.lines
    assert (shoes.hs_code, shoes.origin_country, shoes.weight_grams) == ("640411", "VN", 780)
    # Nothing usable: left to the shop's defaults when a label is bought.
    assert (earbuds.hs_code, earbuds.origin_country, earbuds.weight_grams) == (None, None, 120)
