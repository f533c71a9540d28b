"""Finance pays a failed refund another way: card again, store credit, PayPal or bank transfer."""

# No `from __future__ import annotations`: see returns.py.
from aws_lambda_powertools import Tracer
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.metrics import MetricUnit

from boomerang.api.admin_schemas import RefundRetryIn, StaffReturnOut
from boomerang.api.staff import ERRORS, RMA
from boomerang.api.staff.access import Staff
from boomerang.api.staff.deps import deps
from boomerang.api.staff.views import canonical, reached_return, return_view

router = Router()  # type: ignore[no-untyped-call]
tracer = Tracer()


@router.post(
    "/admin/v1/returns/<rma>/refund",
    summary="Pay a failed refund another way: card, store credit, PayPal or bank transfer (finance, admin)",
    responses=ERRORS,
    tags=["finance"],
)
@tracer.capture_method
def retry_refund(staff: Staff, rma: RMA, body: RefundRetryIn) -> StaffReturnOut:
    d = deps()
    target = canonical(rma)
    reached_return(staff, target)
    d.workflow.retry_refund(target, body.method, staff.actor, body.reference)
    d.logger.info("refund paid another way", extra={"actor": staff.actor, "method": body.method.value})
    d.metrics.add_metric(name=f"RefundRetried_{body.method.value}", unit=MetricUnit.Count, value=1)
    return return_view(staff, target)
