"""Request and response bodies of the ticket API (storefront and staff sides).

Message text is stored and answered exactly as written, as JSON strings: HTML or script in a
message is text, never markup; a console must escape it like any other text. Responses carry no
personal data beyond what the caller wrote: no contact email, customer only as a one-way ref.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from boomerang.api.schemas import Body, Email, Locale, utc
from boomerang.api.text import MULTILINE, PLAIN, FlagsHiddenText, PlainText
from boomerang.domain.models import Identifier, Return
from boomerang.domain.tickets import CATEGORIES, MAX_MESSAGE_CHARS, Group, Message, Ticket, TicketStatus

# A body keeps line feeds and tabs; a subject, like every other line, no control character at all.
MessageText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_MESSAGE_CHARS), MULTILINE
]
Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), PLAIN]
CategoryName = Literal[
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
]
assert set(CategoryName.__args__) == set(CATEGORIES)  # type: ignore[attr-defined]
Assignee = Annotated[str, StringConstraints(pattern=r"^staff:[A-Za-z0-9._-]{1,128}$")]


# --- requests ----------------------------------------------------------------------------------


class ContactIn(Body):
    name: Annotated[str, Field(max_length=200), PLAIN] | None = None
    email: Email | None = None


class TicketIn(Body):
    message: MessageText = Field(description="The customer's message, plain text (HTML is kept as text)")
    subject: Subject | None = None
    order_id: Identifier | None = Field(default=None, description="With a customer token: the token's order")
    rma: Annotated[str, Field(max_length=32), PLAIN] | None = Field(
        default=None, description="A return of the order, if known"
    )
    language: Locale | None = Field(
        default=None,
        description=(
            "BCP 47, as the customer chose it; detected from the text when absent. A language the "
            "classifier does not know sends the ticket to triage."
        ),
        examples=["de", "zh-CN"],
    )
    channel: Literal["portal", "email", "api"] | None = Field(
        default=None, description="Defaults to portal with a customer token, api with an API key"
    )
    contact: ContactIn | None = Field(
        default=None, description="Personal data: kept for replies, never logged"
    )


class MessageIn(Body):
    message: MessageText


class AssignIn(Body):
    assignee: Assignee | None = Field(description="staff:<username>, or null to unassign")
    group: Literal["support", "finance", "warehouse", "admin"] | None = None


class ReplyIn(Body):
    message: MessageText
    status: Literal["open", "pending_customer", "pending_internal", "solved"] | None = Field(
        default=None, description="The ticket's status after the reply; pending_customer by default"
    )


class NoteIn(Body):
    message: MessageText


class StatusIn(Body):
    status: TicketStatus


class CategoryIn(Body):
    category: CategoryName


class MergeIn(Body):
    into: str = Field(pattern=r"^TK-[0-9A-F]{12}$", description="The ticket that stays")


class LinkIn(Body):
    rma: PlainText = Field(min_length=1, max_length=32)


# --- responses ---------------------------------------------------------------------------------


class MessageOut(BaseModel):
    number: int
    author_kind: str
    body: str
    at: str

    @classmethod
    def of(cls, m: Message) -> MessageOut:
        return cls(number=m.number, author_kind=m.author_kind.value, body=m.body, at=utc(m.at))


class TicketOut(BaseModel):
    """A ticket as its customer or the storefront sees it."""

    ticket_id: str
    status: str
    subject: str
    language: str
    category: str
    channel: str
    order_id: str | None
    rma: str | None
    created_at: str
    updated_at: str
    version: int
    messages: list[MessageOut]

    @classmethod
    def of(cls, t: Ticket, messages: list[Message]) -> TicketOut:
        return cls(
            ticket_id=t.ticket_id,
            status=t.status.value,
            subject=t.subject,
            language=t.language,
            category=t.category,
            channel=t.channel.value,
            order_id=t.order_id,
            rma=t.rma,
            created_at=utc(t.created_at),
            updated_at=utc(t.updated_at),
            version=t.version,
            messages=[MessageOut.of(m) for m in messages if not m.internal],
        )


class StaffMessageOut(MessageOut):
    author: str
    internal: bool

    @classmethod
    def of_staff(cls, m: Message) -> StaffMessageOut:
        return cls(**dict(MessageOut.of(m)), author=m.author, internal=m.internal)


class SlaOut(BaseModel):
    first_response_due: str
    resolution_due: str
    first_responded_at: str | None
    first_response_breached: bool
    resolution_breached: bool


class LinkedReturnOut(BaseModel):
    rma: str
    order_id: str
    status: str
    resolution: str
    refund_status: str | None
    updated_at: str


class SuggestedReplyOut(BaseModel):
    language: str
    text: str


class StaffTicketOut(FlagsHiddenText):
    ticket_id: str
    shop: str
    channel: str
    customer_ref: str | None = Field(description="A one-way reference to the customer; never an email")
    status: str
    subject: str
    language: str
    category: str
    category_confidence: float
    categorized_by: str
    needs_triage: bool
    priority: str
    group: str
    assignee: str | None
    order_id: str | None
    rma: str | None
    tags: list[str]
    sla: SlaOut
    merged_into: str | None
    merged_from: list[str]
    source_event_id: str | None
    anonymized: bool
    created_at: str
    updated_at: str
    version: int
    messages: list[StaffMessageOut] | None = None
    returns: list[LinkedReturnOut] | None = Field(
        default=None, description="The linked return, or the linked order's returns, with their status"
    )
    suggested_reply: SuggestedReplyOut | None = Field(
        default=None, description="For refund_status tickets: an answer from the return's state"
    )

    @classmethod
    def of(
        cls,
        t: Ticket,
        now_iso: str,
        messages: list[Message] | None = None,
        returns: list[Return] | None = None,
        suggestion: tuple[str, str] | None = None,
    ) -> StaffTicketOut:
        open_now = t.status in (
            TicketStatus.OPEN,
            TicketStatus.PENDING_INTERNAL,
            TicketStatus.PENDING_CUSTOMER,
        )
        first_due, resolve_due = utc(t.sla.first_response_due), utc(t.sla.resolution_due)
        return cls(
            ticket_id=t.ticket_id,
            shop=t.shop,
            channel=t.channel.value,
            customer_ref=t.customer_ref,
            status=t.status.value,
            subject=t.subject,
            language=t.language,
            category=t.category,
            category_confidence=t.category_confidence,
            categorized_by=t.categorized_by,
            needs_triage=t.group is Group.TRIAGE,
            priority=t.priority.value,
            group=t.group.value,
            assignee=t.assignee,
            order_id=t.order_id,
            rma=t.rma,
            tags=t.tags,
            sla=SlaOut(
                first_response_due=first_due,
                resolution_due=resolve_due,
                first_responded_at=utc(t.first_responded_at) if t.first_responded_at else None,
                first_response_breached=(
                    utc(t.first_responded_at) > first_due if t.first_responded_at else now_iso > first_due
                ),
                resolution_breached=open_now and now_iso > resolve_due,
            ),
            merged_into=t.merged_into,
            merged_from=t.merged_from,
            source_event_id=t.source_event_id,
            anonymized=t.anonymized,
            created_at=utc(t.created_at),
            updated_at=utc(t.updated_at),
            version=t.version,
            messages=None if messages is None else [StaffMessageOut.of_staff(m) for m in messages],
            returns=None
            if returns is None
            else [
                LinkedReturnOut(
                    rma=r.rma,
                    order_id=r.order_id,
                    status=r.status.value,
                    resolution=r.resolution.value,
                    refund_status=r.refund.status if r.refund else None,
                    updated_at=utc(r.updated_at),
                )
                for r in returns
            ],
            suggested_reply=None
            if suggestion is None
            else SuggestedReplyOut(language=suggestion[0], text=suggestion[1]),
        )


class TicketQueueOut(BaseModel):
    items: list[StaffTicketOut]
    next_cursor: str | None
