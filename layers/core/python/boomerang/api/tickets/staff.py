"""Tickets, the staff side: the queues, a ticket with its context, and what staff do on it."""

# No `from __future__ import annotations`: see storefront.py.
from typing import Annotated

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.metrics import MetricUnit

from boomerang.api.schemas import utc
from boomerang.api.staff.access import Staff, StaffAccess
from boomerang.api.ticket_schemas import (
    AssignIn,
    CategoryIn,
    LinkIn,
    MergeIn,
    NoteIn,
    ReplyIn,
    StaffTicketOut,
    StatusIn,
    TicketQueueOut,
)
from boomerang.api.tickets import ERRORS, TICKET_ID
from boomerang.api.tickets.deps import deps
from boomerang.domain.tickets import Group, TicketStatus

router = Router()  # type: ignore[no-untyped-call]
tracer = Tracer()


def _reached(staff: StaffAccess, ticket_id: str) -> None:
    """Before a route acts on a ticket: 404 ticket_not_found for another shop's ticket, as for a
    missing one, and nothing is done to it (StaffAccess.reach)."""
    d = deps()
    ticket = d.service.ticket(ticket_id)
    staff.reach_ticket(ticket.shop)
    d.logger.append_keys(ticket_id=ticket.ticket_id, shop=ticket.shop)


def _staff_out(staff: StaffAccess, ticket_id: str) -> StaffTicketOut:
    """The staff view of a ticket, on the shops the member reaches (StaffAccess.reach)."""
    d = deps()
    view = d.service.staff_view(ticket_id)
    staff.reach_ticket(view.ticket.shop)
    d.logger.append_keys(ticket_id=view.ticket.ticket_id, shop=view.ticket.shop, rma=view.ticket.rma)
    return StaffTicketOut.of(view.ticket, utc(d.clock()), view.messages, view.returns, view.suggested_reply)


@router.get(
    "/admin/v1/tickets",
    summary="A queue: a shop's tickets of one group in one status, oldest first",
    responses=ERRORS,
    tags=["staff tickets"],
)
@tracer.capture_method
def list_tickets(
    staff: Staff,
    shop: Annotated[str, Query(min_length=1, max_length=128)],
    group: Annotated[
        Group, Query(description="support, finance, warehouse, admin or triage")
    ] = Group.SUPPORT,
    status: Annotated[TicketStatus, Query()] = TicketStatus.OPEN,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=4096)] = None,
) -> TicketQueueOut:
    d = deps()
    d.logger.append_keys(shop=staff.reach(shop))
    page = d.service.queue(shop, group, status, limit, cursor)
    now = utc(d.clock())
    return TicketQueueOut(items=[StaffTicketOut.of(t, now) for t in page.items], next_cursor=page.next_cursor)


@router.get(
    "/admin/v1/tickets/<ticket_id>",
    summary="A ticket with its messages, notes, linked return's status and a suggested reply",
    responses=ERRORS,
    tags=["staff tickets"],
)
@tracer.capture_method
def get_staff_ticket(staff: Staff, ticket_id: TICKET_ID) -> StaffTicketOut:
    return _staff_out(staff, ticket_id)


@router.post(
    "/admin/v1/tickets/<ticket_id>/assign",
    summary="Assign to someone and/or a group",
    responses=ERRORS,
    tags=["staff tickets"],
)
@tracer.capture_method
def assign_ticket(staff: Staff, ticket_id: TICKET_ID, body: AssignIn) -> StaffTicketOut:
    group = Group(body.group) if body.group else None
    _reached(staff, ticket_id)
    deps().service.assign(ticket_id, staff.actor, body.assignee, group)
    return _staff_out(staff, ticket_id)


@router.post(
    "/admin/v1/tickets/<ticket_id>/replies",
    summary="Reply to the customer",
    responses=ERRORS,
    tags=["staff tickets"],
)
@tracer.capture_method
def reply_ticket(staff: Staff, ticket_id: TICKET_ID, body: ReplyIn) -> StaffTicketOut:
    d = deps()
    status = TicketStatus(body.status) if body.status else None
    _reached(staff, ticket_id)
    d.service.reply(ticket_id, staff.actor, body.message, status)
    d.metrics.add_metric(name="TicketStaffReply", unit=MetricUnit.Count, value=1)
    return _staff_out(staff, ticket_id)


@router.post(
    "/admin/v1/tickets/<ticket_id>/notes",
    summary="An internal note (staff only)",
    responses=ERRORS,
    tags=["staff tickets"],
)
@tracer.capture_method
def note_ticket(staff: Staff, ticket_id: TICKET_ID, body: NoteIn) -> StaffTicketOut:
    _reached(staff, ticket_id)
    deps().service.note(ticket_id, staff.actor, body.message)
    return _staff_out(staff, ticket_id)


@router.post(
    "/admin/v1/tickets/<ticket_id>/status",
    summary="Change the status",
    responses=ERRORS,
    tags=["staff tickets"],
)
@tracer.capture_method
def status_ticket(staff: Staff, ticket_id: TICKET_ID, body: StatusIn) -> StaffTicketOut:
    _reached(staff, ticket_id)
    deps().service.set_status(ticket_id, staff.actor, body.status)
    return _staff_out(staff, ticket_id)


@router.post(
    "/admin/v1/tickets/<ticket_id>/category",
    summary="Set the category (triage); the ticket moves to support's queue",
    responses=ERRORS,
    tags=["staff tickets"],
)
@tracer.capture_method
def categorize_ticket(staff: Staff, ticket_id: TICKET_ID, body: CategoryIn) -> StaffTicketOut:
    _reached(staff, ticket_id)
    deps().service.categorize(ticket_id, staff.actor, body.category)
    return _staff_out(staff, ticket_id)


@router.post(
    "/admin/v1/tickets/<ticket_id>/merge",
    summary="Merge this duplicate into another ticket (it is closed, pointing there)",
    responses=ERRORS,
    tags=["staff tickets"],
)
@tracer.capture_method
def merge_ticket(staff: Staff, ticket_id: TICKET_ID, body: MergeIn) -> StaffTicketOut:
    _reached(staff, ticket_id)
    deps().service.merge(ticket_id, body.into, staff.actor)
    return _staff_out(staff, ticket_id)


@router.post(
    "/admin/v1/tickets/<ticket_id>/link",
    summary="Link to a return (and its order)",
    responses=ERRORS,
    tags=["staff tickets"],
)
@tracer.capture_method
def link_ticket(staff: Staff, ticket_id: TICKET_ID, body: LinkIn) -> StaffTicketOut:
    _reached(staff, ticket_id)
    deps().service.link_return(ticket_id, staff.actor, body.rma)
    return _staff_out(staff, ticket_id)
