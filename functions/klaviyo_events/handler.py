"""Klaviyo: return and refund events -> Klaviyo events on the customer's profile, for the shops
that switched it on. EventBridge rule (the forwarded types) -> SQS -> this function; a failed call is
retried by SQS (partial batch response), Klaviyo deduplicates on the event id."""

import gc
import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

gc.freeze()

from boomerang.aws import bound_secrets
from boomerang.config import KlaviyoConfig
from boomerang.crm.klaviyo import EventsApi, KlaviyoForwarder, KlaviyoSettings, SettingsStore
from boomerang.events.outbox import Envelope
from boomerang.services.side_channels import SideChannelFailures
from boomerang.store.records import Repository
from boomerang.timeouts import KLAVIYO

config = KlaviyoConfig.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
repo = Repository(config.table_name)
settings_store = SettingsStore(config.table_name, repo.ddb)


def _settings(shop_id: str) -> KlaviyoSettings | None:
    # Read per event: switching a shop off takes effect at once.
    return settings_store.get(shop_id)


def _email(shop_id: str, order_id: str) -> str:
    return repo.get_order(shop_id, order_id).customer_email


@cache
def _api(secret_name: str, api_key: str) -> EventsApi:
    # Imported here: only this function loads the SDK (and its 30 MB of generated models).
    from klaviyo_api import KlaviyoAPI

    client = KlaviyoAPI(api_key, max_delay=config.max_delay_seconds, max_retries=config.max_retries,
                        test_host=config.api_host)  # fmt: skip
    return TimedEvents(client.Events)


class TimedEvents:
    """Klaviyo's Events API with a timeout on each request (the SDK sets none): connect 3 s, read the
    budget's (boomerang.timeouts.KLAVIYO), so the function outlasts the SDK's retries."""

    def __init__(self, events: Any) -> None:
        self.events = events

    def create_event(self, body: dict[str, Any]) -> Any:
        return self.events.create_event(body, _request_timeout=(3.0, KLAVIYO.timeout_seconds))


def _api_for(settings: KlaviyoSettings) -> EventsApi:
    bound_secrets()  # bounded by boomerang.timeouts.AWS, before the first read
    api_key = str(parameters.get_secret(settings.secret_name, max_age=300))
    return _api(settings.secret_name, api_key)


forwarder = KlaviyoForwarder(_settings, _email, _api_for)
failures = SideChannelFailures(repo, lambda: datetime.now(UTC))


@tracer.capture_method
def handle(record: SQSRecord) -> None:
    envelope = Envelope.model_validate(json.loads(record.body)["detail"])
    try:
        outcome = forwarder.forward(envelope)
    except Exception as exc:
        # Back to the queue (retried for about a day, then its dead-letter queue, alarmed); the
        # return's timeline says so once.
        failures.note(envelope.data.get("rma"), "Klaviyo", envelope.type, envelope.id,
                      f"{type(exc).__name__}; retried from its queue")  # fmt: skip
        raise
    where = {"shop": envelope.shop, "rma": envelope.data.get("rma"), "type": envelope.type}
    logger.info("klaviyo", extra={**where, "outcome": outcome})
    if outcome == "sent":
        metrics.add_metric(name="KlaviyoEventSent", unit=MetricUnit.Count, value=1)


gc.freeze()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=handle, processor=processor, context=context)
