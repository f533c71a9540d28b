"""Bodies of the catalog and exchange routes: `POST /v1/products`, the exchange options in
eligibility, a return's exchange, and `POST /v1/returns/{rma}/exchange-fulfilment`."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StrictInt, StringConstraints, model_validator

from boomerang.api.schemas import Body, MoneyIn, MoneyIO, utc
from boomerang.api.text import PLAIN, PlainText
from boomerang.domain.catalog import MAX_VARIANTS, ExchangeOption, Product, Variant
from boomerang.domain.models import Exchange, Identifier, UtcDatetime

OptionName = Annotated[str, StringConstraints(min_length=1, max_length=64), PLAIN]
OptionValue = Annotated[str, StringConstraints(min_length=1, max_length=128), PLAIN]


class VariantIn(Body):
    variant_id: Identifier
    sku: PlainText = Field(min_length=1, max_length=128)
    title: PlainText = Field(default="", max_length=255, examples=["M / Blue"])
    options: dict[OptionName, OptionValue] = Field(
        default_factory=dict, max_length=3, examples=[{"size": "M", "color": "blue"}]
    )
    price: MoneyIn
    available: StrictInt = Field(
        ge=0, le=10_000_000, description="units in stock now; units held for open exchanges are kept apart"
    )


class ProductIn(Body):
    """A product as the storefront sells it. Sending it again updates it; units held for open
    exchanges stay held (a variant's `available` answered is its stock less those)."""

    product_id: Identifier
    title: PlainText = Field(default="", max_length=512)
    category: PlainText = Field(default="general", min_length=1, max_length=64, examples=["apparel"])
    variants: list[VariantIn] = Field(min_length=1, max_length=MAX_VARIANTS)

    @model_validator(mode="after")
    def _unique(self) -> ProductIn:
        ids = [v.variant_id for v in self.variants]
        if len(ids) != len(set(ids)):
            raise ValueError("variant_id values must be unique within the product")
        return self

    def to_product(self, shop: str) -> tuple[Product, dict[str, int | None]]:
        product = Product(
            shop=shop,
            product_id=self.product_id,
            title=self.title,
            category=self.category,
            variants=[
                Variant(
                    variant_id=v.variant_id,
                    sku=v.sku,
                    title=v.title,
                    options=dict(v.options),
                    price=v.price.to_money(),
                )
                for v in self.variants
            ],
        )
        return product, {v.variant_id: v.available for v in self.variants}


class VariantOut(BaseModel):
    variant_id: str
    sku: str
    title: str
    options: dict[str, str]
    price: MoneyIO
    stock: int = Field(description="units the feed last reported")
    reserved: int = Field(description="units held for open exchanges")
    available: int = Field(
        description="stock less reserved: what a new exchange may take (below 0: oversold)"
    )


class ProductOut(BaseModel):
    product_id: str
    title: str
    category: str
    variants: list[VariantOut]
    version: int

    @classmethod
    def of(cls, product: Product) -> ProductOut:
        return cls(
            product_id=product.product_id,
            title=product.title,
            category=product.category,
            version=product.version,
            variants=[
                VariantOut(
                    variant_id=v.variant_id,
                    sku=v.sku,
                    title=v.title,
                    options=dict(v.options),
                    price=MoneyIO.of(v.price),
                    stock=v.stock,
                    reserved=v.reserved,
                    available=v.available,
                )
                for v in product.variants
            ],
        )


class ExchangeOptionOut(BaseModel):
    product_id: str
    variant_id: str
    sku: str
    title: str
    options: dict[str, str]
    price: MoneyIO
    available: int = Field(description="units free to promise now; 0: sold out")
    same_product: bool
    price_difference: MoneyIO = Field(
        description="per unit, the price paid less the replacement's: above 0 is paid back"
    )

    @classmethod
    def of(cls, option: ExchangeOption) -> ExchangeOptionOut:
        return cls(
            product_id=option.product_id,
            variant_id=option.variant_id,
            sku=option.sku,
            title=option.title,
            options=option.options,
            price=MoneyIO.of(option.price),
            available=option.available,
            same_product=option.same_product,
            price_difference=MoneyIO.of(option.difference),
        )


class ReplacementLineOut(BaseModel):
    line_id: str = Field(description="the returned order line it replaces")
    product_id: str
    variant_id: str
    sku: str
    title: str
    options: dict[str, str]
    quantity: int
    unit_price: MoneyIO


class ShipmentOut(BaseModel):
    carrier: str
    tracking_number: str
    tracking_url: str | None
    shipped_at: str


class DifferencePaymentOut(BaseModel):
    """A dearer replacement's difference, paid by the customer before the replacement is ordered."""

    provider: str = Field(description="stripe (Checkout), shopify (a draft order invoice) or sandbox")
    url: str = Field(description="where the customer pays (show it to them)")
    amount: MoneyIO
    status: str = Field(description="open, paid, or expired (the exchange fell back)")


class InstantOut(BaseModel):
    """An instant exchange: the replacement went out with the label; the card is held meanwhile."""

    amount: MoneyIO
    status: str = Field(description="authorized, charged, captured, released or refunded")
    deadline: str = Field(description="the return must be in transit by then, else the hold is captured")


class ExchangeOut(BaseModel):
    lines: list[ReplacementLineOut]
    hold: str = Field(description="held (units reserved), released, or shipped")
    price_difference: MoneyIO = Field(
        description="what was returned less the replacement: above 0 is paid back, below 0 the "
        "customer pays (where the policy allows a dearer replacement)"
    )
    replacement_order_id: str | None
    shipment: ShipmentOut | None
    fallback_reason: str | None = Field(description="why the exchange became a refund or store credit")
    payment: DifferencePaymentOut | None = None
    instant: InstantOut | None = None

    @classmethod
    def of(cls, exchange: Exchange) -> ExchangeOut:
        shipment = exchange.shipment
        return cls(
            lines=[
                ReplacementLineOut(
                    **line.model_dump(exclude={"unit_price"}), unit_price=MoneyIO.of(line.unit_price)
                )
                for line in exchange.lines
            ],
            hold=exchange.hold,
            price_difference=MoneyIO.of(exchange.difference),
            replacement_order_id=exchange.replacement_order_id,
            shipment=None
            if shipment is None
            else ShipmentOut(
                carrier=shipment.carrier,
                tracking_number=shipment.tracking_number,
                tracking_url=shipment.tracking_url,
                shipped_at=utc(shipment.shipped_at),
            ),
            fallback_reason=exchange.fallback_reason,
            payment=None
            if exchange.payment is None
            else DifferencePaymentOut(
                provider=exchange.payment.provider,
                url=exchange.payment.url,
                amount=MoneyIO.of(exchange.payment.amount),
                status=exchange.payment.status,
            ),
            instant=None
            if exchange.instant is None
            else InstantOut(
                amount=MoneyIO.of(exchange.instant.amount),
                status=exchange.instant.status,
                deadline=utc(exchange.instant.deadline),
            ),
        )


class ExchangeFulfilmentIn(Body):
    """The replacement order shipped: its tracking, which the customer is emailed."""

    carrier: PlainText = Field(min_length=1, max_length=64, examples=["UPS"])
    tracking_number: PlainText = Field(min_length=1, max_length=128, examples=["1Z999AA10123456784"])
    tracking_url: Annotated[str, StringConstraints(pattern=r"^https://\S{1,2040}$"), PLAIN] | None = None
    shipped_at: UtcDatetime | None = Field(default=None, description="when it shipped; absent: now")
