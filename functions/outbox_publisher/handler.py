"""Outbox publisher: the table's stream -> the EventBridge bus, one event per outbox item.

At least once, in order per return: the stream orders records per partition key (OUTBOX#<rma>);
a record that fails is reported (partial batch response) and so is every later record of the same
return in the batch, so Lambda retries from the first of them and nothing overtakes it. The event
source mapping bisects failing batches and sends records that keep failing to the on-failure
destination (a queue), from which `python -m scripts.redrive_outbox` publishes them again.
"""

import gc
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

gc.freeze()

from boomerang.aws import aws_client
from boomerang.config import OutboxPublisherConfig
from boomerang.events.outbox import Envelope, envelope_of, publish
from boomerang.orchestration.step_functions import StepFunctionsEngine

config = OutboxPublisherConfig.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
events_client = aws_client("events")
engine = StepFunctionsEngine(config.state_machine_arn) if config.state_machine_arn else None

# Partition keys with a failed record in the current batch: their later records wait for it.
_blocked: set[str] = set()


class HeldBack(Exception):
    """An earlier record of the same return failed in this batch; this one must not overtake it."""


def _raw_new_image(record: DynamoDBRecord) -> dict[str, Any]:
    return dict((record.raw_event.get("dynamodb") or {}).get("NewImage") or {})


@tracer.capture_method
def publish_record(record: DynamoDBRecord) -> None:
    if record.event_name is None or record.event_name.name != "INSERT":
        return  # outbox items are only ever inserted; TTL removals are not news
    image = _raw_new_image(record)
    partition = str((image.get("pk") or {}).get("S", ""))
    if partition in _blocked:
        raise HeldBack(partition)
    try:
        envelope = envelope_of(image)
        if envelope is None:
            return
        publish(events_client, config.event_bus_name, [envelope])
    except Exception:
        _blocked.add(partition)
        raise
    logger.info(
        "event published", extra={"rma": envelope.data.get("rma"), "type": envelope.type, "id": envelope.id}
    )
    metrics.add_metric(name="EventsPublished", unit=MetricUnit.Count, value=1)
    _after_publish(envelope)


def _after_publish(envelope: Envelope) -> None:
    if engine is None or envelope.type != "return.requested":
        return
    try:
        # Named by the RMA: when the storefront's own start worked, this one is refused and ignored.
        engine.start(str(envelope.data["rma"]))
    except Exception:
        # Published is published: the start is best effort here, its failure counted for on-call.
        logger.exception("workflow start failed", extra={"rma": envelope.data.get("rma")})
        metrics.add_metric(name="WorkflowStartFailed", unit=MetricUnit.Count, value=1)


gc.freeze()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    _blocked.clear()
    return process_partial_response(
        event=event,
        record_handler=publish_record,
        processor=processor,
        context=context,
    )
