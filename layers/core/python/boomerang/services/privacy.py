"""A customer's data rights (GDPR Art. 15/20 export, Art. 17 erasure), found by their email.

Each kind of record that can hold a person's data is a `PersonalDataHolder`: it finds the person's
records, exports them, and erases what it may. `PrivacyService` runs every registered holder, so a
new record type (support tickets, when they arrive) plugs in with one `register` call and both
export and erasure cover it.

What erasure does, per the brief:
- orders: the email and the shipping address are removed, and the link to the person; lines,
  amounts and payment reference stay (financial records, kept for accounting, without identity);
- returns: the pseudonymous customer reference is replaced by a random one (the old one can be
  recomputed from the email, so it is personal data), free-text notes and the customer's address
  correction are dropped; refunds, amounts and the timeline stay (a commercial invoice Boomerang
  rendered for customs is deleted by the label bucket's lifecycle, like the label);
- the customer record (recent returns, used by the "3 returns in 30 days" flag) is deleted;
- every session of the customer is revoked first: a token issued before the erasure answers 401
  (its stamp expires with the last such token, a day later);
- evidence under retention stays, reported with its legal basis and the date the storage
  lifecycle deletes it.

No automated rule ever blocks a person: the export lists each automated decision and its flags,
which only ever route a return to a person.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from boomerang.domain.evidence import LEGAL_BASIS, deletion_date
from boomerang.domain.models import Order, Return, TimelineEntry
from boomerang.domain.sessions import STAMP_LIFETIME
from boomerang.services.customers import customer_ref
from boomerang.services.retry import retry_stale
from boomerang.store import keys
from boomerang.store.dynamo import from_item, to_item
from boomerang.store.records import Event, Repository, ReturnChange, iso
from boomerang.store.sessions import SessionStore
from boomerang.store.tickets import TicketRepository

ERASED_EMAIL = "erased@erased.invalid"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Subject:
    """The person, as one shop knows them."""

    shop: str
    email: str

    @property
    def customer_ref(self) -> str:
        return customer_ref(self.shop, self.email)


@dataclass
class Erasure:
    """What one holder did: anonymized record ids, what it kept and why."""

    anonymized: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    kept: list[dict[str, Any]] = field(default_factory=list)  # each with "reason" (and dates)


class PersonalDataHolder(Protocol):
    name: str

    def export(self, subject: Subject) -> list[dict[str, Any]]: ...

    def erase(self, subject: Subject, at: datetime) -> Erasure: ...


class PrivacyService:
    def __init__(
        self, holders: list[PersonalDataHolder] | None = None, clock: Callable[[], datetime] | None = None
    ):
        self.holders: list[PersonalDataHolder] = list(holders or [])
        self.clock = clock or (lambda: datetime.now(UTC))

    def register(self, holder: PersonalDataHolder) -> None:
        self.holders.append(holder)

    def export(self, subject: Subject) -> dict[str, Any]:
        return {
            "shop": subject.shop,
            "email": subject.email.strip(),
            "exported_at": iso(self.clock()),
            "records": {holder.name: holder.export(subject) for holder in self.holders},
            "automated_decisions": (
                "Return requests are decided by the shop's published policy. A rule may flag a request "
                "for a person to review (for example a third return in 30 days); no rule ever blocks "
                "a customer. Each return's decision lists the rules that fired, in words."
            ),
        }

    def erase(self, subject: Subject) -> dict[str, Any]:
        # Holders that link records by the customer reference (returns) run after those that find
        # their records through it (orders, evidence, the customer record), which the order of
        # registration keeps (see `standard_holders`).
        at = self.clock()
        done = {holder.name: holder.erase(subject, at) for holder in self.holders}
        return {
            "shop": subject.shop,
            "erased_at": iso(at),
            "records": {
                name: {"anonymized": e.anonymized, "deleted": e.deleted, "kept": e.kept}
                for name, e in done.items()
            },
        }


# --- holders -------------------------------------------------------------------------------------


def _returns_of(repo: Repository, subject: Subject) -> Iterator[Return]:
    cursor: str | None = None
    while True:
        page = repo.returns_of_customer_since(subject.shop, subject.customer_ref, EPOCH, 100, cursor)
        yield from page.items
        cursor = page.next_cursor
        if not cursor:
            return


class SessionHolder:
    """Sessions: erasure revokes every token of the customer before anything else changes (the
    returns' stamps are found through the customer reference the returns holder then replaces)."""

    name = "sessions"

    def __init__(self, repo: Repository):
        self.store = SessionStore(repo.table, repo.ddb)

    def export(self, subject: Subject) -> list[dict[str, Any]]:
        return []  # tokens are not kept; a revocation stamp is a security record, not the person's data

    def erase(self, subject: Subject, at: datetime) -> Erasure:
        self.store.revoke(subject.shop, subject.customer_ref, at)
        until = iso(at + STAMP_LIFETIME)
        return Erasure(
            kept=[
                {
                    "record": "session revocation",
                    "reason": "Refuses the sessions opened before the erasure; expires with them.",
                    "deleted_on": until[:10],
                }
            ]
        )


class OrderHolder:
    name = "orders"

    def __init__(self, repo: Repository):
        self.repo = repo

    def _orders(self, subject: Subject) -> Iterator[Order]:
        params: dict[str, Any] = {
            "TableName": self.repo.table,
            "IndexName": keys.GSI3,
            "KeyConditionExpression": "gsi3pk = :pk",
            "ExpressionAttributeValues": to_item(
                {":pk": keys.customer_orders_pk(subject.shop, subject.customer_ref)}
            ),
        }
        while True:
            got = self.repo.ddb.query(**params)
            for item in got.get("Items", []):
                order_id = str(from_item(item)["gsi3sk"])
                yield self.repo.get_order(subject.shop, order_id)
            if not got.get("LastEvaluatedKey"):
                return
            params["ExclusiveStartKey"] = got["LastEvaluatedKey"]

    def export(self, subject: Subject) -> list[dict[str, Any]]:
        return [
            order.model_dump(mode="json", exclude={"returned", "version"}) for order in self._orders(subject)
        ]

    def erase(self, subject: Subject, at: datetime) -> Erasure:
        done = Erasure()
        for order in self._orders(subject):
            self._anonymize(order)
            done.anonymized.append(order.order_id)
            done.kept.append(
                {
                    "record": f"order {order.order_id}",
                    "reason": "Financial record (lines, amounts, payment reference) kept for accounting, "
                    "without identity.",
                }
            )
        return done

    def _anonymize(self, order: Order) -> None:
        doc = order.model_copy(
            update={"customer_email": ERASED_EMAIL, "shipping_address": None}
        ).model_dump_json(exclude={"returned", "version"})
        # Conditional on the version read: an order updated meanwhile is read again by a retry.
        self.repo.ddb.update_item(
            TableName=self.repo.table,
            Key=to_item(keys.order(order.shop, order.order_id)),
            UpdateExpression="SET doc = :doc, version = :next REMOVE gsi3pk, gsi3sk",
            ConditionExpression="version = :v",
            ExpressionAttributeValues=to_item({":doc": doc, ":v": order.version, ":next": order.version + 1}),
        )


class ReturnHolder:
    name = "returns"

    def __init__(self, repo: Repository):
        self.repo = repo

    def export(self, subject: Subject) -> list[dict[str, Any]]:
        out = []
        for ret in _returns_of(self.repo, subject):
            full, timeline = self.repo.get_return(ret.rma)
            doc = full.model_dump(mode="json", exclude={"task_token", "evidence"})
            doc["timeline"] = [e.model_dump(mode="json") for e in timeline]
            out.append(doc)
        return out

    def erase(self, subject: Subject, at: datetime) -> Erasure:
        done = Erasure()
        for ret in _returns_of(self.repo, subject):
            self._anonymize(ret.rma, at)
            done.anonymized.append(ret.rma)
            if ret.refund is not None:
                done.kept.append(
                    {
                        "record": f"refund of return {ret.rma}",
                        "reason": "Financial record kept for accounting, without identity.",
                    }
                )
        return done

    @retry_stale
    def _anonymize(self, rma: str, at: datetime) -> None:
        ret, _ = self.repo.get_return(rma)
        items = [i.model_copy(update={"note": None}) for i in ret.items]
        new = ret.model_copy(
            update={
                "customer_ref": f"erased-{uuid.uuid4().hex}",
                "items": items,
                "ship_from": None,
                "version": ret.version + 1,
                "updated_at": at,
            }
        )
        entry = TimelineEntry(
            version=new.version,
            at=at,
            status=ret.status,
            event="customer.erased",
            message="The customer's personal data was erased on their request; financial records kept.",
            actor="privacy",
        )
        event = Event("customer.erased", {"rma": rma, "order_id": ret.order_id})
        self.repo.save(ReturnChange(new, ret.version, [entry], [event]))


class CustomerHolder:
    name = "customer"

    def __init__(self, repo: Repository):
        self.repo = repo

    def export(self, subject: Subject) -> list[dict[str, Any]]:
        summary = self.repo.get_customer(subject.shop, subject.customer_ref)
        if not summary.version and not summary.orders:
            return []
        return [
            {
                "customer_ref": summary.customer_ref,
                "recent_returns": summary.recent,
                # What "trusted customer" counts: orders imported, and those that had a return.
                "orders_counted": summary.orders,
                "orders_with_a_return": sorted(summary.returned_orders),
            }
        ]

    def erase(self, subject: Subject, at: datetime) -> Erasure:
        done = Erasure()
        got = self.repo.ddb.delete_item(
            TableName=self.repo.table,
            Key=to_item(keys.customer(subject.shop, subject.customer_ref)),
            ReturnValues="ALL_OLD",
        )
        if got.get("Attributes"):
            done.deleted.append(subject.customer_ref)
        # An email suppression (bounce, complaint) is kept by the same reference: gone with it.
        self.repo.ddb.delete_item(
            TableName=self.repo.table, Key=to_item(keys.email_suppression(subject.shop, subject.customer_ref))
        )
        return done


class EvidenceHolder:
    """Evidence files: exported as descriptions (the files stay in the evidence bucket), kept through
    erasure while under retention, with the legal basis and the date they are deleted."""

    name = "evidence"

    def __init__(self, repo: Repository):
        self.repo = repo

    def _evidence(self, subject: Subject) -> Iterator[tuple[str, dict[str, Any]]]:
        for ret in _returns_of(self.repo, subject):
            for e in ret.evidence:
                yield (
                    ret.rma,
                    {
                        "rma": ret.rma,
                        "evidence_id": e.evidence_id,
                        "kind": e.kind.value,
                        "content_type": e.content_type,
                        "size": e.size,
                        "uploaded_at": iso(e.uploaded_at),
                        "retain_until": iso(e.retain_until),
                        "deleted_on": deletion_date(e).isoformat(),
                        "legal_basis": LEGAL_BASIS,
                    },
                )

    def export(self, subject: Subject) -> list[dict[str, Any]]:
        return [doc for _, doc in self._evidence(subject)]

    def erase(self, subject: Subject, at: datetime) -> Erasure:
        done = Erasure()
        for _, doc in self._evidence(subject):
            # Under Object Lock until retain_until; the lifecycle deletes it on deleted_on.
            done.kept.append({**doc, "reason": LEGAL_BASIS})
        return done


class TicketHolder:
    """Support tickets: a customer's tickets with their messages are exported, and anonymized on
    erasure (contact, subject, message bodies and the link to the customer replaced; the ticket kept
    for the merchant's statistics)."""

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


def standard_holders(repo: Repository) -> list[PersonalDataHolder]:
    """Every record type of this library that can hold a person's data. Sessions are revoked first;
    evidence and orders are read before the returns holder replaces the customer reference they are
    found through. Support tickets live in the same table."""
    return [
        SessionHolder(repo),
        OrderHolder(repo),
        CustomerHolder(repo),
        EvidenceHolder(repo),
        ReturnHolder(repo),
        TicketHolder(TicketRepository(repo.table, repo.ddb)),
    ]
