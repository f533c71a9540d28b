"""Tickets, the storefront side: a customer or the storefront opens a ticket, reads it, writes on it."""

# No `from __future__ import annotations` in a router: Powertools reads the route signatures' real
# types (through the tracer's wrappers) to validate requests and build the OpenAPI document.
from typing import Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.metrics import MetricUnit

from boomerang.api.idempotency import idempotent_call, require_idempotency_key
from boomerang.api.ticket_schemas import MessageIn, TicketIn, TicketOut
from boomerang.api.tickets import ERRORS, IDEMPOTENCY_KEY, TICKET_ID
from boomerang.api.tickets.deps import deps
from boomerang.auth.principal import Principal
from boomerang.domain.tickets import Channel, Contact, Group
from boomerang.services.tickets import NewTicket

router = Router()  # type: ignore[no-untyped-call]
tracer = Tracer()


def _caller() -> Principal:
    d = deps()
    # A customer token is checked against its revocation (the ticket routes read no customer record).
    caller = d.auth.live_principal(router.current_event.headers, d.clock())
    d.logger.append_keys(shop=caller.shop)
    return caller


def _customer_id(caller: Principal) -> str:
    # The idempotency key's scope: one shop's storefront, or one customer of it.
    return f"{caller.shop}:{caller.customer_ref or 'storefront'}"


def _open_once(call: dict[str, Any]) -> dict[str, Any]:
    d = deps()
    caller = _caller()
    body = TicketIn.model_validate(call["request"])
    channel = (
        Channel(body.channel) if body.channel else (Channel.PORTAL if caller.is_customer else Channel.API)
    )
    contact = Contact(name=body.contact.name, email=body.contact.email) if body.contact else None
    ticket = d.service.open(
        caller,
        NewTicket(
            body=body.message,
            channel=channel,
            subject=body.subject,
            order_id=body.order_id,
            rma=body.rma,
            contact=contact,
            language=body.language,
        ),
    )
    d.logger.append_keys(ticket_id=ticket.ticket_id, order_id=ticket.order_id, rma=ticket.rma)
    d.logger.info(
        "ticket opened",
        extra={"category": ticket.category, "confidence": ticket.category_confidence, "group": ticket.group},
    )
    d.metrics.add_metric(name="TicketOpened", unit=MetricUnit.Count, value=1)
    if ticket.group is Group.TRIAGE:
        d.metrics.add_metric(name="TicketTriaged", unit=MetricUnit.Count, value=1)
    opened, messages = d.service.view(caller, ticket.ticket_id)
    return TicketOut.of(opened, messages).model_dump(mode="json")


def _message_once(call: dict[str, Any]) -> dict[str, Any]:
    d = deps()
    caller = _caller()
    body = MessageIn.model_validate(call["request"])
    ticket, messages = d.service.add_customer_message(caller, call["ticket_id"], body.message)
    d.logger.append_keys(ticket_id=ticket.ticket_id)
    d.metrics.add_metric(name="TicketCustomerMessage", unit=MetricUnit.Count, value=1)
    return TicketOut.of(ticket, messages).model_dump(mode="json")


@router.post("/v1/tickets", summary="Open a support ticket", responses=ERRORS, tags=["tickets"])
@tracer.capture_method
def post_ticket(body: TicketIn, idempotency_key: IDEMPOTENCY_KEY = None) -> Response[TicketOut]:
    key = require_idempotency_key(idempotency_key)
    d = deps()
    caller = _caller()
    open_once = idempotent_call(_open_once, d.idempotency_scope, d.idempotency, d.idempotency_store)
    result = open_once(call={"key": f"{_customer_id(caller)}:{key}", "request": body.model_dump(mode="json")})
    return Response(
        status_code=201, content_type=content_types.APPLICATION_JSON, body=TicketOut.model_validate(result)
    )


@router.get(
    "/v1/tickets/<ticket_id>", summary="A ticket and its conversation", responses=ERRORS, tags=["tickets"]
)
@tracer.capture_method
def get_ticket(ticket_id: TICKET_ID) -> TicketOut:
    d = deps()
    ticket, messages = d.service.view(_caller(), ticket_id)
    d.logger.append_keys(ticket_id=ticket.ticket_id)
    return TicketOut.of(ticket, messages)


@router.post(
    "/v1/tickets/<ticket_id>/messages",
    summary="Write on a ticket (reopens it if it was solved or waiting for the customer)",
    responses=ERRORS,
    tags=["tickets"],
)
@tracer.capture_method
def post_message(
    ticket_id: TICKET_ID, body: MessageIn, idempotency_key: IDEMPOTENCY_KEY = None
) -> Response[TicketOut]:
    key = require_idempotency_key(idempotency_key)
    d = deps()
    caller = _caller()
    message_once = idempotent_call(_message_once, d.idempotency_scope, d.idempotency, d.idempotency_store)
    result = message_once(
        call={
            "key": f"{_customer_id(caller)}:{ticket_id}:{key}",
            "ticket_id": ticket_id,
            "request": body.model_dump(mode="json"),
        }
    )
    return Response(
        status_code=201, content_type=content_types.APPLICATION_JSON, body=TicketOut.model_validate(result)
    )
