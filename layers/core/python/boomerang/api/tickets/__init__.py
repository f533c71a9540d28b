"""The ticket API's routes (functions/tickets_api): the storefront side (API key or customer token)
and the staff side (Cognito groups; its routes take their caller as boomerang.api.staff.access.Staff).
"""

from typing import TYPE_CHECKING, Annotated, cast

from aws_lambda_powertools.event_handler.openapi.params import Path

from boomerang.api.resolver import error_responses

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

# Every route documents the error answers of the one catalogue (boomerang.api.errors).
ERRORS = cast("dict[int, OpenAPIResponse]", error_responses())
TICKET_ID = Annotated[str, Path(max_length=32, description="The ticket id, e.g. TK-3F9A1C2B7D0E")]
