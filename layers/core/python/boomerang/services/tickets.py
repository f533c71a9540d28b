"""Ticket logic: opening (classified and linked), the conversation, the staff's work on the queues,
system tickets from domain events, what the agent sees, and GDPR export/erasure.

Knows nothing of Lambda events. Who may reach a ticket: a storefront API key reaches its shop's
tickets; a customer token reaches only its own customer's tickets of its shop (anything else
answers as a missing ticket, 404).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from boomerang.auth.principal import Principal
from boomerang.classifier.model import LANGUAGES, UNKNOWN_LANGUAGE, TicketClassifier
from boomerang.domain import rma as rma_numbers
from boomerang.domain.errors import Conflict, NotFound, Unprocessable
from boomerang.domain.models import Return
from boomerang.domain.ticket_replies import base_language, suggested_refund_reply
from boomerang.domain.tickets import (
    MAX_MESSAGES,
    AuthorKind,
    Channel,
    Contact,
    Group,
    Message,
    Priority,
    Sla,
    Ticket,
    TicketStatus,
    new_ticket_id,
    priority_for,
    ticket_transition,
)
from boomerang.services.customers import customer_ref as customer_ref_of
from boomerang.services.retry import retry_stale
from boomerang.services.shipments.answers import TRACKING_CATEGORY, TrackingAnswers
from boomerang.store.records import Event, Repository
from boomerang.store.tickets import (
    DuplicateSource,
    TicketChange,
    TicketPage,
    TicketRepository,
)

# A customer's ticket lands in support's queue; finance and admin get system tickets.
CUSTOMER_GROUP = Group.SUPPORT
SUBJECT_CHARS = 80


@dataclass(frozen=True)
class SystemTicketKind:
    group: Group
    category: str
    priority: Priority
    subject: str  # formatted with the event's data (ids only)


# Domain events (Source "boomerang", DetailType = type) that open a ticket, and for whom.
SYSTEM_TICKETS: dict[str, SystemTicketKind] = {
    "return.carrier_exception": SystemTicketKind(
        Group.SUPPORT, "tracking", Priority.HIGH, "Carrier exception on return {rma}: {status}"
    ),
    "label.not_issued": SystemTicketKind(
        Group.ADMIN, "other", Priority.HIGH, "No label for return {rma} (hub {hub_id}): {reason}"
    ),
    "label.refund_failed": SystemTicketKind(
        Group.FINANCE,
        "other",
        Priority.NORMAL,
        "Unused label of return {rma} not refunded: {carrier} {tracking_number}",
    ),
    "refund.failed": SystemTicketKind(
        Group.FINANCE, "refund_status", Priority.HIGH, "Refund failed for return {rma}: {failure_reason}"
    ),
    "dispute.created": SystemTicketKind(
        Group.FINANCE, "other", Priority.URGENT, "Payment dispute {dispute} on order {order_id}"
    ),
    "webhook.dead_lettered": SystemTicketKind(
        Group.ADMIN, "other", Priority.HIGH, "Outbound webhook {event_type} dead-lettered ({subscription_id})"
    ),
    "shipment.exception": SystemTicketKind(
        Group.SUPPORT,
        "tracking",
        Priority.HIGH,
        "Parcel of order {order_id}: {exception} ({carrier} {tracking_number})",
    ),
}


class UnknownSystemEvent(Unprocessable):
    code = "unknown_event_type"


@dataclass(frozen=True)
class NewTicket:
    body: str
    channel: Channel
    subject: str | None = None
    order_id: str | None = None
    rma: str | None = None
    contact: Contact | None = None
    language: str | None = None  # as the customer declared it (BCP 47); else detected


@dataclass(frozen=True)
class StaffView:
    ticket: Ticket
    messages: list[Message]
    returns: list[Return]  # the linked return, or the order's returns
    suggested_reply: tuple[str, str] | None  # (language, text)


class _Fields(dict[str, Any]):
    """str.format_map that leaves a missing field visible instead of failing."""

    def __missing__(self, key: str) -> str:
        return f"<{key}?>"


class TicketService:
    def __init__(
        self,
        tickets: TicketRepository,
        returns: Repository,
        classifier: Callable[[], TicketClassifier],
        clock: Callable[[], datetime],
        tracking: Callable[[], TrackingAnswers] | None = None,
    ):
        self.tickets = tickets
        self.returns = returns
        self.classifier = classifier
        self.clock = clock
        self.tracking = tracking  # "where is my order" answers (made on the first such ticket)

    # --- opening ---------------------------------------------------------------------------------

    def open(self, caller: Principal, new: NewTicket) -> Ticket:
        now = self.clock()
        order_id, ret = self._link_for(caller, new.order_id, new.rma)
        customer = caller.customer_ref
        if customer is None and order_id is not None:
            customer = customer_ref_of(
                caller.shop, self.returns.get_order(caller.shop, order_id).customer_email
            )
        if customer is None and new.contact and new.contact.email:
            customer = customer_ref_of(caller.shop, new.contact.email)

        result = self.classifier().classify(f"{new.subject or ''}\n{new.body}")
        language = new.language or result.language
        needs_triage = result.needs_triage or base_language(language) not in LANGUAGES
        category = result.category
        priority = priority_for(category)
        ticket = Ticket(
            ticket_id=new_ticket_id(),
            shop=caller.shop,
            channel=new.channel,
            customer_ref=customer,
            contact=new.contact,
            subject=(new.subject or _subject_from(new.body)),
            language=language,
            category=category,
            category_confidence=result.confidence,
            priority=priority,
            group=Group.TRIAGE if needs_triage else CUSTOMER_GROUP,
            order_id=order_id,
            rma=ret.rma if ret else None,
            tags=["triage"] if needs_triage else [],
            sla=Sla.starting(now, priority),
            message_count=1,
            created_at=now,
            updated_at=now,
        )
        first = Message(number=1, author_kind=AuthorKind.CUSTOMER, author="customer", body=new.body, at=now)
        self.tickets.save(_change(ticket, None, [first], [_opened(ticket, detected=result.language)]))
        if ticket.category == TRACKING_CATEGORY and ticket.order_id and self.tracking is not None:
            return self._where_is_my_order(ticket)
        return ticket

    def _where_is_my_order(self, ticket: Ticket) -> Ticket:
        """Link the order's parcels; answer at once where the shop allows it and all is on time,
        else leave it to a person (late or in exception: tagged, high priority)."""
        assert self.tracking is not None and ticket.order_id is not None
        found = self.tracking().answer(ticket.shop, ticket.order_id, ticket.language, self.clock())
        if found is None or not found.parcel_ids:  # nothing shipped yet: a person answers
            return ticket
        if found.auto_answer:
            return self._append(
                ticket,
                self.clock(),
                AuthorKind.SYSTEM,
                "boomerang:tracking",
                found.reply.text,
                False,
                status=ticket_transition(ticket.status, TicketStatus.PENDING_CUSTOMER),
                parcels=found.parcel_ids,
                tags=sorted({*ticket.tags, "auto_answered"}),
            )
        tags = sorted({*ticket.tags, *([found.problem] if found.problem else [])})[:20]
        priority = (
            Priority.HIGH if found.problem and ticket.priority is not Priority.URGENT else ticket.priority
        )
        changed = ticket.next_version(self.clock(), parcels=found.parcel_ids, tags=tags, priority=priority)
        event = Event(
            "ticket.linked", {"ticket_id": ticket.ticket_id, "order_id": ticket.order_id, "by": "system"}
        )
        self.tickets.save(_change(changed, ticket.version, [], [event]))
        return changed

    def _link_for(
        self, caller: Principal, order_id: str | None, rma: str | None
    ) -> tuple[str | None, Return | None]:
        """The order and return a ticket may be linked to, checked against the caller."""
        if caller.is_customer:
            if order_id is not None and order_id != caller.order_id:
                raise NotFound("No such order.", code="order_not_found")
            order_id = caller.order_id
        ret = None
        if rma is not None:
            ret = self._return(caller.shop, rma)
            if order_id is not None and ret.order_id != order_id:
                raise NotFound("No such return.", code="return_not_found")
            order_id = ret.order_id
        elif order_id is not None and not caller.is_customer:
            self.returns.get_order(caller.shop, order_id)  # 404 order_not_found if not the shop's
        return order_id, ret

    def _return(self, shop: str, rma: str) -> Return:
        try:
            canonical = rma_numbers.normalize(rma)
        except rma_numbers.InvalidRma as exc:
            raise NotFound(str(exc), code="invalid_rma") from exc
        ret, _ = self.returns.get_return(canonical)
        if ret.shop != shop:
            raise NotFound("No such return.", code="return_not_found")
        return ret

    # --- the customer's side ---------------------------------------------------------------------

    def view(self, caller: Principal, ticket_id: str) -> tuple[Ticket, list[Message]]:
        """The ticket as its customer (or the shop's storefront) sees it: no internal notes."""
        ticket, messages = self.tickets.get(ticket_id)
        visible = ticket.shop == caller.shop and ticket.channel is not Channel.SYSTEM
        if caller.is_customer and ticket.customer_ref != caller.customer_ref:
            visible = False
        if not visible:
            raise NotFound("No such ticket.", code="ticket_not_found")
        return ticket, [m for m in messages if not m.internal]

    @retry_stale
    def add_customer_message(
        self, caller: Principal, ticket_id: str, body: str
    ) -> tuple[Ticket, list[Message]]:
        ticket, _ = self.view(caller, ticket_id)
        if ticket.status is TicketStatus.CLOSED:
            raise Conflict(
                "The ticket is closed; open a new one.",
                code="ticket_closed",
                details=[{"ticket_id": ticket.ticket_id, "status": ticket.status.value}],
            )
        now = self.clock()
        # The customer wrote: the ball is back with the merchant.
        status = ticket_transition(ticket.status, TicketStatus.OPEN)
        self._append(ticket, now, AuthorKind.CUSTOMER, "customer", body, False, status=status)
        return self.view(caller, ticket_id)

    # --- the staff's side ------------------------------------------------------------------------

    def ticket(self, ticket_id: str) -> Ticket:
        """The ticket alone (404 ticket_not_found), e.g. to learn its shop before acting on it."""
        return self.tickets.get(ticket_id)[0]

    def staff_view(self, ticket_id: str) -> StaffView:
        ticket, messages = self.tickets.get(ticket_id)
        returns: list[Return] = []
        if ticket.rma:
            returns = [self.returns.get_return(ticket.rma)[0]]
        elif ticket.order_id:
            returns = self.returns.returns_of_order(ticket.shop, ticket.order_id, limit=10).items
        suggestion = None
        if ticket.category == "refund_status" and returns and not ticket.anonymized:
            latest = max(returns, key=lambda r: r.created_at)
            suggestion = suggested_refund_reply(latest, ticket.language, latest.locale)
        elif (
            ticket.category == TRACKING_CATEGORY
            and ticket.order_id
            and self.tracking
            and not ticket.anonymized
        ):
            found = self.tracking().answer(ticket.shop, ticket.order_id, ticket.language, self.clock())
            suggestion = (found.reply.language, found.reply.text) if found else None
        return StaffView(ticket, messages, returns, suggestion)

    @retry_stale
    def assign(self, ticket_id: str, actor: str, assignee: str | None, group: Group | None) -> Ticket:
        ticket, _ = self.tickets.get(ticket_id)
        self._writable(ticket)
        now = self.clock()
        changed = ticket.next_version(now, assignee=assignee, group=group or ticket.group)
        event = Event(
            "ticket.assigned",
            {"ticket_id": ticket.ticket_id, "assignee": assignee, "group": changed.group.value, "by": actor},
        )
        self.tickets.save(_change(changed, ticket.version, [], [event]))
        return changed

    @retry_stale
    def reply(self, ticket_id: str, actor: str, body: str, status: TicketStatus | None) -> Ticket:
        """A staff reply the customer sees; by default the ticket then waits for the customer."""
        ticket, _ = self.tickets.get(ticket_id)
        self._writable(ticket)
        now = self.clock()
        target = ticket_transition(ticket.status, status or TicketStatus.PENDING_CUSTOMER)
        return self._append(ticket, now, AuthorKind.STAFF, actor, body, False, status=target)

    @retry_stale
    def note(self, ticket_id: str, actor: str, body: str) -> Ticket:
        ticket, _ = self.tickets.get(ticket_id)
        self._writable(ticket)
        return self._append(ticket, self.clock(), AuthorKind.STAFF, actor, body, True, status=ticket.status)

    @retry_stale
    def set_status(self, ticket_id: str, actor: str, status: TicketStatus) -> Ticket:
        ticket, _ = self.tickets.get(ticket_id)
        target = ticket_transition(ticket.status, status)
        now = self.clock()
        changed = ticket.next_version(
            now, status=target, solved_at=now if target is TicketStatus.SOLVED else ticket.solved_at
        )
        event = Event("ticket.updated", {"ticket_id": ticket.ticket_id, "status": target.value, "by": actor})
        self.tickets.save(_change(changed, ticket.version, [], [event]))
        return changed

    @retry_stale
    def categorize(self, ticket_id: str, actor: str, category: str) -> Ticket:
        """A person sets the category (the triage step): the ticket leaves triage for support."""
        ticket, _ = self.tickets.get(ticket_id)
        self._writable(ticket)
        priority = priority_for(category)
        changed = ticket.next_version(
            self.clock(),
            category=category,
            category_confidence=1.0,
            categorized_by=actor,
            priority=priority,
            sla=Sla.starting(ticket.created_at, priority),
            group=CUSTOMER_GROUP if ticket.group is Group.TRIAGE else ticket.group,
            tags=[t for t in ticket.tags if t != "triage"],
        )
        event = Event(
            "ticket.categorized",
            {"ticket_id": ticket.ticket_id, "category": category, "group": changed.group.value, "by": actor},
        )
        self.tickets.save(_change(changed, ticket.version, [], [event]))
        return changed

    @retry_stale
    def link_return(self, ticket_id: str, actor: str, rma: str) -> Ticket:
        ticket, _ = self.tickets.get(ticket_id)
        self._writable(ticket)
        ret = self._return(ticket.shop, rma)
        changed = ticket.next_version(self.clock(), rma=ret.rma, order_id=ret.order_id)
        event = Event(
            "ticket.linked",
            {"ticket_id": ticket.ticket_id, "rma": ret.rma, "order_id": ret.order_id, "by": actor},
        )
        self.tickets.save(_change(changed, ticket.version, [], [event]))
        return changed

    def merge(self, ticket_id: str, into: str, actor: str) -> Ticket:
        """Close a duplicate into another ticket of the same shop: the duplicate is closed and
        points at the survivor, which lists it and gains a note saying so."""
        if ticket_id == into:
            raise Conflict("A ticket cannot be merged into itself.", code="merge_conflict")
        duplicate, _ = self.tickets.get(ticket_id)
        survivor, _ = self.tickets.get(into)
        if survivor.shop != duplicate.shop:
            raise NotFound("No such ticket.", code="ticket_not_found")
        for ticket in (duplicate, survivor):
            self._writable(ticket)
        now = self.clock()
        closed = duplicate.next_version(
            now,
            status=ticket_transition(duplicate.status, TicketStatus.CLOSED),
            merged_into=survivor.ticket_id,
        )
        event = Event(
            "ticket.merged", {"ticket_id": duplicate.ticket_id, "into": survivor.ticket_id, "by": actor}
        )
        self.tickets.save(_change(closed, duplicate.version, [], [event]))
        self._merge_into(survivor.ticket_id, duplicate, actor)
        return closed

    @retry_stale
    def _merge_into(self, ticket_id: str, duplicate: Ticket, actor: str) -> None:
        survivor, _ = self.tickets.get(ticket_id)
        note = f"Merged duplicate ticket {duplicate.ticket_id} into this one."
        self._append(
            survivor,
            self.clock(),
            AuthorKind.SYSTEM,
            actor,
            note,
            True,
            status=survivor.status,
            merged_from=[*survivor.merged_from, duplicate.ticket_id],
            tags=sorted({*survivor.tags, *duplicate.tags}),
        )

    def queue(
        self, shop: str, group: Group, status: TicketStatus, limit: int, cursor: str | None
    ) -> TicketPage:
        return self.tickets.queue(shop, group.value, status.value, limit, cursor)

    # --- system tickets ----------------------------------------------------------------------------

    def open_system(self, envelope: Mapping[str, Any]) -> tuple[Ticket, bool]:
        """One ticket per source event (idempotent on the event id): (ticket, opened just now)."""
        kind = SYSTEM_TICKETS.get(str(envelope.get("type")))
        if kind is None:
            raise UnknownSystemEvent(f"No ticket is opened for events of type {envelope.get('type')!r}.")
        shop = str(envelope["shop"])
        event_id = str(envelope["id"])
        data: dict[str, Any] = dict(envelope.get("data") or {})
        existing = self.tickets.ticket_for_source(shop, event_id)
        if existing:
            return self.tickets.get(existing)[0], False
        rma = data.get("rma")
        ret = None
        if isinstance(rma, str) and rma:
            try:
                ret = self._return(shop, rma)
            except NotFound:
                ret = None  # the ticket still opens; the agent links it by hand
        now = self.clock()
        customer = ret.customer_ref if ret else None
        if customer is None and isinstance(data.get("order_id"), str):
            try:  # an order's event (an outbound parcel's exception): its customer
                customer = customer_ref_of(
                    shop, self.returns.get_order(shop, data["order_id"]).customer_email
                )
            except NotFound:
                customer = None
        ticket = Ticket(
            ticket_id=new_ticket_id(),
            shop=shop,
            channel=Channel.SYSTEM,
            customer_ref=customer,
            subject=kind.subject.format_map(_Fields(data))[:200],
            language="en",
            category=kind.category,
            category_confidence=1.0,
            categorized_by="system",
            priority=kind.priority,
            group=kind.group,
            order_id=ret.order_id if ret else (str(data["order_id"]) if data.get("order_id") else None),
            rma=ret.rma if ret else None,
            tags=["system", str(envelope["type"])],
            sla=Sla.starting(now, kind.priority),
            message_count=1,
            source_event_id=event_id,
            created_at=now,
            updated_at=now,
        )
        facts = ", ".join(f"{k}={v}" for k, v in sorted(data.items()) if v is not None)
        body = f"Opened for event {envelope['type']} ({event_id}). {facts}"[:5000]
        first = Message(
            number=1, author_kind=AuthorKind.SYSTEM, author="system", body=body, internal=True, at=now
        )
        try:
            self.tickets.save(
                _change(ticket, None, [first], [_opened(ticket, detected=None)], source_event_id=event_id)
            )
        except DuplicateSource as exc:  # a concurrent delivery of the same event won
            if exc.ticket_id is None:
                raise
            return self.tickets.get(exc.ticket_id)[0], False
        return ticket, True

    # --- GDPR ----------------------------------------------------------------------------------------

    def customer_tickets(self, shop: str, customer_ref: str) -> list[tuple[Ticket, list[Message]]]:
        """Everything Boomerang keeps in tickets about one customer (for an export)."""
        return [self.tickets.get(t.ticket_id) for t in self.tickets.all_of_customer(shop, customer_ref)]

    def anonymize_customer(self, shop: str, customer_ref: str) -> list[str]:
        """Replace the customer's personal data in their tickets; the tickets stay (see
        TicketRepository.anonymize_customer). Safe to run again. Returns the ticket ids touched."""
        return self.tickets.anonymize_customer(shop, customer_ref, self.clock())

    # --- shared --------------------------------------------------------------------------------------

    @staticmethod
    def _writable(ticket: Ticket) -> None:
        if ticket.status is TicketStatus.CLOSED:
            raise Conflict(
                "The ticket is closed.",
                code="ticket_closed",
                details=[{"ticket_id": ticket.ticket_id, "status": ticket.status.value}],
            )

    def _append(
        self,
        ticket: Ticket,
        now: datetime,
        kind: AuthorKind,
        author: str,
        body: str,
        internal: bool,
        *,
        status: TicketStatus,
        **changes: Any,
    ) -> Ticket:
        if ticket.message_count >= MAX_MESSAGES:
            raise Conflict(
                f"The ticket has {MAX_MESSAGES} messages, its limit; open a new ticket.", code="ticket_full"
            )
        number = ticket.message_count + 1
        message = Message(
            number=number, author_kind=kind, author=author, body=body, internal=internal, at=now
        )
        first_response = ticket.first_responded_at
        if kind is AuthorKind.STAFF and not internal and first_response is None:
            first_response = now
        changed = ticket.next_version(
            now,
            message_count=number,
            status=status,
            first_responded_at=first_response,
            solved_at=now if status is TicketStatus.SOLVED else ticket.solved_at,
            **changes,
        )
        events = []
        if not internal:
            # Ids only: the customer's notification reads the message itself.
            events.append(
                Event(
                    "ticket.replied",
                    {"ticket_id": ticket.ticket_id, "message": number, "author_kind": kind.value},
                )
            )
        if status is not ticket.status:
            events.append(Event("ticket.updated", {"ticket_id": ticket.ticket_id, "status": status.value}))
        self.tickets.save(_change(changed, ticket.version, [message], events))
        return changed


def _subject_from(body: str) -> str:
    line = " ".join(body.split())
    return line if len(line) <= SUBJECT_CHARS else line[: SUBJECT_CHARS - 1] + "…"


def _opened(ticket: Ticket, detected: str | None) -> Event:
    return Event(
        "ticket.opened",
        {
            "ticket_id": ticket.ticket_id,
            "channel": ticket.channel.value,
            "category": ticket.category,
            "group": ticket.group.value,
            "priority": ticket.priority.value,
            "language": ticket.language if detected is None else (detected or UNKNOWN_LANGUAGE),
            "order_id": ticket.order_id,
            "rma": ticket.rma,
            "source_event_id": ticket.source_event_id,
        },
    )


def _change(
    ticket: Ticket,
    expected: int | None,
    messages: list[Message],
    events: list[Event],
    source_event_id: str | None = None,
) -> TicketChange:
    return TicketChange(ticket, expected, messages, events, source_event_id)
