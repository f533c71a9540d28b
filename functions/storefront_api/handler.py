"""Storefront API: the public REST API that storefronts and customer portals call.

Wiring only: the configuration, what the routes use (built once, at cold start), the resolver with
the routes of boomerang.api.storefront, the error handlers and the Lambda entry point.
"""

import gc
import sys
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from aws_lambda_powertools.utilities.typing import LambdaContext

# The libraries' objects live as long as the container: freeze them out of the garbage collector,
# so building our models and routes below (and every request after) never rescans them. This
# halves the init time of the code below; `make bench` measures it against the libraries alone.
gc.freeze()


from boomerang.api.auth import Authenticator
from boomerang.api.headers import security_headers
from boomerang.api.idempotency import request_idempotency
from boomerang.api.resolver import STOREFRONT_CORS, guard_body, install_error_handlers
from boomerang.api.storefront import (
    eligibility,
    evidence,
    exchanges,
    meta,
    orders,
    policy,
    products,
    returns,
    sessions,
    store_credit,
)
from boomerang.api.storefront import (
    labels as label_routes,
)
from boomerang.api.storefront import (
    shipments as shipment_routes,
)
from boomerang.api.storefront.deps import deps as storefront_deps
from boomerang.aws import bound_secrets
from boomerang.carriers.labels import LabelStore
from boomerang.config import StorefrontConfig
from boomerang.orchestration.step_functions import StepFunctionsEngine
from boomerang.services.catalog import CatalogService
from boomerang.services.exchange_fulfilment import ExchangeFulfilment
from boomerang.services.policies import PolicySource
from boomerang.services.returns import ReturnsService
from boomerang.services.sessions import SessionGuard, SessionRevocation
from boomerang.store.records import Repository
from boomerang.store.sessions import SessionStore

config = StorefrontConfig.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics()
# A read publishes no business metric; Powertools would warn about it on every such request.
warnings.filterwarnings("ignore", message="No application metrics to publish")
repo = Repository(config.table_name)


def _signing_key() -> bytes:
    # Imported on first use: only session and token calls need Secrets Manager.
    from aws_lambda_powertools.utilities import parameters

    bound_secrets()  # bounded by boomerang.timeouts.AWS, before the first read
    return str(parameters.get_secret(config.session_secret_name, max_age=300)).encode()


def clock() -> datetime:
    return datetime.now(UTC)


policies = PolicySource(repo, config.policy_cache_seconds)
# Its Step Functions client is made on the first return, not at cold start.
engine = StepFunctionsEngine(config.state_machine_arn) if config.state_machine_arn else None
service = ReturnsService(repo, policies, _signing_key, timedelta(seconds=config.session_ttl_seconds), engine)
catalog = CatalogService(service.catalog)
fulfilment = ExchangeFulfilment(repo, lambda: service.engine)
auth = Authenticator(repo, _signing_key, config.api_key_cache_seconds)
session_guard = SessionGuard(SessionStore(config.table_name, repo.ddb))
revocation = SessionRevocation(SessionStore(config.table_name, repo.ddb))
idempotency = request_idempotency()
# One DynamoDB client for both tables: each client costs a parse of the service model at cold start.
idempotency_store = DynamoDBPersistenceLayer(table_name=config.idempotency_table_name, boto3_client=repo.ddb)
idempotency_scope = __name__
labels = LabelStore(config.label_bucket_name) if config.label_bucket_name else None
_evidence: Any = None


def evidence_service() -> Any:
    # Made on the first upload: the S3 client and the evidence code stay out of the cold start.
    global _evidence
    if _evidence is None:
        from boomerang.config import EvidenceConfig
        from boomerang.services.evidence import EvidenceService, S3Clients, buckets_from

        env = EvidenceConfig.from_env()
        buckets = buckets_from(env.evidence_bucket, env.aws_region, env.evidence_regional_buckets)
        _evidence = EvidenceService(repo, policies, buckets, S3Clients(), clock)
    return _evidence


_evidence_service = evidence_service  # the name tests and scripts know
_shipments: Any = None


def shipments() -> Any:
    # Made on the first fulfilment or tracking read: the parcels' code stays out of the cold start.
    global _shipments
    if _shipments is None:
        from boomerang.carriers.tracking_providers import Registrars
        from boomerang.credentials import ShopCredentials
        from boomerang.notify.shipments import SandboxShipmentNotifier
        from boomerang.services.shipments.service import ShipmentService
        from boomerang.store.parcels import ParcelStore
        from boomerang.store.providers import ProviderSettingsStore

        settings = ProviderSettingsStore(config.table_name, repo.ddb)
        # No message goes out from a fulfilment: the customer hears of news (carrier webhooks).
        _shipments = ShipmentService(
            repo,
            ParcelStore(config.table_name, repo.ddb),
            settings.get,
            Registrars(ShopCredentials(config.shop_secrets_prefix)),
            SandboxShipmentNotifier(),
            clock,
            tracking_link,
        )
    return _shipments


def link_key() -> bytes:
    return _signing_key()


def tracking_link(shop: str, order_id: str) -> str:
    from boomerang.auth import tracking_links

    link = tracking_links.issue(link_key(), shop, order_id, clock())
    return config.tracking_link_template.format(shop=shop, order_id=order_id, link=link)


# The routes read what this module built (boomerang.api.dependencies).
storefront_deps.install(sys.modules[__name__])

app = APIGatewayRestResolver(enable_validation=True, cors=STOREFRONT_CORS)
# No enable_swagger(): it imports Powertools' OpenAPI models (~200 ms) at every cold start;
# /v1/openapi.json builds the document on request instead (api/storefront/meta.py).
for routes in (
    orders,
    products,
    sessions,
    eligibility,
    returns,
    label_routes,
    evidence,
    exchanges,
    policy,
    store_credit,
    shipment_routes,
    meta,
):
    app.include_router(routes.router)

install_error_handlers(app, logger, metrics)


gc.freeze()  # and the same for what init built


@security_headers  # X-Content-Type-Options: nosniff on every answer (boomerang.api.headers)
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency.register_lambda_context(context)
    # Checked before routing: Powertools parses the body before any middleware runs.
    refused = guard_body(event, config.max_body_bytes, STOREFRONT_CORS)
    if refused is not None:
        return refused
    return app.resolve(event, context)
