"""Tickets, the storefront side: a customer or the storefront opens a ticket, reads it, writes on it."""

# No `from __future__ import annotations` in a router: Powertools reads the route signatures' real
# types (through the tracer's wrappers) to validate requests and build the OpenAPI document.
from typing import Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.metrics import MetricUnit

from boomerang.api.idempotency import IdempotencyKey, Made, answer_once
from boomerang.api.ticket_schemas import MessageIn, TicketIn, TicketOut
from boomerang.api.tickets import ERRORS, TICKET_ID
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


def _view(caller: Principal, stored: dict[str, Any]) -> TicketOut:
    """A replay's answer: the ticket as the caller may see it now (404 if they may not)."""
    return TicketOut.of(*deps().service.view(caller, stored["ticket_id"]))


def _reach(caller: Principal, ticket_id: str) -> None:
    deps().service.view(caller, ticket_id)  # 404 for a ticket that is not the caller's


def _open_once(request: dict[str, Any]) -> Made[TicketOut]:
    d = deps()
    caller = _caller()
    body = TicketIn.model_validate(request)
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
    return Made({"ticket_id": ticket.ticket_id}, _view(caller, {"ticket_id": ticket.ticket_id}))


def _message_once(request: dict[str, Any]) -> Made[TicketOut]:
    d = deps()
    caller = _caller()
    body = MessageIn.model_validate(request["message"])
    ticket, messages = d.service.add_customer_message(caller, request["ticket_id"], body.message)
    d.logger.append_keys(ticket_id=ticket.ticket_id)
    d.metrics.add_metric(name="TicketCustomerMessage", unit=MetricUnit.Count, value=1)
    return Made({"ticket_id": ticket.ticket_id}, TicketOut.of(ticket, messages))


@router.post("/v1/tickets", summary="Open a support ticket", responses=ERRORS, tags=["tickets"])
@tracer.capture_method
def post_ticket(body: TicketIn, idempotency_key: IdempotencyKey) -> Response[TicketOut]:
    d = deps()
    caller = _caller()
    answer = answer_once(
        d,
        caller,
        idempotency_key,
        body.model_dump(mode="json"),
        # What a new ticket may link to, the service checks when it opens one; a replay is rebuilt
        # through view(), which answers 404 for a ticket the caller may not see.
        reach=lambda: None,
        operation=_open_once,
        replay=lambda stored: _view(caller, stored),
    )
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=answer)


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
    ticket_id: TICKET_ID, body: MessageIn, idempotency_key: IdempotencyKey
) -> Response[TicketOut]:
    d = deps()
    caller = _caller()
    answer = answer_once(
        d,
        caller,
        idempotency_key,
        {"ticket_id": ticket_id, "message": body.model_dump(mode="json")},
        reach=lambda: _reach(caller, ticket_id),
        operation=_message_once,
        replay=lambda stored: _view(caller, stored),
    )
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=answer)
