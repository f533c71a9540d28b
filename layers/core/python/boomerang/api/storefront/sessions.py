"""POST /v1/sessions: a customer proves an order (number and email) and gets a token for it."""

# No `from __future__ import annotations`: see orders.py.
from aws_lambda_powertools import Tracer
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router

from boomerang.api.schemas import SessionIn, SessionOut, utc
from boomerang.api.storefront import ERRORS
from boomerang.api.storefront.deps import deps
from boomerang.domain.errors import Unprocessable

router = Router()  # type: ignore[no-untyped-call]
tracer = Tracer()


@router.post(
    "/v1/sessions", summary="Open a customer session for one order", responses=ERRORS, tags=["sessions"]
)
@tracer.capture_method
def post_session(session: SessionIn) -> Response[SessionOut]:
    d = deps()
    shop = d.auth.optional_shop(router.current_event.headers) or session.shop
    if shop is None:
        raise Unprocessable(
            "Name the shop (field 'shop') or call with the storefront's API key.",
            code="shop_required",
            details=[{"field": "shop", "code": "missing", "message": "Field required without an API key."}],
        )
    opened = d.service.open_session(shop, session.order_number, session.email, d.clock())
    body = SessionOut(token=opened.token, expires_at=utc(opened.expires_at), order_id=opened.order_id)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=body)
