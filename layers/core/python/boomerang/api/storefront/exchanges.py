"""POST /v1/returns/{rma}/exchange-fulfilment: the merchant's ERP, WMS or storefront server reports
that an exchange's replacement order shipped; the customer is emailed its tracking (API key)."""

# No `from __future__ import annotations`: see orders.py.
from typing import Annotated

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from boomerang.api.exchange_schemas import ExchangeFulfilmentIn
from boomerang.api.schemas import ReturnOut
from boomerang.api.storefront import ERRORS
from boomerang.api.storefront.deps import caller, deps
from boomerang.domain.models import ReplacementShipment

router = Router()  # type: ignore[no-untyped-call]
tracer = Tracer()


@router.post(
    "/v1/returns/<rma>/exchange-fulfilment",
    summary="The exchange's replacement shipped: its tracking, emailed to the customer (API key)",
    responses=ERRORS,
    tags=["returns"],
)
@tracer.capture_method
def post_exchange_fulfilment(
    rma: Annotated[str, Path(max_length=32)], body: ExchangeFulfilmentIn
) -> ReturnOut:
    d = deps()
    now = d.clock()
    shipment = ReplacementShipment(
        carrier=body.carrier,
        tracking_number=body.tracking_number,
        tracking_url=body.tracking_url,
        shipped_at=body.shipped_at or now,
    )
    ret = d.fulfilment.shipped(caller(router), rma, shipment, now)
    d.logger.append_keys(rma=ret.rma)
    return ReturnOut.of(ret)
