"""Ticket API: customers and storefronts open tickets and write on them (/v1/tickets, API key or
customer token); staff work the queues (/admin/v1/tickets, Cognito groups).

Wiring only: the configuration, what the routes use (built once, at cold start), the resolver with
the routes of boomerang.api.tickets, the staff's authorization before routing and the Lambda entry
point. The classifier's model file is read on the first ticket opened, not at cold start.
"""

import gc
import sys
import warnings
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from aws_lambda_powertools.utilities.typing import LambdaContext

# The libraries' objects live as long as the container (see functions/storefront_api/handler.py).
gc.freeze()


from boomerang.api.auth import Authenticator
from boomerang.api.headers import security_headers
from boomerang.api.idempotency import request_idempotency
from boomerang.api.resolver import STOREFRONT_CORS, guard_body, install_error_handlers, refusal
from boomerang.api.routes import TICKET_ADMIN_PERMISSIONS, TICKET_ADMIN_ROUTES, route_template
from boomerang.api.tickets import staff, storefront
from boomerang.api.tickets.deps import deps as tickets_deps
from boomerang.auth.staff import member_from_claims, require
from boomerang.aws import bound_secrets
from boomerang.classifier.model import default_classifier
from boomerang.config import TicketsApiConfig
from boomerang.domain.errors import DomainError
from boomerang.services.tickets import TicketService
from boomerang.store.records import Repository
from boomerang.store.tickets import TicketRepository

config = TicketsApiConfig.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics()
warnings.filterwarnings("ignore", message="No application metrics to publish")
repo = Repository(config.table_name)
tickets = TicketRepository(config.table_name, repo.ddb)


def _signing_key() -> bytes:
    # Imported on first use: only customer-token calls need Secrets Manager.
    from aws_lambda_powertools.utilities import parameters

    bound_secrets()  # bounded by boomerang.timeouts.AWS, before the first read
    return str(parameters.get_secret(config.session_secret_name, max_age=300)).encode()


def clock() -> datetime:
    return datetime.now(UTC)


_answers: Any = None


def tracking_answers() -> Any:
    """ "Where is my order" answers from the order's parcels, made on the first such ticket."""
    global _answers
    if _answers is None:
        from boomerang.carriers.tracking_providers import Registrars
        from boomerang.notify.shipments import SandboxShipmentNotifier
        from boomerang.services.shipments.answers import TrackingAnswers
        from boomerang.services.shipments.service import ShipmentService
        from boomerang.store.parcels import ParcelStore
        from boomerang.store.providers import ProviderSettingsStore

        _answers = TrackingAnswers(
            ShipmentService(
                repo,
                ParcelStore(config.table_name, repo.ddb),
                ProviderSettingsStore(config.table_name, repo.ddb).get,
                Registrars(),  # a ticket registers nothing
                SandboxShipmentNotifier(),  # and sends no parcel message
                lambda: clock(),
            )
        )
    return _answers


service = TicketService(tickets, repo, default_classifier, lambda: clock(), tracking_answers)
auth = Authenticator(repo, _signing_key, config.api_key_cache_seconds)
idempotency = request_idempotency()
idempotency_store = DynamoDBPersistenceLayer(table_name=config.idempotency_table_name, boto3_client=repo.ddb)
idempotency_scope = __name__

# The routes read what this module built (boomerang.api.dependencies).
tickets_deps.install(sys.modules[__name__])

app = APIGatewayRestResolver(enable_validation=True, cors=STOREFRONT_CORS)
for routes in (storefront, staff):
    app.include_router(routes.router)
install_error_handlers(app, logger, metrics)


gc.freeze()  # and the same for what init built


@security_headers  # X-Content-Type-Options: nosniff on every answer (boomerang.api.headers)
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency.register_lambda_context(context)
    refused = guard_body(event, config.max_body_bytes, STOREFRONT_CORS)
    if refused is not None:
        return refused
    path = str(event.get("path") or "")
    if path.startswith("/admin/"):
        # Staff: who is calling and whether their groups may use this route, before the body is read.
        method = str(event.get("httpMethod") or "")
        route = route_template(TICKET_ADMIN_ROUTES, method, path)
        authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
        claims = authorizer.get("claims") if isinstance(authorizer, dict) else None
        try:
            member = member_from_claims(claims if isinstance(claims, dict) else None)
            if route is not None:
                require(member, TICKET_ADMIN_PERMISSIONS[(method.upper(), route)])
        except DomainError as exc:
            logger.info("refused", extra={"code": exc.code, "status": exc.http_status, "route": route})
            metrics.add_metric(name="ClientError", unit=MetricUnit.Count, value=1)
            return refusal(event, exc.http_status, exc.code, exc.message, exc.details, STOREFRONT_CORS)
        logger.append_keys(actor=member.actor)
        app.append_context(staff=member)
    return app.resolve(event, context)
