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


class ShippingAddress(Address):
    """The order's shipping address: where a return label is picked up from (personal data, kept on
    the order only: boomerang.store.shopify drops its lines from the kept snapshot)."""

    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    zip: str | None = None
    province_code: str | None = None
    phone: str | None = None


# What the kept order snapshot leaves out of an address.
ADDRESS_LINES = frozenset(
    {
        "name",
        "first_name",
        "last_name",
        "company",
        "address1",
        "address2",
        "city",
        "zip",
        "province_code",
        "phone",
    }
)


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
    grams: int | None = None
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


class FulfillmentLineItem(Payload):
    id: int
    quantity: int = Field(default=1, ge=1)


class FulfillmentEvent(Payload):
    """The fulfillments/create and fulfillments/update payload: one shipment of an order's lines,
    with the carrier (`tracking_company`) and its tracking numbers."""

    id: int
    order_id: int
    status: str | None = None
    created_at: datetime
    updated_at: datetime | None = None
    tracking_company: str | None = None
    tracking_number: str | None = None
    tracking_numbers: list[str] = Field(default_factory=list)
    origin_address: Address | None = None
    line_items: list[FulfillmentLineItem] = Field(default_factory=list)

    def numbers(self) -> list[str]:
        found = [*self.tracking_numbers, *([self.tracking_number] if self.tracking_number else [])]
        return list(dict.fromkeys(n.strip() for n in found if n and n.strip()))


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
    shipping_address: ShippingAddress | None = None
    billing_address: Address | None = None
    line_items: list[LineItem]
    fulfillments: list[Fulfillment] = Field(default_factory=list)
    refunds: list[Refund] = Field(default_factory=list)


class InventoryItem(Payload):
    """The inventory_items/create and inventory_items/update payload: the customs data of a SKU
    (order line items do not carry it), declared on cross-border returns."""

    id: int
    sku: str | None = None
    harmonized_system_code: str | None = None
    country_code_of_origin: str | None = None
    updated_at: UtcDatetime


class ProductOption(Payload):
    name: str
    position: int


class ProductVariant(Payload):
    id: int
    sku: str | None = None
    title: str = ""
    price: Decimal
    option1: str | None = None
    option2: str | None = None
    option3: str | None = None
    inventory_item_id: int | None = None
    inventory_quantity: int | None = None


class Product(Payload):
    """The products/create and products/update payload: `product_type` becomes the category of
    the product's order lines (order line items do not carry it); its variants feed the catalog
    exchanges draw on (boomerang.services.catalog)."""

    id: int
    title: str = ""
    product_type: str = ""
    updated_at: UtcDatetime
    options: list[ProductOption] = Field(default_factory=list)
    variants: list[ProductVariant] = Field(default_factory=list)


class InventoryLevel(Payload):
    """The inventory_levels/update payload: one location's units of an inventory item."""

    inventory_item_id: int
    location_id: int
    available: int | None = None
    updated_at: UtcDatetime


class DraftOrder(Payload):
    """The draft_orders/update payload: Boomerang reads a dearer replacement's invoice (its draft
    order tagged `boomerang-difference-<rma>`) being paid, when the draft turns `completed`."""

    id: int
    admin_graphql_api_id: str | None = None
    status: str = ""
    tags: str = ""  # comma-separated, as the REST payloads carry them
    total_price: str = "0.00"
    currency: str = ""

    @property
    def gid(self) -> str:
        return self.admin_graphql_api_id or f"gid://shopify/DraftOrder/{self.id}"

    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.tags.split(",") if t.strip()]
