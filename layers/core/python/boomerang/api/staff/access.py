"""One shape for every staff route (the returns', the warehouse's, finance's, the privacy routes and
the tickets' staff side): identify the staff member, check the shop, act, answer the staff view.

A route takes its caller as a parameter `staff: Staff`, a Powertools dependency (Depends) resolved
from what the handler authorized before routing (the Cognito claims' member, in the resolver's
context); it is not a request parameter and not in the OpenAPI document. `StaffAccess.reach` is the
one place that decides which shops a staff member reaches: a route calls it where it learns the
shop, before acting: on the shop the request names (`?shop=`, `/shops/{shop}`), or on the return or
ticket it reads first when it acts by RMA or ticket id (api/staff/views.py `reached_return`,
api/tickets/staff.py), and again on what it answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from aws_lambda_powertools.event_handler import Depends
from aws_lambda_powertools.event_handler.request import Request

from boomerang.auth.staff import StaffMember
from boomerang.domain.errors import NotFound, Unauthorized


@dataclass(frozen=True)
class StaffAccess:
    member: StaffMember

    @property
    def actor(self) -> str:
        return self.member.actor

    def reach(self, shop: str, *, code: str = "shop_not_found", message: str = "No such shop.") -> str:
        """`shop`, if this staff member works for it (boomerang.auth.staff: `custom:shops`, `*`, or
        a `shop:<id>` group); else NotFound, so another shop's queue, return or ticket answers as
        one that does not exist (DESIGN.md: staff reach only their shops). A route that acts by RMA
        or ticket id reads it and calls this before acting, with the 404 of that thing (`code`)."""
        if not self.member.works_for(shop):
            raise NotFound(message, code=code)
        return shop

    def reach_return(self, shop: str) -> str:
        return self.reach(shop, code="return_not_found", message="No such return.")

    def reach_ticket(self, shop: str) -> str:
        return self.reach(shop, code="ticket_not_found", message="No such ticket.")


def staff_access(request: Request) -> StaffAccess:
    """The caller, authorized for this route by the handler before routing."""
    member = request.context.get("staff")
    if not isinstance(member, StaffMember):
        raise Unauthorized("Sign in: the admin API needs a staff ID token.", code="unauthenticated")
    return StaffAccess(member)


Staff = Annotated[StaffAccess, Depends(staff_access)]
