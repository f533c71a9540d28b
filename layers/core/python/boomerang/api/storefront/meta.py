"""GET /v1/openapi.json: the storefront document (boomerang.api.openapi), built on the first request.

Not Powertools' enable_swagger(): that imports the OpenAPI models (~200 ms) at every cold start.
"""

# No `from __future__ import annotations`: see orders.py.
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router

from boomerang.api.openapi import document_json

router = Router()  # type: ignore[no-untyped-call]


@router.get("/v1/openapi.json", summary="This API's OpenAPI document", tags=["meta"], include_in_schema=False)
def get_openapi() -> Response[str]:
    return Response(
        status_code=200, content_type=content_types.APPLICATION_JSON, body=document_json("storefront")
    )
