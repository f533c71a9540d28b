"""POST /v1/sessions: a customer proves an order (number and email) and gets a token for it;
POST /v1/sessions/revoke: the customer signs out of every session."""

# No `from __future__ import annotations`: see orders.py.
from aws_lambda_powertools import Tracer
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.metrics import MetricUnit

from boomerang.api.schemas import SessionIn, SessionOut, SessionsRevokedOut, utc
from boomerang.api.storefront import ERRORS
from boomerang.api.storefront.deps import caller, deps
from boomerang.domain.errors import TooManyAttempts, Unprocessable

router = Router()  # type: ignore[no-untyped-call]
tracer = Tracer()


@router.post(
    "/v1/sessions", summary="Open a customer session for one order", responses=ERRORS, tags=["sessions"]
)
@tracer.capture_method
def post_session(session: SessionIn) -> Response[SessionOut]:
    d = deps()
    api_shop = d.auth.optional_shop(router.current_event.headers)
    shop = api_shop or session.shop
    if shop is None:
        raise Unprocessable(
            "Name the shop (field 'shop') or call with the storefront's API key.",
            code="shop_required",
            details=[{"field": "shop", "code": "missing", "message": "Field required without an API key."}],
        )
    now = d.clock()
    # Counted per email and per client address; the storefront's server (API key) per email only.
    client = None if api_shop else _source_ip()
    counters = d.session_guard.counters(shop, session.email, client)
    try:
        opened = d.session_guard.attempt(
            counters, now, lambda: d.service.open_session(shop, session.order_number, session.email, now)
        )
    except TooManyAttempts:
        d.metrics.add_metric(name="SessionAttemptRefused", unit=MetricUnit.Count, value=1)
        raise
    body = SessionOut(token=opened.token, expires_at=utc(opened.expires_at), order_id=opened.order_id)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=body)


def _source_ip() -> str | None:
    """The client's address as API Gateway saw it (requestContext.identity.sourceIp; the local front
    puts its peer's address there)."""
    context = router.current_event.raw_event.get("requestContext") or {}
    source = (context.get("identity") or {}).get("sourceIp")
    return str(source) if source else "unknown"


@router.post(
    "/v1/sessions/revoke",
    summary="Sign out everywhere: every session of the token's customer is revoked, this one included",
    responses=ERRORS,
    tags=["sessions"],
)
@tracer.capture_method
def post_sessions_revoke() -> SessionsRevokedOut:
    d = deps()
    who = caller(router)
    now = d.clock()
    d.revocation.sign_out_everywhere(who, now)
    d.logger.append_keys(shop=who.shop, order_id=who.order_id)
    d.logger.info("sessions revoked")
    return SessionsRevokedOut(revoked_at=utc(now))
