"""GET /v1/openapi.json: this API's OpenAPI document, built on request.

Not Powertools' enable_swagger(): that imports the OpenAPI models (~200 ms) at every cold start.
"""

# No `from __future__ import annotations`: see orders.py.
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver, Router

router = Router()  # type: ignore[no-untyped-call]


@router.get("/v1/openapi.json", summary="This API's OpenAPI document", tags=["meta"], include_in_schema=False)
def get_openapi() -> Response[str]:
    app = router.api_resolver
    assert isinstance(app, ApiGatewayResolver)  # set by include_router
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=app.get_openapi_json_schema(title="Boomerang storefront API", version="1.0.0"),
    )
