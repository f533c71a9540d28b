"""Outbound webhook delivery: EventBridge rule -> SQS -> this function (docs/WEBHOOKS.md).

Two kinds of message on the one queue: an event from the bus, fanned out into one delivery
message per subscription that wants it; and a delivery, POSTed signed to the subscriber. A failed
delivery is retried by SQS after a visibility timeout growing with its receive count; after a day
it is parked as a dead letter (staff see and redrive it) with a `webhook.dead_lettered` event.
"""

import gc
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

gc.freeze()

from boomerang.aws import aws_client, bound_secrets
from boomerang.config import WebhookDeliveryConfig
from boomerang.domain.errors import NotFound
from boomerang.events.outbox import Envelope
from boomerang.outbound.delivery import (
    DeadLetters,
    Delivery,
    Sender,
    attempt,
    backoff,
    fan_out,
    http_post,
    message_body,
)
from boomerang.outbound.subscriptions import SubscriptionStore
from boomerang.services.side_channels import SideChannelFailures
from boomerang.store.records import Repository

config = WebhookDeliveryConfig.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
ddb = aws_client("dynamodb")
sqs = aws_client("sqs")
subscriptions = SubscriptionStore(config.table_name, ddb)
dead_letters = DeadLetters(config.table_name, ddb)
send: Sender = http_post  # tests and the local stack replace it
failures = SideChannelFailures(Repository(config.table_name, ddb), lambda: datetime.now(UTC))


def clock() -> datetime:
    return datetime.now(UTC)


def _secret(name: str) -> str:
    # Cached for 5 minutes: a rotated secret reaches deliveries within that.
    bound_secrets()  # bounded by boomerang.timeouts.AWS, before the first read
    return str(parameters.get_secret(name, max_age=300))


class DeliveryFailed(Exception):
    """The receiver did not take the delivery; SQS hands it back after the backoff."""


@tracer.capture_method
def handle(record: SQSRecord) -> None:
    body = json.loads(record.body)
    if "delivery" in body:
        _deliver(record, Delivery.model_validate(body["delivery"]))
    else:
        _fan_out(Envelope.model_validate(body["detail"]))


def _fan_out(envelope: Envelope) -> None:
    deliveries = fan_out(envelope, subscriptions.of_shop(envelope.shop), clock())
    for start in range(0, len(deliveries), 10):
        chunk = deliveries[start : start + 10]
        got = sqs.send_message_batch(
            QueueUrl=config.queue_url,
            Entries=[{"Id": str(n), "MessageBody": message_body(d)} for n, d in enumerate(chunk)],
        )
        if got.get("Failed"):
            # The whole event is retried; receivers deduplicate on Boomerang-Event-Id.
            raise DeliveryFailed(f"could not queue {len(got['Failed'])} deliveries")
    if deliveries:
        logger.info(
            "event fanned out",
            extra={"type": envelope.type, "id": envelope.id, "deliveries": len(deliveries)},
        )


def _deliver(record: SQSRecord, delivery: Delivery) -> None:
    logger.append_keys(shop=delivery.shop, subscription_id=delivery.subscription_id)
    try:
        subscription = subscriptions.get(delivery.shop, delivery.subscription_id)
    except NotFound:
        logger.info("subscription deleted: delivery dropped", extra={"delivery_id": delivery.delivery_id})
        return
    error = attempt(delivery, subscription, _secret(subscription.secret_name), send, config.timeout_seconds)
    if error is None:
        metrics.add_metric(name="WebhookDelivered", unit=MetricUnit.Count, value=1)
        return
    attempts = int(record.attributes.approximate_receive_count)
    wait = backoff(attempts)
    now = clock()
    if now + timedelta(seconds=wait) - delivery.first_attempt_at > timedelta(
        seconds=config.give_up_after_seconds
    ):
        if dead_letters.park(delivery, error, now):
            logger.warning(
                "delivery dead-lettered", extra={"delivery_id": delivery.delivery_id, "error": error}
            )
            metrics.add_metric(name="WebhookDeadLettered", unit=MetricUnit.Count, value=1)
            failures.note(
                delivery.event.data.get("rma"),
                "Webhook",
                delivery.event.type,
                delivery.event.id,
                f"subscription {delivery.subscription_id}: {error}; parked for a redrive",
            )
        return  # parked: the message is done
    sqs.change_message_visibility(
        QueueUrl=config.queue_url, ReceiptHandle=record.receipt_handle, VisibilityTimeout=wait
    )
    metrics.add_metric(name="WebhookRetried", unit=MetricUnit.Count, value=1)
    raise DeliveryFailed(f"{delivery.delivery_id}: {error}; attempt {attempts}, next in {wait} s")


gc.freeze()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event,
        record_handler=handle,
        processor=processor,
        context=context,
    )
