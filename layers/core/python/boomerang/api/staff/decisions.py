"""Review decisions: support approves or rejects a return waiting for review."""

# No `from __future__ import annotations`: see returns.py.
from aws_lambda_powertools import Tracer
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.metrics import MetricUnit

from boomerang.api.admin_schemas import ApproveIn, RejectIn, StaffReturnOut
from boomerang.api.staff import ERRORS, RMA
from boomerang.api.staff.access import Staff
from boomerang.api.staff.deps import deps
from boomerang.api.staff.views import canonical, reached_return, return_view

router = Router()  # type: ignore[no-untyped-call]
tracer = Tracer()


@router.post(
    "/admin/v1/returns/<rma>/approve",
    summary="Approve a return waiting for review (support, admin)",
    responses=ERRORS,
    tags=["staff"],
)
@tracer.capture_method
def approve_return(staff: Staff, rma: RMA, body: ApproveIn) -> StaffReturnOut:
    d = deps()
    target = canonical(rma)
    reached_return(staff, target)
    d.workflow.approve(target, staff.actor, body.note)
    d.logger.info("approved", extra={"actor": staff.actor})
    d.metrics.add_metric(name="StaffApproved", unit=MetricUnit.Count, value=1)
    return return_view(staff, target)


@router.post(
    "/admin/v1/returns/<rma>/reject",
    summary="Reject a return waiting for review, with the reason (support, admin)",
    responses=ERRORS,
    tags=["staff"],
)
@tracer.capture_method
def reject_return(staff: Staff, rma: RMA, body: RejectIn) -> StaffReturnOut:
    d = deps()
    target = canonical(rma)
    reached_return(staff, target)
    d.workflow.reject(target, staff.actor, body.reason)
    d.logger.info("rejected", extra={"actor": staff.actor})
    d.metrics.add_metric(name="StaffRejected", unit=MetricUnit.Count, value=1)
    return return_view(staff, target)
