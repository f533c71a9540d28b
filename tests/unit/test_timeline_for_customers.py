"""What a customer reads of a return's timeline: the storefront API and the portal's status page
leave out the staff-only entries (payment claims, evidence views, failed side channels naming
webhook subscriptions, label refunds, disputes); the staff API shows them all."""

from __future__ import annotations

from boomerang.api.admin_schemas import StaffReturnOut
from boomerang.api.schemas import ReturnOut
from boomerang.domain.models import TimelineEntry
from boomerang.domain.status import ReturnStatus
from tests.unit.test_ticket_model import NOW, a_return

EVENTS = [
    ("return.approved", True),
    ("customer.notified.label_issued", True),
    ("label.not_issued", True),
    ("payment.claimed", False),
    ("evidence.viewed", False),
    ("side_channel.failed", False),
    ("label.refund", False),
    ("label.refund_failed", False),
    ("dispute.created", False),
    ("refund.succeeded", True),
]


def _timeline() -> list[TimelineEntry]:
    return [
        TimelineEntry(
            version=n, at=NOW, status=ReturnStatus.APPROVED, event=event, message=event, actor="workflow"
        )
        for n, (event, _) in enumerate(EVENTS, 1)
    ]


def test_customers_read_the_entries_meant_for_them_and_staff_read_all() -> None:
    ret = a_return(ReturnStatus.APPROVED)
    customer = ReturnOut.of(ret, _timeline())
    assert customer.timeline is not None
    assert [e.event for e in customer.timeline] == [event for event, shown in EVENTS if shown]
    staff = StaffReturnOut.of_staff(ret, _timeline())
    assert staff.timeline is not None
    assert [e.event for e in staff.timeline] == [event for event, _ in EVENTS]
