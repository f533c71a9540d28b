"""Customs papers for a cross-border return: when they are needed and what they declare.

A parcel crosses a customs border when the customer's country and the hub's are in different
customs territories: two different countries, unless both are in the EU customs union (a German
customer returning to the Polish hub declares nothing; a German customer returning to the US hub,
or a British one to the Polish hub, does).

The declaration says what the importer needs to reclaim the duty paid on the way out: contents
type "returned goods", the original order number as the invoice number, and per returned line its
description, quantity, value paid (in the order's currency), HS code and country of origin. Lines
take these from the order (product data); the shop's defaults fill what a line lacks. A line left
without an HS code or an origin is refused here, before any carrier is asked: customs would hold
the parcel, and a person must complete the product data first.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from boomerang.domain.errors import Unprocessable
from boomerang.domain.models import Country, HsCode, Order, ReturnItem
from boomerang.domain.money import Money

# The EU customs union's members, and Monaco (inside it through France).
EU_CUSTOMS_UNION = frozenset(
    {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
     "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "MC"}
)  # fmt: skip
# What carriers print on a customs form's description line: longer text is cut there anyway.
DESCRIPTION_LENGTH = 50


class CustomsDefaults(BaseModel):
    """A shop's defaults for lines whose product data carries no customs fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hs_code: HsCode | None = None
    origin_country: Country | None = None
    description: str | None = Field(default=None, min_length=1, max_length=DESCRIPTION_LENGTH)


class CustomsItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    line_id: str
    description: str
    quantity: int
    value: Money  # what the units cost the customer: the line's unit price times the quantity
    hs_code: str
    origin_country: str
    weight_grams: int


class CustomsDeclaration(BaseModel):
    model_config = ConfigDict(frozen=True)

    contents_type: Literal["returned_goods"] = "returned_goods"
    # The original order's number: the importer reclaims the export's duty against it.
    invoice_number: str
    from_country: str
    to_country: str
    currency: str
    items: list[CustomsItem]

    @property
    def total(self) -> Money:
        total = Money.zero(self.currency)
        for item in self.items:
            total = total + item.value
        return total

    @property
    def explanation(self) -> str:
        return f"Goods returned by the customer (order {self.invoice_number})"


class CustomsDataMissing(Unprocessable):
    code = "customs_data_missing"


def customs_applies(from_country: str, to_country: str) -> bool:
    """Whether a parcel from `from_country` to `to_country` crosses a customs border."""
    if from_country == to_country:
        return False
    return not (from_country in EU_CUSTOMS_UNION and to_country in EU_CUSTOMS_UNION)


def customs_declaration(
    order: Order,
    items: list[ReturnItem],
    from_country: str,
    to_country: str,
    defaults: CustomsDefaults | None,
    parcel_weight_grams: int,
) -> CustomsDeclaration | None:
    """The declaration of a return's parcel, or None where it crosses no customs border.

    A line without its own weight gets an even share of the parcel's weight per unit."""
    if not customs_applies(from_country, to_country):
        return None
    defaults = defaults or CustomsDefaults()
    units = sum(item.quantity for item in items) or 1
    share = max(1, parcel_weight_grams // units)
    declared: list[CustomsItem] = []
    missing: list[dict[str, str]] = []
    for item in items:
        line = order.line(item.line_id)
        hs_code = (line.hs_code if line else None) or defaults.hs_code
        origin = (line.origin_country if line else None) or defaults.origin_country
        for field, value in (("hs_code", hs_code), ("origin_country", origin)):
            if not value:
                missing.append(
                    {
                        "field": f"lines[{item.line_id}].{field}",
                        "code": "missing",
                        "message": f"Line {item.line_id} ({item.sku}) has no {field}, the shop no default.",
                    }
                )
        if not hs_code or not origin:
            continue
        title = (line.title if line else "") or defaults.description or item.category
        weight = line.weight_grams if line and line.weight_grams else share
        declared.append(
            CustomsItem(
                line_id=item.line_id,
                description=title[:DESCRIPTION_LENGTH],
                quantity=item.quantity,
                value=item.amount,
                hs_code=hs_code,
                origin_country=origin,
                weight_grams=weight * item.quantity,
            )
        )
    if missing:
        raise CustomsDataMissing(
            f"The return crosses a customs border ({from_country} -> {to_country}) and its customs data "
            "is incomplete: complete the products' HS codes and countries of origin, or the shop's defaults.",
            details=missing,
        )
    return CustomsDeclaration(
        invoice_number=order.order_number,
        from_country=from_country,
        to_country=to_country,
        currency=order.currency,
        items=declared,
    )
