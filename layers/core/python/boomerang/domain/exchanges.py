"""Exchanges decided by the policy: which replacement a returned line may get (the other variants of
its product, other products of its category where the policy allows), how far their prices may
differ, and whether it is in stock; and the keep-the-item rule (a returnless resolution).

A return item names its replacement by `exchange_variant_id`. An exchange item that names none
gets the variant it was bought as (a like-for-like replacement) where the line is in the catalog;
a line the catalog does not know is exchanged as before, by staff, with no replacement tracked.
Plain Python, no AWS.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from boomerang.domain.catalog import Product, Variant
from boomerang.domain.decision import Thresholds
from boomerang.domain.errors import Unprocessable
from boomerang.domain.models import (
    Exchange,
    HubChoice,
    Order,
    OrderLine,
    ReplacementLine,
    Resolution,
    Return,
)
from boomerang.domain.money import Money
from boomerang.domain.payment_sources import Provider, SourceKind, payment_source
from boomerang.domain.policy import InstantExchange, KeepItem, Policy, RequestedItem


def catalog_products(order: Order, items: list[RequestedItem]) -> set[str]:
    """The products a request's exchange items need read: those of their lines."""
    wanted: set[str] = set()
    for item in items:
        line = order.line(item.line_id)
        if line is not None and line.product_id:
            wanted.add(line.product_id)
    return wanted


def choose_replacements(
    policy: Policy,
    order: Order,
    items: list[RequestedItem],
    resolution: Resolution,
    products: Mapping[str, Product],
    in_category: Callable[[str], list[Product]],
    limits: Thresholds,
) -> Exchange | None:
    """The exchange's replacements with their units to hold, or None where nothing is exchanged
    against the catalog. Refuses (422) naming each item: a replacement on a return that is no
    exchange, an unknown variant, another product where the policy keeps to the same one, a
    difference beyond the policy's, a dearer replacement (unless the policy lets the customer pay the
    difference), and too few units available
    (`out_of_stock`, naming the variant)."""
    details: list[dict[str, Any]] = []
    chosen: list[tuple[int, OrderLine, Product, Variant, int]] = []
    for index, item in enumerate(items):
        field = f"items[{index}].exchange_variant_id"
        line = order.line(item.line_id)
        if line is None:
            continue  # check_request names it
        if resolution is not Resolution.EXCHANGE:
            if item.exchange_variant_id is not None:
                details.append(
                    _detail(field, "exchange_not_requested", "Only an exchange names a replacement.")
                )
            continue
        if line.product_id is None:
            if item.exchange_variant_id is not None:
                details.append(
                    _detail(
                        field,
                        "exchange_not_offered",
                        "This item is not in the catalog: no replacement can be chosen.",
                    )
                )
            continue
        wanted = item.exchange_variant_id or line.variant_id
        if wanted is None:
            details.append(_detail(field, "exchange_variant_required", "Name the replacement's variant."))
            continue
        found = _find(wanted, line, products, in_category)
        if found is None:
            details.append(
                _detail(field, "exchange_variant_not_found", f"No variant '{wanted}' to exchange for.")
            )
            continue
        product, variant = found
        if product.product_id != line.product_id and not policy.exchanges.other_products:
            details.append(
                _detail(
                    field,
                    "exchange_product_not_allowed",
                    "Only another variant of the same product can be chosen.",
                )
            )
            continue
        difference = line.unit_price.amount - variant.price.amount
        if difference < 0 and not policy.exchanges.dearer_replacements:
            details.append(
                _detail(
                    field,
                    "exchange_costs_more",
                    f"The replacement costs {variant.price}, more than the {line.unit_price} paid: "
                    "choose one at the same price or less.",
                )
            )
            continue
        table = policy.exchanges.max_price_difference
        limit = limits.limit(table) if table is not None else None
        if limit is not None and abs(difference) > limit.amount:
            details.append(
                _detail(
                    field,
                    "price_difference_too_large",
                    f"The prices differ by more than {limit}, the most the policy allows for an exchange.",
                )
            )
            continue
        chosen.append((index, line, product, variant, item.quantity))
    if details:
        raise Unprocessable(details[0]["message"], code=details[0]["code"], details=details)
    if not chosen:
        return None
    wanted_units: dict[tuple[str, str], int] = {}
    for _, _, product, variant, quantity in chosen:
        key = (product.product_id, variant.variant_id)
        wanted_units[key] = wanted_units.get(key, 0) + quantity
    short = [
        _detail(
            f"items[{index}].exchange_variant_id",
            "out_of_stock",
            _sold_out(variant),
            variant_id=variant.variant_id,
        )
        for index, _, product, variant, _ in chosen
        if variant.available < wanted_units[(product.product_id, variant.variant_id)]
    ]
    if short:
        raise Unprocessable(short[0]["message"], code="out_of_stock", details=short)
    return exchange_of(
        [
            ReplacementLine(
                line_id=line.line_id,
                product_id=product.product_id,
                variant_id=variant.variant_id,
                sku=variant.sku,
                title=variant.title or product.title,
                options=dict(variant.options),
                quantity=quantity,
                unit_price=variant.price,
            )
            for _, line, product, variant, quantity in chosen
        ],
        order,
    )


