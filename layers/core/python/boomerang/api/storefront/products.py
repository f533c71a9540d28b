"""POST /v1/products: the storefront's server feeds the catalog exchanges draw on (API key)."""

# No `from __future__ import annotations`: see orders.py.
from aws_lambda_powertools import Tracer
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router

from boomerang.api.exchange_schemas import ProductIn, ProductOut
from boomerang.api.storefront import ERRORS
from boomerang.api.storefront.deps import caller, deps

router = Router()  # type: ignore[no-untyped-call]
tracer = Tracer()


@router.post(
    "/v1/products",
    summary="Create or update a product and its variants' stock (storefront API key)",
    responses=ERRORS,
    tags=["products"],
)
@tracer.capture_method
def post_product(product: ProductIn) -> Response[ProductOut]:
    d = deps()
    who = caller(router)
    given, stock = product.to_product(who.shop)
    saved, created = d.catalog.put_product(who, given, stock)
    d.logger.append_keys(shop=who.shop, product_id=saved.product_id)
    return Response(
        status_code=201 if created else 200,
        content_type=content_types.APPLICATION_JSON,
        body=ProductOut.of(saved),
    )
