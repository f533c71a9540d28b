"""One shape for every staff route (the returns', the warehouse's, finance's, the privacy routes and
the tickets' staff side): identify the staff member, check the shop, act, answer the staff view.

A route takes its caller as a parameter `staff: Staff`, a Powertools dependency (Depends) resolved
from what the handler authorized before routing (the Cognito claims' member, in the resolver's
context); it is not a request parameter and not in the OpenAPI document. `StaffAccess.reach` is the
one place that decides which shops a staff member reaches: a route calls it where it learns the
shop, before acting when the request names the shop (`?shop=`), on the loaded return or ticket when
it answers the staff view (api/staff/views.py, api/tickets/staff.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from aws_lambda_powertools.event_handler import Depends
from aws_lambda_powertools.event_handler.request import Request

from boomerang.auth.staff import StaffMember
from boomerang.domain.errors import Unauthorized


@dataclass(frozen=True)
class StaffAccess:
    member: StaffMember

    @property
    def actor(self) -> str:
        return self.member.actor

    def reach(self, shop: str) -> str:
        """`shop`, if this staff member may work on it.

        Every staff member reaches every shop today. Restricting them (DESIGN.md: staff reach only
        their shops; anything else answers 404) is a change here: raise NotFound for another shop,
        so its returns and tickets answer as ones that do not exist. A restriction must then also
        check a return or ticket before a member acts on it (one read more per action, which the
        routes that act by RMA or ticket id do not make today: the workflow reads it itself).
        """
        return shop


def staff_access(request: Request) -> StaffAccess:
    """The caller, authorized for this route by the handler before routing."""
    member = request.context.get("staff")
    if not isinstance(member, StaffMember):
        raise Unauthorized("Sign in: the admin API needs a staff ID token.", code="unauthenticated")
    return StaffAccess(member)


Staff = Annotated[StaffAccess, Depends(staff_access)]
