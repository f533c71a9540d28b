"""GET /v1/policy: the shop's current return policy."""

# No `from __future__ import annotations`: see orders.py.
from aws_lambda_powertools import Tracer
from aws_lambda_powertools.event_handler.api_gateway import Router

from boomerang.api.schemas import PolicyOut
from boomerang.api.storefront import ERRORS
from boomerang.api.storefront.deps import deps, live_caller

router = Router()  # type: ignore[no-untyped-call]
tracer = Tracer()


@router.get("/v1/policy", summary="The shop's current return policy", responses=ERRORS, tags=["policy"])
@tracer.capture_method
def get_policy() -> PolicyOut:
    return PolicyOut.of(deps().policies(live_caller(router).shop))
