"""The staff view of a return, and the RMA a staff route names."""

from __future__ import annotations

from boomerang.api.admin_schemas import StaffReturnOut
from boomerang.api.staff.access import StaffAccess
from boomerang.api.staff.deps import deps
from boomerang.domain import rma as rma_numbers
from boomerang.domain.errors import NotFound
from boomerang.domain.models import Return


def canonical(rma: str) -> str:
    # A path that is not an RMA number answers as a missing return (as the storefront does).
    try:
        canonical = rma_numbers.normalize(rma)
    except rma_numbers.InvalidRma as exc:
        raise NotFound(str(exc), code="invalid_rma") from exc
    deps().logger.append_keys(rma=canonical)
    return canonical


def reached_return(staff: StaffAccess, rma: str) -> Return:
    """The return, read before a route acts on it, if the member works for its shop: another shop's
    return answers 404 return_not_found, as a missing one does, and nothing is done to it."""
    d = deps()
    ret, _ = d.repo.get_return(rma)
    staff.reach_return(ret.shop)
    d.logger.append_keys(shop=ret.shop, order_id=ret.order_id)
    return ret


def return_view(staff: StaffAccess, rma: str) -> StaffReturnOut:
    d = deps()
    ret, timeline = d.repo.get_return(rma)
    staff.reach_return(ret.shop)
    d.logger.append_keys(shop=ret.shop, order_id=ret.order_id)
    return StaffReturnOut.of_staff(ret, timeline)
