"""The parts of Shopify's REST webhook payloads (Admin API 2024-10) that Boomerang reads.

Unknown fields are ignored: Shopify adds fields without notice and its payloads carry far more
than an order needs here (addresses, taxes, discounts' codes...). What Boomerang keeps is in
boomerang.shopify.mapping.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from boomerang.domain.models import UtcDatetime


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Address(Payload):
    country_code: str | None = None


class Customer(Payload):
    id: int | None = None
    email: str | None = None
    locale: str | None = None
    default_address: Address | None = None


class DiscountAllocation(Payload):
    amount: Decimal


class LineItem(Payload):
    id: int
    product_id: int | None = None
    variant_id: int | None = None
    sku: str | None = None
    title: str = ""
    name: str = ""
    quantity: int
    price: Decimal
    gift_card: bool = False
    discount_allocations: list[DiscountAllocation] = Field(default_factory=list)


class FulfillmentLine(Payload):
    id: int


class Fulfillment(Payload):
    id: int
    status: str | None = None
    shipment_status: str | None = None  # "delivered" once the carrier says so
    created_at: datetime
    updated_at: datetime
    line_items: list[FulfillmentLine] = Field(default_factory=list)


class RefundLineItem(Payload):
    line_item_id: int
    quantity: int


class Refund(Payload):
    """The refunds/create payload, and each entry of an order's `refunds`."""

    id: int
    order_id: int
    created_at: datetime | None = None
    refund_line_items: list[RefundLineItem] = Field(default_factory=list)


class ShopifyOrder(Payload):
    """The orders/create, orders/updated, orders/fulfilled and orders/cancelled payload: the whole
    order as it is at `updated_at`."""

    id: int
    admin_graphql_api_id: str | None = None
    name: str  # "#1001", what the customer sees
    order_number: int | None = None  # 1001: what the customer may type instead
    email: str | None = None
    contact_email: str | None = None
    currency: str
    created_at: datetime
    updated_at: UtcDatetime
    cancelled_at: datetime | None = None
    customer_locale: str | None = None
    customer: Customer | None = None
    shipping_address: Address | None = None
    billing_address: Address | None = None
    line_items: list[LineItem]
    fulfillments: list[Fulfillment] = Field(default_factory=list)
    refunds: list[Refund] = Field(default_factory=list)


class Product(Payload):
    """The products/create and products/update payload: `product_type` becomes the category of
    the product's order lines (order line items do not carry it)."""

    id: int
    product_type: str = ""
    updated_at: UtcDatetime
