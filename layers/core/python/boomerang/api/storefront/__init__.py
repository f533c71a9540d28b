"""The storefront API's routes (functions/storefront_api), one Powertools Router per resource; the
handler includes them in the order of the route table (which is also the OpenAPI document's order).
"""

from typing import TYPE_CHECKING, cast

from boomerang.api.resolver import error_responses

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

# Every route documents the error answers of the one catalogue (boomerang.api.errors).
ERRORS = cast("dict[int, OpenAPIResponse]", error_responses())