def exchange_of(lines: list[ReplacementLine], order: Order) -> Exchange:
    """The exchange of these replacement lines: the difference is what their returned lines cost
    minus what the replacements cost."""
    difference = 0
    for replacement in lines:
        line = order.line(replacement.line_id)
        assert line is not None
        difference += (line.unit_price.amount - replacement.unit_price.amount) * replacement.quantity
    return Exchange(lines=lines, difference=Money(amount=difference, currency=order.currency))


def out_of_stock(variant_id: str) -> Unprocessable:
    """What a request hears when another took the last units between its read and its write."""
    return Unprocessable(
        f"Variant {variant_id} is out of stock.",
        code="out_of_stock",
        details=[
            {"field": "items", "code": "out_of_stock", "message": "Out of stock.", "variant_id": variant_id}
        ],
    )


def _sold_out(variant: Variant) -> str:
    left = max(0, variant.available)
    return f"Variant {variant.variant_id} ({variant.sku}) is out of stock" + (
        f": {left} left." if left else "."
    )


def _find(
    variant_id: str,
    line: OrderLine,
    products: Mapping[str, Product],
    in_category: Callable[[str], list[Product]],
) -> tuple[Product, Variant] | None:
    own = products.get(line.product_id or "")
    if own is not None:
        variant = own.variant(variant_id)
        if variant is not None:
            return (own, variant) if variant.price.currency == line.unit_price.currency else None
    for product in in_category(line.category):
        variant = product.variant(variant_id)
        if variant is not None and variant.price.currency == line.unit_price.currency:
            return product, variant
    return None


def _detail(field: str, code: str, message: str, **more: str) -> dict[str, Any]:
    return {"field": field, "code": code, "message": message, **more}


# --- keep the item --------------------------------------------------------------------------------


def keep_item(rule: KeepItem | None, categories: list[str], value: Money, hub: HubChoice) -> str | None:
    """Why the customer keeps the item (the rule's message), or None. The label's cost is the
    chosen hub's cost per parcel, compared where it is in the return's currency."""
    if rule is None:
        return None
    if rule.categories and categories and all(c in rule.categories for c in categories):
        return rule.message
    share = rule.label_cost_share_above
    comparable = share is not None and hub.cost.currency == value.currency and value.amount > 0
    if comparable and hub.cost.amount * 100 > (share or 0) * value.amount:
        return rule.message
    return None


# --- instant exchange -----------------------------------------------------------------------------


def instant_terms(policy: Policy, ret: Return, payment_reference: str | None) -> InstantExchange | None:
    """The policy's instant exchange terms where this return gets one: an exchange against the
    catalog at the same price (nothing to pay back or pay in), of an order paid by a Stripe payment
    intent (whose saved card is held); None otherwise."""
    terms = policy.exchanges.instant
    exchange = ret.exchange
    if terms is None or exchange is None or exchange.fallback_reason or exchange.difference.amount != 0:
        return None
    source = payment_source(payment_reference)
    if (
        source is None
        or source.provider is not Provider.STRIPE
        or source.kind is not SourceKind.PAYMENT_INTENT
    ):
        return None
    return terms
