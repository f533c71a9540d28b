"""Staff API for outbound webhooks: subscriptions (admin) and dead-lettered deliveries (admin,
support), on the REST API's /admin/v1/webhooks routes behind the staff Cognito authorizer."""

# No `from __future__ import annotations`: Powertools reads the route signatures' real types.
import gc
import warnings
from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

gc.freeze()

from boomerang.api.headers import security_headers
from boomerang.api.resolver import error_responses, install_error_handlers
from boomerang.auth.staff import ADMIN, SUPPORT, StaffMember, member_from_claims, require
from boomerang.aws import aws_client
from boomerang.config import WebhookAdminConfig
from boomerang.domain.errors import NotFound
from boomerang.outbound.admin import WebhookAdmin
from boomerang.outbound.delivery import DeadLetters
from boomerang.outbound.schemas import (
    DeadLetterOut,
    DeadLettersOut,
    SubscriptionCreatedOut,
    SubscriptionOut,
    SubscriptionsOut,
)
from boomerang.outbound.subscriptions import SubscriptionIn, SubscriptionStore

config = WebhookAdminConfig.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics()
warnings.filterwarnings("ignore", message="No application metrics to publish")
ddb = aws_client("dynamodb")
webhooks = WebhookAdmin(
    SubscriptionStore(config.table_name, ddb),
    DeadLetters(config.table_name, ddb),
    aws_client("secretsmanager"),
    aws_client("sqs"),
    config.queue_url,
    config.secrets_prefix,
    lambda: datetime.now(UTC),
)

app = APIGatewayRestResolver(enable_validation=True)
ERRORS = error_responses()
install_error_handlers(app, logger, metrics)
SHOP = Annotated[str, Query(min_length=1, max_length=128, description="The shop id")]


def _staff(shop: str, *groups: str) -> StaffMember:
    """The caller, if in one of `groups` (403) and working for `shop`: another shop's subscriptions
    and deliveries answer 404 shop_not_found, as a shop that does not exist (boomerang.auth.staff)."""
    claims = (app.current_event.request_context.authorizer.raw_event or {}).get("claims")
    member = require(member_from_claims(claims), groups)
    if not member.works_for(shop):
        raise NotFound("No such shop.", code="shop_not_found")
    logger.append_keys(shop=shop)
    return member


@app.post("/admin/v1/webhooks/subscriptions", summary="Subscribe a URL to events (admin)", responses=ERRORS)
@tracer.capture_method
def post_subscription(body: SubscriptionIn) -> Response[SubscriptionCreatedOut]:
    member = _staff(body.shop, ADMIN)
    made, secret = webhooks.subscribe(body, member.actor)
    out = SubscriptionCreatedOut(**SubscriptionOut.of(made).model_dump(), secret=secret)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=out)


@app.get(
    "/admin/v1/webhooks/subscriptions", summary="A shop's webhook subscriptions (admin)", responses=ERRORS
)
@tracer.capture_method
def list_subscriptions(shop: SHOP) -> SubscriptionsOut:
    _staff(shop, ADMIN)
    return SubscriptionsOut(
        items=[SubscriptionOut.of(s) for s in webhooks.store.of_shop(shop)], next_cursor=None
    )


@app.delete(
    "/admin/v1/webhooks/subscriptions/<subscription_id>",
    summary="Delete a subscription (admin)",
    responses=ERRORS,
)
@tracer.capture_method
def delete_subscription(subscription_id: Annotated[str, Path(max_length=64)], shop: SHOP) -> SubscriptionOut:
    _staff(shop, ADMIN)
    return SubscriptionOut.of(webhooks.unsubscribe(shop, subscription_id))


@app.get(
    "/admin/v1/webhooks/dead-letters",
    summary="Deliveries given up on after a day of retries (admin, support)",
    responses=ERRORS,
)
@tracer.capture_method
def list_dead_letters(
    shop: SHOP,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> DeadLettersOut:
    _staff(shop, ADMIN, SUPPORT)
    items, next_cursor = webhooks.dead_letters.list(shop, limit, cursor)
    return DeadLettersOut(
        items=[DeadLetterOut.of(i["delivery"], i["parked_at"]) for i in items], next_cursor=next_cursor
    )


@app.post(
    "/admin/v1/webhooks/dead-letters/<delivery_id>/redrive",
    summary="Send a dead-lettered delivery again, with a new day of retries (admin, support)",
    responses=ERRORS,
)
@tracer.capture_method
def redrive(delivery_id: Annotated[str, Path(max_length=256)], shop: SHOP) -> Response[DeadLetterOut]:
    member = _staff(shop, ADMIN, SUPPORT)
    delivery = webhooks.redrive(shop, delivery_id)
    logger.info("dead letter redriven", extra={"delivery_id": delivery_id, "by": member.actor})
    return Response(
        status_code=202, content_type=content_types.APPLICATION_JSON, body=DeadLetterOut.of(delivery, None)
    )


gc.freeze()


@security_headers  # X-Content-Type-Options: nosniff on every answer (boomerang.api.headers)
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
