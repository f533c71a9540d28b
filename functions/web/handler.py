"""The customer's pages: the returns portal (/{shop}/returns...), the tracking page (/{shop}/track)
and the policy page (/{shop}/policy), and the staff console (/admin...), HTML rendered here from the
library's services (never the API over HTTP).

Wiring only: the configuration, what the pages use (built once, at cold start), the routes of
boomerang.web, an HTML error page, and the Lambda entry point.
"""

import gc
import sys
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

gc.freeze()  # as the storefront's handler: the libraries stay out of the collector's scans

from boomerang.api.auth import Authenticator
from boomerang.api.headers import security_headers
from boomerang.aws import bound_secrets
from boomerang.carriers.labels import LabelStore
from boomerang.config import ConsoleConfig, WebConfig
from boomerang.domain.errors import DomainError
from boomerang.orchestration.step_functions import StepFunctionsEngine
from boomerang.services.policies import PolicySource
from boomerang.services.returns import ReturnsService
from boomerang.services.sessions import SessionGuard
from boomerang.store.records import Repository
from boomerang.store.sessions import SessionStore
from boomerang.store.shops import ShopStore
from boomerang.web import policy_routes, portal_routes, tracking_routes
from boomerang.web.console import (
    admin_routes,
    dashboard_routes,
    return_routes,
    session_routes,
    ticket_routes,
    warehouse_routes,
)
from boomerang.web.console.services import ConsoleServices
from boomerang.web.deps import deps as web_deps
from boomerang.web.error_page import error_answer, error_page

config = WebConfig.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics()
warnings.filterwarnings("ignore", message="No application metrics to publish")
repo = Repository(config.table_name)
shops = ShopStore(repo)
assets_version = config.assets_version


def _signing_key() -> bytes:
    from aws_lambda_powertools.utilities import parameters

    bound_secrets()  # bounded by boomerang.timeouts.AWS, before the first read
    return str(parameters.get_secret(config.session_secret_name, max_age=300)).encode()


def clock() -> datetime:
    return datetime.now(UTC)


policies = PolicySource(repo, config.policy_cache_seconds)
engine = StepFunctionsEngine(config.state_machine_arn) if config.state_machine_arn else None
service = ReturnsService(repo, policies, _signing_key, timedelta(seconds=config.session_ttl_seconds), engine)
auth = Authenticator(repo, _signing_key)
session_guard = SessionGuard(SessionStore(config.table_name, repo.ddb))
labels = LabelStore(config.label_bucket_name) if config.label_bucket_name else None
_evidence: Any = None


def evidence_service() -> Any:
    # Made on the first upload offer: the S3 client and the evidence code stay out of the cold start.
    global _evidence
    if _evidence is None:
        from boomerang.config import EvidenceConfig
        from boomerang.services.evidence import EvidenceService, S3Clients, buckets_from

        env = EvidenceConfig.from_env()
        buckets = buckets_from(env.evidence_bucket, env.aws_region, env.evidence_regional_buckets)
        _evidence = EvidenceService(repo, policies, buckets, S3Clients(), clock)
    return _evidence


def link_key() -> bytes:
    return _signing_key()


_shipments: Any = None


def shipments() -> Any:
    # Made on the first tracking page: the parcels' code stays out of the portal's cold start.
    global _shipments
    if _shipments is None:
        from boomerang.services.shipments.progress import ShipmentProgress
        from boomerang.store.parcels import ParcelStore
        from boomerang.store.providers import ProviderSettingsStore

        _shipments = ShipmentProgress(
            repo,
            ParcelStore(config.table_name, repo.ddb),
            ProviderSettingsStore(config.table_name, repo.ddb).get,
        )
    return _shipments


# The staff console: its sign-in (the staff user pool) and, built on first use, the staff services.
console = ConsoleServices(ConsoleConfig.from_env(), repo, lambda: clock(), _signing_key)

web_deps.install(sys.modules[__name__])

app = APIGatewayRestResolver()
# The console's routers first: /admin/returns/... is the console's, not a shop called "admin".
for console_routes in (
    session_routes,
    return_routes,
    warehouse_routes,
    ticket_routes,
    admin_routes,
    dashboard_routes,
):
    app.include_router(console_routes.router)
app.include_router(policy_routes.router)
app.include_router(portal_routes.router)
app.include_router(tracking_routes.router)


@app.exception_handler(DomainError)
def _refused(exc: DomainError) -> Response[str]:
    logger.info("refused", extra={"code": exc.code, "status": exc.http_status})
    return error_page(exc.http_status, exc.code, app.current_event.headers, config)


@app.not_found
def _no_page(exc: Exception) -> Response[str]:
    return error_page(404, "route_not_found", app.current_event.headers, config)


@app.exception_handler(Exception)
def _failed(exc: Exception) -> Response[str]:
    logger.exception("unhandled error")
    return error_page(500, "internal_error", app.current_event.headers, config)


gc.freeze()


@security_headers  # X-Content-Type-Options: nosniff on every answer (boomerang.api.headers)
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if len(event.get("body") or "") > config.max_body_bytes:
        return error_answer(413, "payload_too_large", event.get("headers") or {}, config)
    return app.resolve(event, context)
