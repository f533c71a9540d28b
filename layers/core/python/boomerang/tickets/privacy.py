"""Support tickets as a holder of personal data (services/privacy.py): a customer's tickets with
their messages are exported, and anonymized on erasure (contact, subject, message bodies and the
link to the customer replaced; the ticket kept for the merchant's statistics)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from boomerang.services.privacy import Erasure, Subject
from boomerang.tickets.repository import TicketRepository


class TicketHolder:
    name = "tickets"

    def __init__(self, tickets: TicketRepository):
        self.tickets = tickets

    def export(self, subject: Subject) -> list[dict[str, Any]]:
        found = []
        for summary in self.tickets.all_of_customer(subject.shop, subject.customer_ref):
            ticket, messages = self.tickets.get(summary.ticket_id)
            doc = ticket.model_dump(mode="json")
            doc["messages"] = [m.model_dump(mode="json") for m in messages]
            found.append(doc)
        return found

    def erase(self, subject: Subject, at: datetime) -> Erasure:
        return Erasure(anonymized=self.tickets.anonymize_customer(subject.shop, subject.customer_ref, at))
