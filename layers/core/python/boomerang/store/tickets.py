"""Tickets on the single table: every change a conditional write on the ticket's version, with
its new messages and outbox events in the same transaction (as store.records does for returns)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from boomerang.domain.errors import NotFound, StaleVersion
from boomerang.domain.tickets import Contact, Message, Ticket
from boomerang.services.retry import retry_stale
from boomerang.store import keys
from boomerang.store.dynamo import (
    cancellation_reasons,
    client,
    decode_cursor,
    encode_cursor,
    from_item,
    to_item,
)
from boomerang.store.lenient import readable
from boomerang.store.records import Event, _check_start_key, iso

ERASED = "[erased]"


@dataclass(frozen=True)
class TicketChange:
    ticket: Ticket
    expected_version: int | None  # None: the ticket is new
    messages: list[Message] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    # A system ticket's source event id: the ticket is written only if that event opened none yet.
    source_event_id: str | None = None


@dataclass(frozen=True)
class TicketPage:
    items: list[Ticket]
    next_cursor: str | None


class DuplicateSource(Exception):
    """A ticket was already opened for this source event; `ticket_id` names it."""

    def __init__(self, ticket_id: str | None):
        super().__init__(ticket_id)
        self.ticket_id = ticket_id


class TicketRepository:
    def __init__(self, table_name: str, ddb: Any | None = None):
        self.table = table_name
        self.ddb = ddb or client()

    def _item(self, ticket: Ticket) -> dict[str, Any]:
        created = f"{iso(ticket.created_at)}#{ticket.ticket_id}"
        item: dict[str, Any] = {
            **keys.ticket(ticket.ticket_id),
            "gsi3pk": keys.ticket_queue_pk(ticket.shop, ticket.group.value, ticket.status.value),
            "gsi3sk": created,
            "shop": ticket.shop,
            "version": ticket.version,
            "doc": ticket.model_dump_json(),
        }
        if ticket.customer_ref:
            item["gsi2pk"] = keys.customer_tickets_pk(ticket.shop, ticket.customer_ref)
            item["gsi2sk"] = created
        return item

    def save(self, change: TicketChange) -> None:
        ticket = change.ticket
        put: dict[str, Any] = {"TableName": self.table, "Item": to_item(self._item(ticket))}
        if change.expected_version is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :v"
            put["ExpressionAttributeValues"] = to_item({":v": change.expected_version})
        items: list[dict[str, Any]] = [{"Put": put}]
        if change.source_event_id:
            items.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_item(
                            {
                                **keys.ticket_source(ticket.shop, change.source_event_id),
                                "ticket_id": ticket.ticket_id,
                            }
                        ),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        for message in change.messages:
            items.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_item(
                            {
                                **keys.ticket_message(ticket.ticket_id, message.number),
                                "doc": message.model_dump_json(),
                            }
                        ),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        for n, event in enumerate(change.events):
            envelope = {
                "id": f"{ticket.ticket_id}:{ticket.version}:{n}",
                "type": event.type,
                "version": event.version,
                "occurred_at": iso(ticket.updated_at),
                "shop": ticket.shop,
                "data": event.data,
            }
            items.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_item(
                            {
                                **keys.ticket_outbox(ticket.ticket_id, ticket.version, n),
                                "type": event.type,
                                "doc": json.dumps(envelope),
                            }
                        ),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        try:
            self.ddb.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = cancellation_reasons(exc)
            if change.source_event_id and len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                raise DuplicateSource(self.ticket_for_source(ticket.shop, change.source_event_id)) from exc
            if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
                raise StaleVersion(f"Ticket {ticket.ticket_id}") from exc
            raise

    def ticket_for_source(self, shop: str, event_id: str) -> str | None:
        got = self.ddb.get_item(
            TableName=self.table, Key=to_item(keys.ticket_source(shop, event_id)), ConsistentRead=True
        )
        return str(from_item(got["Item"])["ticket_id"]) if "Item" in got else None

    def get(self, ticket_id: str) -> tuple[Ticket, list[Message]]:
        """The ticket and its messages, oldest first, in one Query (paged past 1 MB)."""
        ticket: Ticket | None = None
        messages: list[Message] = []
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": to_item({":pk": keys.ticket_pk(ticket_id)}),
            "ConsistentRead": True,
        }
        while True:
            got = self.ddb.query(**params)
            for raw in got.get("Items", []):
                values = from_item(raw)
                if values[keys.SK] == keys.TICKET_SK:
                    ticket = Ticket.model_validate_json(values["doc"])
                elif str(values[keys.SK]).startswith(keys.MESSAGE_PREFIX):
                    messages.append(Message.model_validate_json(values["doc"]))
            if not got.get("LastEvaluatedKey"):
                break
            params["ExclusiveStartKey"] = got["LastEvaluatedKey"]
        if ticket is None:
            raise NotFound("No such ticket.", code="ticket_not_found")
        return ticket, sorted(messages, key=lambda m: m.number)

    def _page(self, index: str, pk: str, limit: int, cursor: str | None) -> TicketPage:
        n = index[-1]
        params: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": index,
            "KeyConditionExpression": f"gsi{n}pk = :pk",
            "ExpressionAttributeValues": to_item({":pk": pk}),
            "Limit": limit,
        }
        start = decode_cursor(cursor)
        if start:
            _check_start_key(start, {keys.PK, keys.SK, f"gsi{n}pk", f"gsi{n}sk"}, {f"gsi{n}pk": pk})
            params["ExclusiveStartKey"] = start
        got = self.ddb.query(**params)
        items = readable(got.get("Items", []), _ticket_of, "ticket")
        return TicketPage(items=items, next_cursor=encode_cursor(got.get("LastEvaluatedKey")))

    def queue(
        self, shop: str, group: str, status: str, limit: int = 25, cursor: str | None = None
    ) -> TicketPage:
        """A group's tickets in one status, oldest first."""
        return self._page(keys.GSI3, keys.ticket_queue_pk(shop, group, status), limit, cursor)

    def of_customer(
        self, shop: str, customer_ref: str, limit: int = 100, cursor: str | None = None
    ) -> TicketPage:
        """A customer's tickets, oldest first (GDPR export and erasure use this)."""
        return self._page(keys.GSI2, keys.customer_tickets_pk(shop, customer_ref), limit, cursor)

    def all_of_customer(self, shop: str, customer_ref: str) -> list[Ticket]:
        tickets: list[Ticket] = []
        cursor: str | None = None
        while True:
            page = self.of_customer(shop, customer_ref, 100, cursor)
            tickets += page.items
            cursor = page.next_cursor
            if cursor is None:
                return tickets

    def anonymize_customer(self, shop: str, customer_ref: str, at: datetime) -> list[str]:
        """GDPR erasure for tickets: replace the customer's personal data (contact, subject, every
        message body) in all their tickets, keep the tickets. Safe to run again. The ticket ids."""
        done = []
        for summary in self.all_of_customer(shop, customer_ref):
            self._anonymize(summary.ticket_id, at)
            done.append(summary.ticket_id)
        return done

    @retry_stale
    def _anonymize(self, ticket_id: str, at: datetime) -> None:
        ticket, messages = self.get(ticket_id)
        cleaned, rewritten = anonymized(ticket, messages)
        # Messages first: if the ticket write then loses a race, the retry finds them done.
        self.rewrite_messages(ticket_id, rewritten)
        if ticket.anonymized and ticket.customer_ref is None and not rewritten:
            return
        changed = cleaned.next_version(at)
        event = Event("ticket.anonymized", {"ticket_id": ticket_id})
        self.save(TicketChange(changed, ticket.version, [], [event]))

    def outbox_events(self, ticket_id: str) -> list[dict[str, Any]]:
        got = self.ddb.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_item({":pk": keys.ticket_outbox(ticket_id, 0, 0)[keys.PK]}),
            ConsistentRead=True,
        )
        return [json.loads(from_item(i)["doc"]) for i in got.get("Items", [])]

    def rewrite_messages(self, ticket_id: str, messages: list[Message]) -> None:
        """Overwrite messages in place (anonymization). One PutItem each (the functions' grants
        have no BatchWriteItem); rewriting a message to the same text again is harmless, so an
        interrupted run is simply run again."""
        for m in messages:
            self.ddb.put_item(
                TableName=self.table,
                Item=to_item({**keys.ticket_message(ticket_id, m.number), "doc": m.model_dump_json()}),
            )


def _ticket_of(raw: dict[str, Any]) -> Ticket:
    return Ticket.model_validate_json(from_item(raw)["doc"])


def anonymized(ticket: Ticket, messages: list[Message]) -> tuple[Ticket, list[Message]]:
    """The ticket with its personal data replaced: contact, subject and every message body. The
    ticket itself (category, status, links, times) stays for the merchant's statistics."""
    contact = Contact(name=ERASED, email=None) if ticket.contact else None
    erased = [m.model_copy(update={"body": ERASED}) for m in messages if m.body != ERASED]
    # The customer reference goes too: nothing leads from the person to the ticket any more.
    cleaned = ticket.model_copy(
        update={"contact": contact, "subject": ERASED, "anonymized": True, "customer_ref": None}
    )
    return cleaned, erased
