"""GET /v1/orders/{order_id}/eligibility: what on an order can be returned, until when, and why."""

# No `from __future__ import annotations`: see orders.py.
from typing import Annotated

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from boomerang.api.schemas import EligibilityOut, LineEligibilityOut
from boomerang.api.storefront import ERRORS
from boomerang.api.storefront.deps import caller, deps

router = Router()  # type: ignore[no-untyped-call]
tracer = Tracer()


@router.get(
    "/v1/orders/<order_id>/eligibility",
    summary="What on the order can be returned, until when, why and why not",
    responses=ERRORS,
    tags=["orders"],
)
@tracer.capture_method
def get_eligibility(order_id: Annotated[str, Path(max_length=128)]) -> EligibilityOut:
    d = deps()
    who = caller(router)
    order, lines, policy = d.service.eligibility(who, order_id, d.clock())
    options = d.service.exchange_options(order, lines, policy)
    return EligibilityOut(
        order_id=order.order_id,
        policy_version=policy.version,
        lines=[LineEligibilityOut.of(line, options.get(line.line_id)) for line in lines],
    )
