"""Pure rules of issue 14, without AWS: which provider an order's payment reference names, when a
return crosses a customs border, what its declaration says, and a shop's provider settings."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from boomerang.domain.customs import (
    CustomsDataMissing,
    CustomsDefaults,
    customs_applies,
    customs_declaration,
)
from boomerang.domain.models import OrderLine, ReturnItem
from boomerang.domain.money import Money
from boomerang.domain.payment_sources import Provider, SourceKind, payment_source
from boomerang.domain.providers import CarrierAccount, Mode, ProviderSettings, secret_name
from tests.unit.factories import line, order


@pytest.mark.parametrize(
    ("reference", "provider", "kind", "sent"),
    [
        (
            "gid://shopify/Order/734509473",
            Provider.SHOPIFY,
            SourceKind.SHOPIFY_ORDER,
            "gid://shopify/Order/734509473",
        ),
        (
            "pi_3MtwBwLkdIwHu7ix28a3tqPa",
            Provider.STRIPE,
            SourceKind.PAYMENT_INTENT,
            "pi_3MtwBwLkdIwHu7ix28a3tqPa",
        ),
        ("ch_1PgafuB7WZ01zgkWXYmPNZs8", Provider.STRIPE, SourceKind.CHARGE, "ch_1PgafuB7WZ01zgkWXYmPNZs8"),
        ("py_1PgafuB7WZ01zgkWXYmPNZs8", Provider.STRIPE, SourceKind.CHARGE, "py_1PgafuB7WZ01zgkWXYmPNZs8"),
        ("paypal:2GG279541U471931P", Provider.PAYPAL, SourceKind.PAYPAL_CAPTURE, "2GG279541U471931P"),
    ],
)
def test_a_reference_names_its_provider(
    reference: str, provider: Provider, kind: SourceKind, sent: str
) -> None:
    source = payment_source(reference)
    assert source is not None
    assert (source.provider, source.kind, source.id) == (provider, kind, sent)


@pytest.mark.parametrize(
    "reference",
    [None, "", "  ", "1001", "gid://shopify/Customer/1", "gid://shopify/Order/", "re_123456789",
     "paypal:", "paypal:lowercase123456", "2GG279541U471931P", "pi_", "sk_live_abcdefghij"],
)  # fmt: skip
def test_anything_else_is_no_usable_reference(reference: str | None) -> None:
    assert payment_source(reference) is None


@pytest.mark.parametrize(
    ("customer", "hub", "applies"),
    [("DE", "US", True), ("DE", "PL", False), ("US", "US", False), ("GB", "PL", True), ("CH", "DE", True),
     ("MC", "FR", False), ("CA", "US", True)],
)  # fmt: skip
def test_customs_apply_across_customs_territories_only(customer: str, hub: str, applies: bool) -> None:
    assert customs_applies(customer, hub) is applies


def _customs_line(line_id: str, **fields: object) -> OrderLine:
    return OrderLine.model_validate({**line(line_id, "45.00", currency="EUR").model_dump(), **fields})


def _item(line_id: str, quantity: int = 1, cents: int = 4500) -> ReturnItem:
    return ReturnItem(
        line_id=line_id, sku=f"SKU-{line_id}", category="apparel", quantity=quantity, reason="size_too_small",
        unit_price=Money(amount=cents, currency="EUR"),
    )  # fmt: skip


def test_a_german_return_to_the_us_hub_declares_each_line_from_product_data_and_defaults() -> None:
    the_order = order(
        _customs_line("L1", hs_code="6109.10", origin_country="PT", weight_grams=180),
        _customs_line("L2"),
        currency="EUR",
        country="DE",
    )
    defaults = CustomsDefaults(hs_code="620520", origin_country="CN")
    declaration = customs_declaration(the_order, [_item("L1", 2), _item("L2")], "DE", "US", defaults, 900)
    assert declaration is not None
    assert declaration.contents_type == "returned_goods"
    assert declaration.invoice_number == "#1001"
    assert declaration.currency == "EUR"
    first, second = declaration.items
    assert (first.hs_code, first.origin_country, first.quantity, first.weight_grams) == (
        "610910",
        "PT",
        2,
        360,
    )
    assert first.value == Money(amount=9000, currency="EUR")
    assert first.description == "Item L1"
    # No product data: the shop's defaults, and a third of the parcel's weight (3 units).
    assert (second.hs_code, second.origin_country, second.weight_grams) == ("620520", "CN", 300)
    assert declaration.total == Money(amount=13500, currency="EUR")
    assert "#1001" in declaration.explanation


def test_no_declaration_inside_one_customs_territory() -> None:
    the_order = order(_customs_line("L1"), currency="EUR", country="DE")
    assert customs_declaration(the_order, [_item("L1")], "DE", "PL", None, 500) is None


def test_a_line_without_hs_code_or_origin_and_no_default_is_refused_naming_it() -> None:
    the_order = order(
        _customs_line("L1", hs_code="610910"), _customs_line("L2"), currency="EUR", country="DE"
    )
    with pytest.raises(CustomsDataMissing) as refused:
        customs_declaration(the_order, [_item("L1"), _item("L2")], "DE", "US", None, 500)
    fields = {d["field"] for d in refused.value.details}
    assert fields == {"lines[L1].origin_country", "lines[L2].hs_code", "lines[L2].origin_country"}
    assert refused.value.code == "customs_data_missing" and refused.value.http_status == 422


@pytest.mark.parametrize("code", ["61091", "ABCDEF", "12345678901"])
def test_hs_codes_are_6_to_10_digits(code: str) -> None:
    with pytest.raises(ValidationError):
        _customs_line("L1", hs_code=code)


def test_a_shops_carrier_is_per_hub_with_a_default_and_test_mode_is_explicit() -> None:
    settings = ProviderSettings(
        carriers={"us-nj": CarrierAccount(carrier_accounts=["ca_usps"]), "*": CarrierAccount()}
    )
    assert settings.mode is Mode.LIVE and not settings.test_mode
    assert settings.carrier_for("us-nj") == CarrierAccount(carrier_accounts=["ca_usps"])
    assert settings.carrier_for("eu-pl") == CarrierAccount()
    assert ProviderSettings().carrier_for("us-nj") is None
    assert ProviderSettings(mode=Mode.TEST).test_mode
    assert secret_name("boomerang/", "acme", "shopify-admin") == "boomerang/acme/shopify-admin"


def test_post_orders_takes_the_shipping_address_and_each_lines_customs_data() -> None:
    from boomerang.api.schemas import OrderIn, ReturnIn

    body = {
        "order_id": "2040",
        "order_number": "#2040",
        "customer": {"email": "anna@example.com", "country": "DE"},
        "currency": "EUR",
        "ordered_at": "2026-02-20T10:00:00Z",
        "payment_reference": "paypal:9BT885563M275774M",
        "shipping_address": {"name": "Anna Müller", "line1": "Friedrichstraße 123", "city": "Berlin",
                             "postal_code": "10117", "country": "DE", "phone": "+49 30 1234567"},
        "lines": [{"line_id": "L1", "sku": "SWEATER", "quantity": 1,
                   "unit_price": {"amount": "89.00", "currency": "EUR"},
                   "hs_code": "6110.11", "origin_country": "PT", "weight_grams": 300}],
    }  # fmt: skip
    order = OrderIn.model_validate(body).to_order("demo")
    assert order.shipping_address is not None and order.shipping_address.city == "Berlin"
    (line,) = order.lines
    assert (line.hs_code, line.origin_country, line.weight_grams) == ("611011", "PT", 300)
    with pytest.raises(ValidationError):
        OrderIn.model_validate(
            {**body, "shipping_address": {**body["shipping_address"], "country": "Germany"}}
        )
    corrected = ReturnIn.model_validate(
        {"order_id": "2040", "items": [{"line_id": "L1", "quantity": 1, "reason": "size_too_small"}],
         "resolution": "refund", "ship_from": {**body["shipping_address"], "line1": "Unter den Linden 1"}}
    )  # fmt: skip
    address = corrected.ship_from_address()
    assert address is not None and address.line1 == "Unter den Linden 1"
