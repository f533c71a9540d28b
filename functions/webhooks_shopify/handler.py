"""Shopify webhooks: `POST /webhooks/shopify` (orders/create, orders/updated, orders/fulfilled,
orders/cancelled, refunds/create; products/create and products/update for categories;
fulfillments/create and fulfillments/update for outbound parcels; draft_orders/update for a dearer
replacement's invoice being paid).

Thin: the signature is checked on the raw body before anything reads it, then the library maps
the payload onto the order (boomerang.services.shopify_orders). A duplicate or an older snapshot
answers 200, so Shopify stops retrying it; a bad signature answers 401.
"""

import base64
import gc
import json
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.typing import LambdaContext

gc.freeze()  # see functions/storefront_api/handler.py

from boomerang.api.headers import security_headers
from boomerang.api.resolver import guard_body, install_error_handlers
from boomerang.aws import bound_secrets
from boomerang.config import ShopifyWebhookConfig
from boomerang.services.shopify_orders import ShopifyWebhooks
from boomerang.store.records import Repository
from boomerang.store.shopify import ShopifyStore

config = ShopifyWebhookConfig.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics()
repo = Repository(config.table_name)


def _app_secret(secret_name: str) -> str:
    # Cached per container: one Secrets Manager call per shop every few minutes.
    bound_secrets()  # bounded by boomerang.timeouts.AWS, before the first read
    return str(parameters.get_secret(secret_name, max_age=config.secret_cache_seconds))


def _now() -> datetime:
    return datetime.now(UTC)


_shipments: Any = None


def shipments() -> Any:
    """Outbound parcels, made on the first fulfillments/* webhook: registered with the shop's
    tracking provider (its key from boomerang/<shop>/17track or aftership). No message is sent here."""
    global _shipments
    if _shipments is None:
        from boomerang.carriers.tracking_providers import Registrars
        from boomerang.notify.shipments import SandboxShipmentNotifier
        from boomerang.services.shipments.service import ShipmentService
        from boomerang.store.parcels import ParcelStore
        from boomerang.store.providers import ProviderSettingsStore

        _shipments = ShipmentService(
            repo,
            ParcelStore(config.table_name, repo.ddb),
            ProviderSettingsStore(config.table_name, repo.ddb).get,
            Registrars(),
            SandboxShipmentNotifier(),
            _now,
        )
    return _shipments


_workflow: Any = None


def draft_news(shop: str, draft: Any) -> str:
    """draft_orders/update: a dearer replacement's invoice paid resumes the return's workflow
    (boomerang.services.shopify_orders.difference_news); made on the first such webhook."""
    global _workflow
    if _workflow is None:
        from boomerang.carriers.fixed import NO_LABELS
        from boomerang.orchestration.step_functions import StepFunctionsEngine
        from boomerang.payments.sandbox import SandboxPayments
        from boomerang.services.policies import PolicySource
        from boomerang.services.workflow import ReturnWorkflow

        # The news only records the payment and resumes the workflow: nothing is paid from here.
        _workflow = ReturnWorkflow(
            repo, PolicySource(repo), StepFunctionsEngine(config.state_machine_arn), NO_LABELS,
            SandboxPayments(), _now,
        )  # fmt: skip
    from boomerang.services.shopify_orders import difference_news

    return difference_news(_workflow, shop, draft)


def replacement_shipped(shop: str, order_id: str, carrier: str, number: str, at: datetime) -> Any:
    """fulfillments/*: an exchange's replacement made in Shopify shipped; its return is told."""
    from boomerang.orchestration.step_functions import StepFunctionsEngine
    from boomerang.services.exchange_fulfilment import ExchangeFulfilment, shopify_replacement_shipped

    engine = StepFunctionsEngine(config.state_machine_arn)
    service = ExchangeFulfilment(repo, lambda: engine)
    return shopify_replacement_shipped(service, shop, order_id, carrier, number, at)


webhooks = ShopifyWebhooks(ShopifyStore(repo), _app_secret, _now, shipments, draft_news, replacement_shipped)
app = APIGatewayRestResolver()
install_error_handlers(app, logger, metrics)


@app.post("/webhooks/shopify")
@tracer.capture_method
def post_shopify() -> Response[str]:
    event = app.current_event
    # The signature covers the bytes Shopify sent: decode nothing but API Gateway's base64.
    body = event.body or ""
    raw = base64.b64decode(body) if event.is_base64_encoded else body.encode()
    received = webhooks.receive(event.headers, raw)
    # Ids only in the log: the payload is full of personal data.
    logger.append_keys(shop=received.shop, order_id=received.order_id)
    logger.info("shopify webhook", extra={"topic": received.topic, "outcome": received.outcome})
    metrics.add_metric(name=f"ShopifyWebhook_{received.outcome}", unit=MetricUnit.Count, value=1)
    body = {"outcome": received.outcome, "topic": received.topic, "order_id": received.order_id}
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


gc.freeze()


@security_headers  # X-Content-Type-Options: nosniff on every answer (boomerang.api.headers)
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # The size, as every REST function checks it (the body is read only once its signature is verified).
    refused = guard_body(event, config.max_body_bytes, json_body=False)
    if refused is not None:
        return refused
    return app.resolve(event, context)
