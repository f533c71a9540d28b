"""Tickets without AWS: the status table, SLA due times by priority, priorities by category,
anonymization, and suggested refund replies in every supported language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from boomerang.classifier.model import LANGUAGES
from boomerang.domain.models import Decision, HubChoice, Outcome, Resolution, Return, ReturnItem
from boomerang.domain.money import Money
from boomerang.domain.status import ReturnStatus
from boomerang.domain.ticket_replies import STAGE, suggested_refund_reply, templates
from boomerang.domain.tickets import (
    CATEGORIES,
    SLA,
    TRANSITIONS,
    AuthorKind,
    Channel,
    Contact,
    Group,
    IllegalTicketTransition,
    Message,
    Priority,
    Sla,
    Ticket,
    TicketStatus,
    new_ticket_id,
    priority_for,
    ticket_transition,
)
from boomerang.store.tickets import ERASED, anonymized

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
T = TicketStatus


def a_return(status: ReturnStatus) -> Return:
    eur = Money(amount=3900, currency="EUR")
    return Return(
        rma="K7Q-4M2-XAC",
        shop="s1",
        order_id="o1",
        customer_ref="c" * 32,
        status=status,
        resolution=Resolution.REFUND,
        items=[
            ReturnItem(
                line_id="L1", sku="S", category="apparel", quantity=1, reason="size_too_small", unit_price=eur
            )
        ],
        decision=Decision(outcome=Outcome.APPROVED, rules=[], policy_version=1, decided_at=NOW),
        hub=HubChoice(
            hub_id="eu-pl", name="Poland", country="PL", cost=eur, fallback_hub_id="eu-pl", fallback_cost=eur
        ),
        created_at=NOW,
        updated_at=NOW,
    )


def ticket(**changes: object) -> Ticket:
    base = Ticket(
        ticket_id=new_ticket_id(),
        shop="s1",
        channel=Channel.PORTAL,
        customer_ref="c" * 32,
        contact=Contact(name="Ana", email="ana@example.com"),
        subject="Ana's refund",
        language="es",
        category="refund_status",
        category_confidence=0.9,
        priority=Priority.NORMAL,
        group=Group.SUPPORT,
        sla=Sla.starting(NOW, Priority.NORMAL),
        created_at=NOW,
        updated_at=NOW,
    )
    return base.model_copy(update=changes)


def test_closed_is_final_and_every_other_status_can_be_closed() -> None:
    assert TRANSITIONS[T.CLOSED] == frozenset()
    for status in T:
        if status is not T.CLOSED:
            assert ticket_transition(status, T.CLOSED) is T.CLOSED
    with pytest.raises(IllegalTicketTransition) as raised:
        ticket_transition(T.CLOSED, T.OPEN)
    assert raised.value.details == [{"from": "closed", "to": "open"}]
    with pytest.raises(IllegalTicketTransition):
        ticket_transition(T.SOLVED, T.PENDING_CUSTOMER)
    assert ticket_transition(T.SOLVED, T.OPEN) is T.OPEN  # the customer wrote again


def test_sla_due_times_shrink_with_priority() -> None:
    firsts = [SLA[p][0] for p in (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT)]
    assert firsts == sorted(firsts, reverse=True)
    sla = Sla.starting(NOW, Priority.URGENT)
    assert sla.first_response_due == NOW + timedelta(hours=1)
    assert sla.resolution_due == NOW + timedelta(hours=8)


def test_priority_by_category() -> None:
    assert {c: priority_for(c) for c in ("damaged_item", "cancel_order", "refund_status", "other")} == {
        "damaged_item": Priority.HIGH,
        "cancel_order": Priority.HIGH,
        "refund_status": Priority.NORMAL,
        "other": Priority.LOW,
    }
    assert all(isinstance(priority_for(c), Priority) for c in CATEGORIES)


def test_ticket_ids_are_random_and_well_formed() -> None:
    ids = {new_ticket_id() for _ in range(100)}
    assert len(ids) == 100 and all(len(i) == 15 and i.startswith("TK-") for i in ids)


def test_anonymized_replaces_personal_data_and_keeps_the_ticket() -> None:
    t = ticket()
    messages = [
        Message(
            number=1,
            author_kind=AuthorKind.CUSTOMER,
            author="customer",
            body="Soy Ana, calle Mayor 5",
            at=NOW,
        ),
        Message(number=2, author_kind=AuthorKind.STAFF, author="staff:bob", body="Hola Ana", at=NOW),
    ]
    cleaned, rewritten = anonymized(t, messages)
    assert cleaned.contact == Contact(name=ERASED, email=None) and cleaned.subject == ERASED
    assert cleaned.anonymized and cleaned.category == t.category and cleaned.ticket_id == t.ticket_id
    assert [m.body for m in rewritten] == [ERASED, ERASED]
    assert anonymized(cleaned, rewritten)[1] == []  # nothing left to rewrite


@pytest.mark.parametrize("language", [*LANGUAGES, "zh-CN", "pt"])
def test_a_suggested_reply_exists_for_every_status_in_every_language(language: str) -> None:
    assert set(STAGE) == set(ReturnStatus)
    for lang in LANGUAGES:
        assert set(templates()[lang]) == set(STAGE.values())
    for status in ReturnStatus:
        ret = a_return(status)
        used, text = suggested_refund_reply(ret, language)
        assert used == (language.split("-")[0] if language != "pt" else "en")
        assert ret.rma in text and "{" not in text
        if "{amount}" in templates()["en"][STAGE[status]]:
            assert "39.00 EUR" in text
