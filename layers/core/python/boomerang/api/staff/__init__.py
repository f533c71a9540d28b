"""The staff (admin) API's routes (functions/admin_api), one Powertools Router per resource; the
handler includes them in the order of the route table (which is also the OpenAPI document's order).
Every staff route, the tickets' staff side included, takes its caller as `staff: Staff` (access.py).
"""

from typing import TYPE_CHECKING, Annotated, cast

from aws_lambda_powertools.event_handler.openapi.params import Path

from boomerang.api.resolver import error_responses

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

# Every route documents the error answers of the one catalogue (boomerang.api.errors).
ERRORS = cast("dict[int, OpenAPIResponse]", error_responses())
RMA = Annotated[str, Path(max_length=32, description="The RMA number, e.g. K7Q-4M2-XAC")]
