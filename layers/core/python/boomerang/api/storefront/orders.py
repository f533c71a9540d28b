"""POST /v1/orders: the storefront's server imports an order (API key)."""

# No `from __future__ import annotations` in a router: Powertools reads the route signatures' real
# types (through the tracer's wrappers) to validate requests and build the OpenAPI document.
from aws_lambda_powertools import Tracer
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router

from boomerang.api.schemas import OrderIn, OrderOut
from boomerang.api.storefront import ERRORS
from boomerang.api.storefront.deps import caller, deps

router = Router()  # type: ignore[no-untyped-call]
tracer = Tracer()


@router.post(
    "/v1/orders", summary="Create or update an order (storefront API key)", responses=ERRORS, tags=["orders"]
)
@tracer.capture_method
def post_order(order: OrderIn) -> Response[OrderOut]:
    d = deps()
    who = caller(router)
    saved = d.service.import_order(who, order.to_order(who.shop))
    d.logger.append_keys(shop=who.shop, order_id=saved.order_id)
    status = 201 if saved.version == 1 else 200
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=OrderOut.of(saved))
