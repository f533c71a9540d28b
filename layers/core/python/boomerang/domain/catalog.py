"""The catalog exchanges draw on: products with their variants, each variant's price and the units
free to promise. Fed by the storefront (`POST /v1/products`) or Shopify's product and inventory
webhooks; read by eligibility (the exchange options of a line) and by a return request (the
replacement it names). Plain Python, no AWS.

Stock, per variant: `stock` is what the feed last said is on the shelf, `reserved` the units held
for open exchanges, `available` = stock - reserved, what a new exchange may still take. A
reservation takes units only while `available` covers them (a conditional write, store/catalog.py);
a feed that later reports fewer units than are held leaves `available` below zero: the exchange
that resolves then finds its replacement out of stock and the policy's fallback applies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import Field

from boomerang.domain.models import Identifier, OrderLine, Record
from boomerang.domain.money import Money

MAX_VARIANTS = 100


class Variant(Record):
    variant_id: Identifier
    sku: str = Field(min_length=1, max_length=128)
    title: str = Field(default="", max_length=255)
    options: dict[str, str] = Field(default_factory=dict, max_length=3)
    price: Money
    stock: int = Field(default=0, ge=0, le=10_000_000)
    reserved: int = Field(default=0, ge=0)
    # stock - reserved; below zero where the feed reported fewer units than exchanges hold.
    available: int = 0
    # Shopify's inventory item: inventory_levels webhooks name it, not the variant.
    inventory_item_id: str | None = None


class Product(Record):
    shop: Identifier
    product_id: Identifier
    title: str = Field(default="", max_length=512)
    category: str = Field(default="general", min_length=1, max_length=64)
    variants: list[Variant] = Field(min_length=1, max_length=MAX_VARIANTS)
    version: int = 0

    def variant(self, variant_id: str) -> Variant | None:
        return next((v for v in self.variants if v.variant_id == variant_id), None)


@dataclass(frozen=True)
class ExchangeOption:
    """A replacement a customer may choose for one order line."""

    product_id: str
    variant_id: str
    sku: str
    title: str
    options: dict[str, str]
    price: Money
    available: int  # units free to promise now (never shown below zero)
    same_product: bool
    # The price difference per unit: the line's price minus the replacement's (positive: the
    # customer gets money back; negative: the replacement costs more).
    difference: Money


def options_for(
    line: OrderLine,
    products: Iterable[Product],
    other_products: bool,
) -> list[ExchangeOption]:
    """Every variant a line may be exchanged for: the other variants of its product, and, where the
    policy allows, the variants of other products in the same category (same currency only). The
    variant bought is left out; variants with nothing available are listed with 0 so a portal can
    show them as sold out."""
    found: list[ExchangeOption] = []
    for product in products:
        same = product.product_id == line.product_id
        if not same and (not other_products or product.category != line.category):
            continue
        for variant in product.variants:
            if same and variant.variant_id == line.variant_id:
                continue
            if variant.price.currency != line.unit_price.currency:
                continue
            found.append(
                ExchangeOption(
                    product_id=product.product_id,
                    variant_id=variant.variant_id,
                    sku=variant.sku,
                    title=variant.title or product.title,
                    options=dict(variant.options),
                    price=variant.price,
                    available=max(0, variant.available),
                    same_product=same,
                    difference=Money(
                        amount=line.unit_price.amount - variant.price.amount, currency=variant.price.currency
                    ),
                )
            )
    return found
