"""GET /admin/v1/openapi.json: the staff document (boomerang.api.openapi), for any signed-in staff
member, built on the first request."""

# No `from __future__ import annotations`: see returns.py.
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router

from boomerang.api.openapi import document_json

router = Router()  # type: ignore[no-untyped-call]


@router.get(
    "/admin/v1/openapi.json", summary="This API's OpenAPI document", tags=["meta"], include_in_schema=False
)
def get_openapi() -> Response[str]:
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=document_json("staff"))
