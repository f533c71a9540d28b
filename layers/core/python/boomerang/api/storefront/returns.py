"""Returns: request one (the policy decides in the same request), read it, cancel it."""

# No `from __future__ import annotations`: see orders.py.
from typing import Annotated, Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.metrics import MetricUnit

from boomerang.api.idempotency import IdempotencyKey, Made, answer_once
from boomerang.api.schemas import ReturnIn, ReturnOut
from boomerang.api.storefront import ERRORS
from boomerang.api.storefront.deps import caller, deps
from boomerang.domain.policy import RequestedItem
from boomerang.services.returns import ReturnRequest

router = Router()  # type: ignore[no-untyped-call]
tracer = Tracer()


def _create_return_once(sent: dict[str, Any]) -> Made[ReturnOut]:
    """Create the return; the idempotency record keeps its RMA (api/idempotency.py)."""
    d = deps()
    who = caller(router)
    body = ReturnIn.model_validate(sent)
    request = ReturnRequest(
        order_id=body.order_id,
        items=[
            RequestedItem(
                line_id=i.line_id,
                quantity=i.quantity,
                reason=i.reason,
                exchange_variant_id=i.exchange_variant_id,
            )
            for i in body.items
        ],
        resolution=body.resolution,
        notes={i.line_id: i.note for i in body.items if i.note},
        locale=body.locale,
        ship_from=body.ship_from_address(),
    )
    created = d.service.create_return(who, request, d.clock())
    d.logger.append_keys(rma=created.rma)
    if d.engine is not None:
        try:
            d.engine.start(created.rma)
        except Exception:
            # The return is saved and answered either way. A failed start is logged and counted
            # (the metric is what on-call watches); the outbox publisher starts it again on the
            # `return.requested` event, which is safe: executions are named by the RMA.
            d.logger.exception("workflow start failed")
            d.metrics.add_metric(name="WorkflowStartFailed", unit=MetricUnit.Count, value=1)
    d.logger.info(
        "return created", extra={"status": created.status.value, "outcome": created.decision.outcome}
    )
    d.metrics.add_metric(
        name=f"ReturnDecision_{created.decision.outcome.value}", unit=MetricUnit.Count, value=1
    )
    return Made({"rma": created.rma}, ReturnOut.of(created))


@router.post(
    "/v1/returns",
    summary="Request a return; the policy decides in the same request",
    responses=ERRORS,
    tags=["returns"],
)
@tracer.capture_method
def post_return(body: ReturnIn, idempotency_key: IdempotencyKey) -> Response[ReturnOut]:
    d = deps()
    who = caller(router)
    d.logger.append_keys(shop=who.shop, order_id=body.order_id)
    answer = answer_once(
        d,
        who,
        idempotency_key,
        body.model_dump(mode="json"),
        # Another order answers 404 whether or not the key was used for it.
        reach=lambda: who.ensure_order(who.shop, body.order_id),
        operation=_create_return_once,
        replay=lambda stored: ReturnOut.of(d.service.get_return(who, stored["rma"])[0]),
    )
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=answer)


@router.get(
    "/v1/returns/<rma>", summary="A return with its decision and timeline", responses=ERRORS, tags=["returns"]
)
@tracer.capture_method
def get_return(rma: Annotated[str, Path(max_length=32)]) -> ReturnOut:
    d = deps()
    ret, timeline = d.service.get_return(caller(router), rma)
    d.logger.append_keys(rma=ret.rma)
    return ReturnOut.of(ret, timeline)


@router.post(
    "/v1/returns/<rma>/cancel", summary="Cancel a return before it ships", responses=ERRORS, tags=["returns"]
)
@tracer.capture_method
def cancel_return(rma: Annotated[str, Path(max_length=32)]) -> ReturnOut:
    d = deps()
    ret, timeline = d.service.cancel_return(caller(router), rma, d.clock())
    d.logger.append_keys(rma=ret.rma)
    return ReturnOut.of(ret, timeline)
