"""The warehouse: a parcel scanned at a hub, and the inspection that grades its items."""

# No `from __future__ import annotations`: see returns.py.
from aws_lambda_powertools import Tracer
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.metrics import MetricUnit

from boomerang.api.admin_schemas import InspectionIn, ScanIn, StaffReturnOut
from boomerang.api.staff import ERRORS, RMA
from boomerang.api.staff.access import Staff
from boomerang.api.staff.deps import deps
from boomerang.api.staff.views import canonical, reached_return, return_view
from boomerang.domain import rma as rma_numbers

router = Router()  # type: ignore[no-untyped-call]
tracer = Tracer()


@router.post(
    "/admin/v1/warehouse/scans",
    summary="The warehouse scanned a parcel's RMA at a hub: the return is received (warehouse, admin)",
    responses=ERRORS,
    tags=["warehouse"],
)
@tracer.capture_method
def post_scan(staff: Staff, body: ScanIn) -> StaffReturnOut:
    d = deps()
    d.logger.append_keys(hub=body.hub)
    try:
        scanned = rma_numbers.normalize(body.code)
    except rma_numbers.InvalidRma:
        scanned = None  # the workflow refuses the code, naming the field
    if scanned is not None:
        reached_return(staff, scanned)  # another shop's parcel scans as an unknown one
    received = d.workflow.scan(body.code, body.hub, staff.actor)
    d.logger.append_keys(rma=received.rma)
    d.logger.info("received", extra={"actor": staff.actor})
    d.metrics.add_metric(name="WarehouseReceived", unit=MetricUnit.Count, value=1)
    return return_view(staff, received.rma)


@router.post(
    "/admin/v1/returns/<rma>/inspection",
    summary="Grade every item of a received return; the grades decide the refund (warehouse, admin)",
    responses=ERRORS,
    tags=["warehouse"],
)
@tracer.capture_method
def post_inspection(staff: Staff, rma: RMA, body: InspectionIn) -> StaffReturnOut:
    d = deps()
    target = canonical(rma)
    reached_return(staff, target)
    d.workflow.inspect(target, body.gradings(), staff.actor)
    d.logger.info("inspected", extra={"actor": staff.actor})
    d.metrics.add_metric(name="WarehouseInspected", unit=MetricUnit.Count, value=1)
    return return_view(staff, target)
