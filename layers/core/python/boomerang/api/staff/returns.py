"""The returns queues and a return's detail, as staff see them."""

# No `from __future__ import annotations` in a router: Powertools reads the route signatures' real
# types (through the tracer's wrappers) to validate requests and build the OpenAPI document.
from typing import Annotated

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from boomerang.api.admin_schemas import QueueOut, StaffReturnOut
from boomerang.api.staff import ERRORS, RMA
from boomerang.api.staff.access import Staff
from boomerang.api.staff.deps import deps
from boomerang.api.staff.views import canonical, return_view
from boomerang.domain.status import ReturnStatus

router = Router()  # type: ignore[no-untyped-call]
tracer = Tracer()


@router.get(
    "/admin/v1/returns",
    summary="A queue: a shop's returns in one status, oldest first (support, warehouse, finance, admin)",
    responses=ERRORS,
    tags=["staff"],
)
@tracer.capture_method
def list_returns(
    staff: Staff,
    shop: Annotated[str, Query(min_length=1, max_length=128, description="The shop id")],
    status: Annotated[ReturnStatus, Query(description="The queue, e.g. pending_review")],
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=4096, description="next_cursor of the last page")] = None,
) -> QueueOut:
    d = deps()
    d.logger.append_keys(shop=staff.reach(shop))
    page = d.repo.returns_by_status(shop, status, limit, cursor)
    return QueueOut(items=[StaffReturnOut.of_staff(r) for r in page.items], next_cursor=page.next_cursor)


@router.get(
    "/admin/v1/returns/<rma>",
    summary="A return with everything staff need: timeline, label, inspection, refund, failure, wait",
    responses=ERRORS,
    tags=["staff"],
)
@tracer.capture_method
def get_return(staff: Staff, rma: RMA) -> StaffReturnOut:
    return return_view(staff, canonical(rma))
