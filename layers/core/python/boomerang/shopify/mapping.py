"""Shopify's order payloads mapped onto Boomerang's Order. Plain functions, no AWS.

- lines: each line item (id, sku, title, quantity) at its price less its share of the discounts,
  rounded down to the minor unit (a refund never exceeds what was paid);
- category: the product's `product_type` (from products/create and products/update, since line
  items do not carry it), through the shop's own map (e.g. "Headphones" -> "electronics"), else
  slugged ("Rain Jackets" -> "rain_jackets"); gift cards are `gift_card`; unknown -> `general`;
- delivered_at: when a fulfillment holding the line reached shipment_status "delivered"
  (its updated_at); the latest one where several fulfillments hold a line;
- removed: units refunded in Shopify (the order's `refunds` and refunds/create, merged by refund
  id) and, once the order is cancelled, every unit;
- payment reference: the order's Admin API id (gid://shopify/Order/...), what a refund through
  Shopify names;
- customer: the order's email (or contact email, or the customer's), country from the shipping
  address (else billing, else the customer's default address), language from customer_locale;
- shipping address: the order's, where it has a street, a city and a country (where a return
  label is picked up from);
- catalog: each line's product_id and variant_id (what an exchange is offered against); products
  and their variants from products/create and products/update (`to_product`);
- customs: each line's SKU's HS code and country of origin (from inventory_items webhooks; the
  shop's defaults fill the rest when a label is bought), its weight from `grams`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import ROUND_FLOOR, Decimal

from pydantic import ValidationError

from boomerang.domain.catalog import MAX_VARIANTS, Product, Variant
from boomerang.domain.errors import Unprocessable
from boomerang.domain.models import Address, Order, OrderLine
from boomerang.domain.money import Money, exponent
from boomerang.shopify.payloads import LineItem, Refund, ShopifyOrder
from boomerang.shopify.payloads import Product as ShopifyProduct

_HS_CODE = re.compile(r"^[0-9]{6,10}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")

_LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
GENERAL = "general"


def category_of(product_type: str | None, categories: Mapping[str, str]) -> str:
    if not product_type or not product_type.strip():
        return GENERAL
    mapped = categories.get(product_type) or categories.get(product_type.strip().lower())
    if mapped:
        return mapped
    return _NOT_SLUG.sub("_", product_type.strip().lower()).strip("_")[:64] or GENERAL


def refund_lines(refund: Refund) -> dict[str, int]:
    """What one Shopify refund took off the order: line id -> units."""
    lines: dict[str, int] = {}
    for item in refund.refund_line_items:
        key = str(item.line_item_id)
        lines[key] = lines.get(key, 0) + item.quantity
    return lines


def merged_refunds(known: Mapping[str, Mapping[str, int]], order: ShopifyOrder) -> dict[str, dict[str, int]]:
    """Refunds by Shopify refund id, from what was known and what this snapshot lists. A refund is
    the same whichever payload brought it, so merging by id makes the arrival order irrelevant."""
    merged = {refund_id: dict(lines) for refund_id, lines in known.items()}
    for refund in order.refunds:
        merged.setdefault(str(refund.id), refund_lines(refund))
    return merged


def _unit_price(item: LineItem, currency: str) -> Money:
    discount = sum((d.amount for d in item.discount_allocations), Decimal(0))
    per_unit = (item.price - discount / item.quantity) if item.quantity else item.price
    quantum = Decimal(1).scaleb(-exponent(currency))
    paid = max(Decimal(0), per_unit).quantize(quantum, rounding=ROUND_FLOOR)
    return Money.parse(format(paid, "f"), currency)


def _delivered(order: ShopifyOrder) -> dict[str, datetime]:
    delivered: dict[str, datetime] = {}
    for fulfillment in order.fulfillments:
        if fulfillment.shipment_status != "delivered":
            continue
        at = fulfillment.updated_at.astimezone(UTC)
        for line in fulfillment.line_items:
            key = str(line.id)
            delivered[key] = max(at, delivered.get(key, at))
    return delivered


def _email(order: ShopifyOrder) -> str | None:
    return order.email or order.contact_email or (order.customer.email if order.customer else None)


def _country(order: ShopifyOrder) -> str | None:
    default = order.customer.default_address if order.customer else None
    for address in (order.shipping_address, order.billing_address, default):
        if address and address.country_code:
            return address.country_code.upper()
    return None


def shipping_address(order: ShopifyOrder) -> Address | None:
    a = order.shipping_address
    if a is None or not a.address1 or not a.city or not a.country_code:
        return None
    name = a.name or " ".join(p for p in (a.first_name, a.last_name) if p) or a.company or ""
    if not name.strip():
        return None
    try:
        return Address(
            name=name.strip()[:255],
            company=a.company,
            line1=a.address1,
            line2=a.address2 or None,
            city=a.city,
            postal_code=a.zip or "",
            region=a.province_code,
            country=a.country_code.upper(),
            phone=(a.phone or None) and a.phone[:32],
        )
    except ValidationError:
        return None  # an address a carrier could not use anyway; the customer can give one


def _customs(item: LineItem, customs: Mapping[str, tuple[str | None, str | None]]) -> dict[str, object]:
    hs_code, origin = customs.get(item.sku or "", (None, None))
    hs_code = (hs_code or "").replace(".", "").replace(" ", "")
    origin = (origin or "").upper()
    return {
        "hs_code": hs_code if _HS_CODE.fullmatch(hs_code) else None,
        "origin_country": origin if _COUNTRY.fullmatch(origin) else None,
        "weight_grams": item.grams if item.grams and item.grams > 0 else None,
    }


def _locale(order: ShopifyOrder) -> str | None:
    raw = order.customer_locale or (order.customer.locale if order.customer else None)
    return raw if raw and _LOCALE.fullmatch(raw) else None


def to_order(
    shop: str,
    order: ShopifyOrder,
    refunds: Mapping[str, Mapping[str, int]],
    product_types: Mapping[str, str],
    categories: Mapping[str, str],
    customs: Mapping[str, tuple[str | None, str | None]] | None = None,
) -> Order:
    """The Order for this snapshot; `refunds` are every refund known for it (merged_refunds),
    `product_types` the known product_type per product id, `customs` the known (HS code, country
    of origin) per SKU."""
    customs = customs or {}
    missing = []
    email, country = _email(order), _country(order)
    if not email:
        missing.append({"field": "email", "code": "missing", "message": "The order has no customer email."})
    if not country:
        missing.append(
            {"field": "shipping_address.country_code", "code": "missing", "message": "No country."}
        )
    if missing:
        raise Unprocessable(
            f"Shopify order {order.id} cannot become a returnable order: {missing[0]['message']}",
            code="unmappable_order",
            details=missing,
        )
    assert email is not None and country is not None
    delivered = _delivered(order)
    removed: dict[str, int] = {}
    for refunded in refunds.values():
        for line_id, quantity in refunded.items():
            removed[line_id] = removed.get(line_id, 0) + quantity
    try:
        lines = [
            OrderLine(
                line_id=str(item.id),
                sku=item.sku or f"shopify-variant-{item.variant_id or item.id}",
                title=(item.name or item.title)[:512],
                category="gift_card"
                if item.gift_card
                else category_of(product_types.get(str(item.product_id)), categories),
                quantity=item.quantity,
                unit_price=_unit_price(item, order.currency),
                delivered_at=delivered.get(str(item.id)),
                product_id=str(item.product_id) if item.product_id else None,
                variant_id=str(item.variant_id) if item.variant_id else None,
                **_customs(item, customs),
            )
            for item in order.line_items
            if item.quantity > 0
        ]
        by_id = {line.line_id: line.quantity for line in lines}
        if order.cancelled_at is not None:
            removed = dict(by_id)
        return Order(
            shop=shop,
            order_id=str(order.id),
            order_number=order.name,
            order_number_alias=str(order.order_number) if order.order_number is not None else None,
            customer_email=email,
            customer_country=country,
            currency=order.currency,
            ordered_at=order.created_at.astimezone(UTC),
            lines=lines,
            payment_reference=order.admin_graphql_api_id or f"gid://shopify/Order/{order.id}",
            shipping_address=shipping_address(order),
            locale=_locale(order),
            removed={k: min(v, by_id[k]) for k, v in removed.items() if k in by_id and v > 0},
        )
    except (ValidationError, ValueError) as exc:
        raise Unprocessable(
            f"Shopify order {order.id} cannot become a returnable order: {exc}", code="unmappable_order"
        ) from exc


def to_product(
    shop: str, product: ShopifyProduct, categories: Mapping[str, str], currency: str
) -> tuple[Product, dict[str, int | None]]:
    """The catalog's product for a products/create or products/update payload, and each variant's
    stock where the payload carries it (inventory_levels webhooks keep it current afterwards)."""
    names = {option.position: option.name.strip().lower() for option in product.options}
    quantum = Decimal(1).scaleb(-exponent(currency))
    variants = []
    stock: dict[str, int | None] = {}
    for variant in product.variants[:MAX_VARIANTS]:
        values = (variant.option1, variant.option2, variant.option3)
        options = {names.get(n + 1, f"option{n + 1}"): v for n, v in enumerate(values) if v}
        price = max(Decimal(0), variant.price).quantize(quantum, rounding=ROUND_FLOOR)
        variants.append(
            Variant(
                variant_id=str(variant.id),
                sku=variant.sku or f"shopify-variant-{variant.id}",
                title=variant.title[:255],
                options=dict(list(options.items())[:3]),
                price=Money.parse(format(price, "f"), currency),
                inventory_item_id=str(variant.inventory_item_id) if variant.inventory_item_id else None,
            )
        )
        stock[str(variant.id)] = (
            max(0, variant.inventory_quantity) if variant.inventory_quantity is not None else None
        )
    catalog_product = Product(
        shop=shop,
        product_id=str(product.id),
        title=product.title[:512],
        category=category_of(product.product_type, categories),
        variants=variants,
    )
    return catalog_product, stock
