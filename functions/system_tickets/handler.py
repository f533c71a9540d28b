"""System tickets: domain events from EventBridge (Source "boomerang", DetailType = the event's
type, Detail = its envelope) open a ticket for the right group, linked to the return.

`return.carrier_exception` -> support, `refund.failed` and `dispute.created` -> finance,
`webhook.dead_lettered` -> admin. One ticket per source event: a redelivered event (EventBridge
delivers at least once) finds the ticket it opened and opens no other.
"""

import gc
import warnings
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, ValidationError

gc.freeze()

from boomerang.classifier.model import default_classifier
from boomerang.config import SystemTicketsConfig
from boomerang.domain.models import Identifier
from boomerang.services.tickets import SYSTEM_TICKETS, TicketService
from boomerang.store.records import Repository
from boomerang.store.tickets import TicketRepository

config = SystemTicketsConfig.from_env()
logger = Logger()
tracer = Tracer()
metrics = Metrics()
warnings.filterwarnings("ignore", message="No application metrics to publish")
repo = Repository(config.table_name)
service = TicketService(
    TicketRepository(config.table_name, repo.ddb), repo, default_classifier, lambda: clock()
)


def clock() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel):
    """The outbox envelope: ids only in `data`."""

    model_config = ConfigDict(extra="ignore")
    id: str = Field(min_length=1, max_length=256)
    type: str = Field(min_length=1, max_length=128)
    version: int = 1
    occurred_at: str
    shop: Identifier
    data: dict[str, Any] = Field(default_factory=dict)


class DomainEvent(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    source: str
    detail_type: str = Field(alias="detail-type")
    detail: Envelope


gc.freeze()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        parsed = DomainEvent.model_validate(event)
    except ValidationError as exc:
        # Never valid however often it is retried: counted and dropped, not retried into the DLQ.
        logger.error("not a domain event", extra={"errors": exc.errors(include_input=False)})
        metrics.add_metric(name="SystemTicketRejected", unit=MetricUnit.Count, value=1)
        return {"status": "rejected"}
    envelope = parsed.detail
    logger.append_keys(shop=envelope.shop, event_id=envelope.id, event_type=envelope.type)
    if parsed.source != "boomerang" or envelope.type not in SYSTEM_TICKETS:
        logger.info("no ticket for this event")
        return {"status": "ignored"}
    ticket, opened = service.open_system(envelope.model_dump())
    logger.append_keys(ticket_id=ticket.ticket_id, rma=ticket.rma, order_id=ticket.order_id)
    logger.info("system ticket opened" if opened else "system ticket already open for this event")
    if opened:
        metrics.add_metric(name="SystemTicketOpened", unit=MetricUnit.Count, value=1)
    return {"status": "opened" if opened else "duplicate", "ticket_id": ticket.ticket_id}
