"""Carrier tracking webhooks: POST /webhooks/carriers/{easypost,aftership,17track}.

Thin: verify the provider's signature on the raw body, read it into one normalized update
(boomerang.carriers.tracking), apply it once per provider event id (Powertools idempotency), answer.
Carriers retry on errors, so news about a tracking number we do not know is answered 202 and
logged, never an error. Logs carry the provider, event id, tracking number and RMA, never a body.
"""

import gc
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

gc.freeze()  # the libraries' objects live as long as the container (see storefront_api)

import json

from boomerang.api.errors import error_response
from boomerang.api.headers import security_headers
from boomerang.api.resolver import guard_body, install_error_handlers, request_id
from boomerang.aws import bound_secrets
from boomerang.carriers.fixed import NO_LABELS
from boomerang.carriers.tracking import (
    PROVIDERS,
    MalformedWebhook,
    SignatureInvalid,
    SignatureMissing,
    parse,
    update_as_dict,
    update_from_dict,
)
from boomerang.carriers.tracking_providers import Registrars
from boomerang.config import CarrierWebhooksConfig
from boomerang.notify.shipments import shipment_notifier
from boomerang.orchestration.step_functions import StepFunctionsEngine
from boomerang.payments.factory import payments_from
from boomerang.services.policies import PolicySource
from boomerang.services.shipments.service import ShipmentService
from boomerang.services.tracking import TrackingService
from boomerang.services.workflow import ReturnWorkflow
from boomerang.store.parcels import ParcelStore
from boomerang.store.providers import ProviderSettingsStore
from boomerang.store.records import Repository

config = CarrierWebhooksConfig.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics()
repo = Repository(config.table_name)


def clock() -> datetime:
    return datetime.now(UTC)


# Only carrier_update and the tracking index are used here: no label is bought, nothing is paid.
workflow = ReturnWorkflow(
    repo,
    PolicySource(repo, config.policy_cache_seconds),
    StepFunctionsEngine(config.state_machine_arn),
    NO_LABELS,  # the workflow's label step buys labels, never this function
    payments_from(config, config.table_name, repo.ddb),  # nothing is paid here
    clock,
)
tracking = TrackingService(workflow, clock)


def tracking_link(shop: str, order_id: str) -> str:
    if not config.session_secret_name:
        return ""
    from boomerang.auth import tracking_links

    bound_secrets()  # bounded by boomerang.timeouts.AWS, before the first read
    key = str(parameters.get_secret(config.session_secret_name, max_age=config.secret_cache_seconds)).encode()
    link = tracking_links.issue(key, shop, order_id, clock())
    return config.tracking_link_template.format(shop=shop, order_id=order_id, link=link)


# A number that is no return's may be an outbound parcel's (issue 21). Nothing is registered here.
shipments = ShipmentService(
    repo,
    ParcelStore(config.table_name, repo.ddb),
    ProviderSettingsStore(config.table_name, repo.ddb).get,
    Registrars(),
    shipment_notifier(
        config.notifier,
        repo,
        config.notify_sender,
        idempotency_table=config.idempotency_table_name,
        configuration_set=config.ses_configuration_set or None,
        template_cache_seconds=config.template_cache_seconds,
    ),
    clock,
    tracking_link,
)
SECRET_NAMES = {
    "easypost": config.easypost_webhook_secret_name,
    "aftership": config.aftership_webhook_secret_name,
    "17track": config.seventeentrack_webhook_secret_name,
}
idempotency = IdempotencyConfig(event_key_jmespath="event", expires_after_seconds=7 * 24 * 3600)
idempotency_store = DynamoDBPersistenceLayer(table_name=config.idempotency_table_name, boto3_client=repo.ddb)

app = APIGatewayRestResolver()
install_error_handlers(app, logger, metrics)


def _secret(provider: str) -> str:
    bound_secrets()  # bounded by boomerang.timeouts.AWS, before the first read
    return str(parameters.get_secret(SECRET_NAMES[provider], max_age=config.secret_cache_seconds))


def _apply_once(delivery: dict[str, Any]) -> dict[str, Any]:
    """Apply one provider event; Powertools idempotency keeps the answer under `<provider>:<id>`,
    so a redelivered event is answered from there and changes nothing."""
    update = update_from_dict(delivery["update"])
    outcome = tracking.apply(update).as_dict()
    if outcome["result"] == "unknown_tracking":
        return shipments.apply(update).as_dict()
    return outcome


apply_once = idempotent_function(
    data_keyword_argument="delivery", config=idempotency, persistence_store=idempotency_store
)(_apply_once)


def _refused(status: int, code: str, message: str) -> Response[str]:
    logger.warning("webhook refused", extra={"code": code})
    metrics.add_metric(name="CarrierWebhookRefused", unit=MetricUnit.Count, value=1)
    return error_response(status, code, message, None, request_id(app))


@app.post("/webhooks/carriers/<provider>")
@tracer.capture_method
def receive(provider: str) -> Response[str]:
    chosen = PROVIDERS.get(provider)
    if chosen is None:
        return error_response(404, "route_not_found", "No such route.", None, request_id(app))
    body = (app.current_event.decoded_body or "").encode()
    headers = dict(app.current_event.headers or {})
    try:
        update = parse(chosen, body, headers, _secret(provider))
    except SignatureMissing as exc:
        return _refused(401, "webhook_signature_missing", f"Sign the body: no {exc} header.")
    except SignatureInvalid as exc:
        return _refused(401, "webhook_signature_invalid", f"The {exc} signature does not match the body.")
    except MalformedWebhook as exc:
        return _refused(400, "malformed_webhook", str(exc))
    logger.append_keys(provider=provider)
    if update is None:
        return _answer(200, {"received": True, "result": "ignored"})
    logger.append_keys(event_id=update.event_id, tracking_number=update.tracking_number)
    result = apply_once(
        delivery={
            "event": f"{provider}:{update.event_id}",
            "update": update_as_dict(update),
        }
    )
    logger.info("tracking news", extra={"status": update.status.value, **result})
    metrics.add_metric(name=f"CarrierNews_{result['result']}", unit=MetricUnit.Count, value=1)
    # 202 for a tracking number we do not know: accepted, logged, not retried by the carrier.
    status = 202 if result["result"] == "unknown_tracking" else 200
    return _answer(status, {"received": True, **result})


def _answer(status: int, body: dict[str, Any]) -> Response[str]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


gc.freeze()


@security_headers  # X-Content-Type-Options: nosniff on every answer (boomerang.api.headers)
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency.register_lambda_context(context)
    # The size, as every REST function checks it (the body is read only once its signature is verified).
    refused = guard_body(event, config.max_body_bytes, json_body=False)
    if refused is not None:
        return refused
    return app.resolve(event, context)
