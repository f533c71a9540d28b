"""Support tickets: the record, its status table, priorities and their SLA due times.

Plain Python and pydantic, no AWS. Messages are separate records (store: one item each), so a
long conversation never meets DynamoDB's item size limit.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from boomerang.domain.errors import Conflict
from boomerang.domain.models import UtcDatetime

TICKET_ID_PATTERN = r"^TK-[0-9A-F]{12}$"
TicketId = Annotated[str, StringConstraints(pattern=TICKET_ID_PATTERN)]
MAX_MESSAGE_CHARS = 5000
MAX_MESSAGES = 500
TRIAGE = "triage"  # the queue of tickets whose category a person must set
# What a ticket is about: set by the classifier (boomerang.classifier), or by a person in triage.
CATEGORIES: tuple[str, ...] = (
    "return_request",
    "refund_status",
    "exchange_request",
    "damaged_item",
    "wrong_item",
    "missing_item",
    "size_issue",
    "tracking",
    "cancel_order",
    "other",
)


class Channel(StrEnum):
    PORTAL = "portal"
    EMAIL = "email"
    API = "api"
    SYSTEM = "system"


class TicketStatus(StrEnum):
    OPEN = "open"
    PENDING_CUSTOMER = "pending_customer"
    PENDING_INTERNAL = "pending_internal"
    SOLVED = "solved"
    CLOSED = "closed"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Group(StrEnum):
    """The staff group whose queue holds the ticket (the Cognito groups), or triage."""

    SUPPORT = "support"
    FINANCE = "finance"
    WAREHOUSE = "warehouse"
    ADMIN = "admin"
    TRIAGE = TRIAGE


class AuthorKind(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"
    SYSTEM = "system"


Category = Annotated[str, StringConstraints(pattern="^(" + "|".join(CATEGORIES) + ")$")]

T = TicketStatus
# Read a row as "from this status, a ticket may move to these". Closed is final: a customer
# writing about a closed ticket opens a new one.
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    T.OPEN: frozenset({T.PENDING_CUSTOMER, T.PENDING_INTERNAL, T.SOLVED, T.CLOSED}),
    T.PENDING_CUSTOMER: frozenset({T.OPEN, T.PENDING_INTERNAL, T.SOLVED, T.CLOSED}),
    T.PENDING_INTERNAL: frozenset({T.OPEN, T.PENDING_CUSTOMER, T.SOLVED, T.CLOSED}),
    T.SOLVED: frozenset({T.OPEN, T.CLOSED}),
    T.CLOSED: frozenset(),
}


class IllegalTicketTransition(Conflict):
    code = "illegal_ticket_transition"

    def __init__(self, current: TicketStatus, target: TicketStatus):
        super().__init__(
            f"A ticket cannot move from '{current.value}' to '{target.value}'.",
            details=[{"from": current.value, "to": target.value}],
        )


def ticket_transition(current: TicketStatus, target: TicketStatus) -> TicketStatus:
    if target is current:
        return current
    if target not in TRANSITIONS[current]:
        raise IllegalTicketTransition(current, target)
    return target


# SLA by priority: (first response, resolution). Business hours are the merchant's business; these
# are wall-clock targets, as most help desks start with.
SLA: dict[Priority, tuple[timedelta, timedelta]] = {
    Priority.URGENT: (timedelta(hours=1), timedelta(hours=8)),
    Priority.HIGH: (timedelta(hours=4), timedelta(hours=24)),
    Priority.NORMAL: (timedelta(hours=8), timedelta(hours=72)),
    Priority.LOW: (timedelta(hours=24), timedelta(hours=120)),
}

# What a customer's ticket is about decides how soon someone must look: goods that arrived wrong
# or broken and orders about to ship (cancel) cannot wait; questions can.
CATEGORY_PRIORITY: dict[str, Priority] = {
    "damaged_item": Priority.HIGH,
    "wrong_item": Priority.HIGH,
    "missing_item": Priority.HIGH,
    "cancel_order": Priority.HIGH,
    "other": Priority.LOW,
}


def priority_for(category: str) -> Priority:
    return CATEGORY_PRIORITY.get(category, Priority.NORMAL)


def new_ticket_id() -> str:
    return "TK-" + secrets.token_hex(6).upper()


class Sla(BaseModel):
    model_config = ConfigDict(extra="forbid")
    first_response_due: UtcDatetime
    resolution_due: UtcDatetime

    @classmethod
    def starting(cls, at: datetime, priority: Priority) -> Sla:
        first, resolve = SLA[priority]
        return cls(first_response_due=at + first, resolution_due=at + resolve)


class Contact(BaseModel):
    """Personal data: kept on the ticket for replies, never logged, erased on request (GDPR)."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: int = Field(ge=1)
    author_kind: AuthorKind
    author: str = Field(max_length=200)  # "customer", "staff:<username>", "system"
    body: str = Field(max_length=MAX_MESSAGE_CHARS)  # plain text as written; never rendered as HTML
    internal: bool = False  # an internal note: staff only
    at: UtcDatetime


class Ticket(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ticket_id: str
    shop: str
    channel: Channel
    customer_ref: str | None = None
    contact: Contact | None = None
    subject: str = Field(max_length=200)
    language: str
    category: Category
    category_confidence: float = Field(ge=0, le=1)
    categorized_by: str = "classifier"  # or "staff:<username>" after triage
    priority: Priority
    status: TicketStatus = TicketStatus.OPEN
    group: Group
    assignee: str | None = None
    order_id: str | None = None
    rma: str | None = None
    # The order's outbound parcels, on a "where is my order" ticket (services/shipments/answers.py).
    parcels: list[str] = Field(default_factory=list, max_length=50)
    tags: list[str] = Field(default_factory=list, max_length=20)
    sla: Sla
    first_responded_at: UtcDatetime | None = None
    solved_at: UtcDatetime | None = None
    message_count: int = 0
    merged_into: str | None = None
    merged_from: list[str] = Field(default_factory=list)
    source_event_id: str | None = None  # the domain event a system ticket was opened for
    anonymized: bool = False
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int = 1

    def next_version(self, at: datetime, **changes: object) -> Ticket:
        return self.model_copy(update={**changes, "version": self.version + 1, "updated_at": at})
