"""POST /webhooks/stripe: Stripe's events about refunds and disputes.

Thin: the `Stripe-Signature` header is verified on the raw body (boomerang.payments.stripe_webhook:
the SDK's signature check, a timestamp within 300 s either way, a JSON object with an `evt_` id)
before anything is parsed or written; each event id is processed once (Powertools
idempotency keyed on it, so a redelivery gets the first answer); the library says what the event
means (boomerang.services.stripe_events). Answers: 200 processed or ignored, 400 bad signature or
body (nothing changed), 409 the same event is being processed right now (Stripe retries later).
"""

from __future__ import annotations

import base64
import gc
import json
import time
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
from aws_lambda_powertools.utilities.typing import LambdaContext

# Out of the garbage collector's way for the container's life (see functions/storefront_api).
gc.freeze()

from boomerang.api.errors import error_body
from boomerang.api.headers import security_headers
from boomerang.carriers.fixed import NO_LABELS
from boomerang.config import StripeWebhookConfig
from boomerang.orchestration.step_functions import StepFunctionsEngine
from boomerang.payments.factory import payments_from
from boomerang.payments.port import PaymentConfigurationError
from boomerang.payments.secrets import stripe_secret
from boomerang.payments.stripe_webhook import WebhookRefused, verified_event
from boomerang.services.policies import PolicySource
from boomerang.services.stripe_events import StripeEvents
from boomerang.services.workflow import ReturnWorkflow
from boomerang.store.records import Repository

config = StripeWebhookConfig.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics()
repo = Repository(config.table_name)
workflow = ReturnWorkflow(
    repo,
    PolicySource(repo),
    StepFunctionsEngine(config.state_machine_arn),
    NO_LABELS,  # the workflow's label step buys labels, never this function
    payments_from(config, config.table_name, repo.ddb),  # the webhook never pays; the port wants one
    lambda: datetime.now(UTC),
)
events = StripeEvents(workflow)
idempotency = IdempotencyConfig(event_key_jmespath="id", expires_after_seconds=7 * 24 * 3600)
idempotency_store = DynamoDBPersistenceLayer(table_name=config.idempotency_table_name, boto3_client=repo.ddb)


def _process(event: dict[str, Any]) -> dict[str, Any]:
    outcome = events.handle(event)
    logger.info("stripe event", extra={"event_id": outcome.event_id, "event_type": outcome.event_type,
                                       "result": outcome.result, "rmas": list(outcome.rmas)})  # fmt: skip
    metrics.add_metric(name="StripeEventProcessed", unit=MetricUnit.Count, value=1)
    return outcome.as_dict()


process_once = idempotent_function(
    data_keyword_argument="event", config=idempotency, persistence_store=idempotency_store
)(_process)

gc.freeze()


def _answer(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def _refuse(event: dict[str, Any], status: int, code: str, message: str) -> dict[str, Any]:
    request_id = (event.get("requestContext") or {}).get("requestId")
    logger.info("refused", extra={"code": code, "status": status})
    metrics.add_metric(name="StripeEventRefused", unit=MetricUnit.Count, value=1)
    return _answer(status, error_body(code, message, None, request_id))


@security_headers  # X-Content-Type-Options: nosniff on every answer (boomerang.api.headers)
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    raw = event.get("body") or ""
    payload = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode("utf-8")
    if len(payload) > config.max_body_bytes:
        return _refuse(event, 413, "payload_too_large", f"The body is over {config.max_body_bytes} bytes.")
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    signature = headers.get("stripe-signature")
    if not signature:
        return _refuse(
            event, 400, "invalid_signature", "Send the Stripe-Signature header Stripe signs events with."
        )
    try:
        secret = stripe_secret(config.stripe_secret_name)
    except PaymentConfigurationError:
        # Loud for on-call (an ERROR log is what the alarm counts); Stripe retries for three days.
        logger.exception("stripe secret unreadable")
        return _refuse(event, 500, "internal_error", "The webhook cannot verify events right now.")
    try:
        body = verified_event(
            payload, signature, secret.webhook_secret, int(time.time()), config.signature_tolerance_seconds
        )
    except WebhookRefused as refused:
        return _refuse(event, 400, refused.code, refused.message)
    logger.append_keys(stripe_event_id=body["id"], stripe_event_type=body.get("type"))
    idempotency.register_lambda_context(context)
    try:
        outcome = process_once(event=body)
    except IdempotencyAlreadyInProgressError:
        return _refuse(
            event, 409, "request_in_progress", "This event is being processed; Stripe retries it later."
        )
    return _answer(200, {"received": True, **outcome})
