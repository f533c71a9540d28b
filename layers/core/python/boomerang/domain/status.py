"""The return status table: the one place that says which status may follow which.

Every write of a return's status goes through `transition`; the store refuses to write a status
that did not come from it.
"""

from __future__ import annotations

from enum import StrEnum

from boomerang.domain.errors import IllegalTransition


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    PENDING_REVIEW = "pending_review"
    AWAITING_EVIDENCE = "awaiting_evidence"
    APPROVED = "approved"
    REJECTED = "rejected"
    LABEL_ISSUED = "label_issued"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    RECEIVED = "received"
    INSPECTED = "inspected"
    REFUND_PENDING = "refund_pending"
    REFUNDED = "refunded"
    CREDITED = "credited"
    EXCHANGED = "exchanged"  # the replacement is ordered from the merchant's fulfilment
    REPLACEMENT_SHIPPED = "replacement_shipped"
    REFUND_FAILED = "refund_failed"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


S = ReturnStatus

# Allowed transitions. Read a row as "from this status, a return may move to these".
TRANSITIONS: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    S.REQUESTED: frozenset({S.PENDING_REVIEW, S.AWAITING_EVIDENCE, S.APPROVED, S.REJECTED, S.CANCELLED}),
    S.AWAITING_EVIDENCE: frozenset({S.PENDING_REVIEW, S.APPROVED, S.REJECTED, S.CANCELLED, S.EXPIRED}),
    S.PENDING_REVIEW: frozenset({S.AWAITING_EVIDENCE, S.APPROVED, S.REJECTED, S.CANCELLED}),
    # A returnless resolution (the customer keeps the item) pays without a label.
    S.APPROVED: frozenset({S.LABEL_ISSUED, S.CANCELLED, S.EXPIRED, S.REFUND_PENDING}),
    S.LABEL_ISSUED: frozenset({S.IN_TRANSIT, S.DELIVERED, S.CANCELLED, S.EXPIRED}),
    # Refund on the first carrier scan: a trusted customer's parcel, where policy allows it.
    S.IN_TRANSIT: frozenset({S.DELIVERED, S.REFUND_PENDING}),
    # Refund on delivery skips inspection where policy allows it for that return.
    S.DELIVERED: frozenset({S.RECEIVED, S.REFUND_PENDING}),
    S.RECEIVED: frozenset({S.INSPECTED}),
    # An inspection that grades everything unrefundable closes the return without paying.
    S.INSPECTED: frozenset({S.REFUND_PENDING, S.CLOSED}),
    S.REFUND_PENDING: frozenset({S.REFUNDED, S.CREDITED, S.EXCHANGED, S.REFUND_FAILED}),
    # Finance retries with another method, or pays store credit.
    S.REFUND_FAILED: frozenset({S.REFUND_PENDING, S.CREDITED, S.CLOSED}),
    S.REFUNDED: frozenset({S.CLOSED}),
    S.CREDITED: frozenset({S.CLOSED}),
    # The merchant reports the replacement's shipment (its tracking goes to the customer).
    S.EXCHANGED: frozenset({S.REPLACEMENT_SHIPPED, S.CLOSED}),
    S.REPLACEMENT_SHIPPED: frozenset({S.CLOSED}),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
    S.CLOSED: frozenset(),
}

TERMINAL = frozenset(status for status, nxt in TRANSITIONS.items() if not nxt)

# The customer may cancel until the parcel is on its way.
CANCELLABLE = frozenset(s for s, nxt in TRANSITIONS.items() if S.CANCELLED in nxt)


def can_transition(current: ReturnStatus, target: ReturnStatus) -> bool:
    return target in TRANSITIONS[current]


def transition(current: ReturnStatus, target: ReturnStatus) -> ReturnStatus:
    """Return `target` if the table allows it, else raise an error naming both states."""
    if not can_transition(current, target):
        raise IllegalTransition(current.value, target.value)
    return target


def event_type(status: ReturnStatus) -> str:
    """The domain event announcing that a return entered `status` (e.g. `return.approved`)."""
    if status in (S.REFUNDED, S.REFUND_FAILED):
        return "refund.succeeded" if status is S.REFUNDED else "refund.failed"
    return f"return.{status.value}"
