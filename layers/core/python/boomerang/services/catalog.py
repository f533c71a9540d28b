"""The catalog's feed: products from the storefront (`POST /v1/products`) and from Shopify's
product and inventory webhooks (services/shopify_orders.py). Stock held for open exchanges is kept
through every update (store/catalog.py)."""

from __future__ import annotations

from datetime import datetime

from boomerang.auth.principal import Principal
from boomerang.domain.catalog import Product
from boomerang.domain.errors import Forbidden
from boomerang.services.retry import retry_stale
from boomerang.store.catalog import CatalogStore


class CatalogService:
    def __init__(self, store: CatalogStore):
        self.store = store

    def put_product(
        self, caller: Principal, product: Product, stock: dict[str, int | None]
    ) -> tuple[Product, bool]:
        """Create or update a product (API key only); True where it is new."""
        if caller.is_customer:
            raise Forbidden("Only the storefront's server may change the catalog.", code="api_key_required")
        if product.shop != caller.shop:
            raise Forbidden("The API key belongs to another shop.", code="wrong_shop")
        saved = self.feed(product, stock, None)
        assert saved is not None  # without a time, a description is never stale
        return saved, saved.version == 1

    @retry_stale
    def feed(
        self, product: Product, stock: dict[str, int | None], updated_at: datetime | None
    ) -> Product | None:
        return self.store.upsert(product, stock, updated_at)

    @retry_stale
    def stock(self, shop: str, product_id: str, variant_id: str, units: int) -> bool:
        return self.store.set_stock(shop, product_id, variant_id, units)
