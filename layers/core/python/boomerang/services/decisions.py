"""The decision on a return request: one function, used by the storefront in the request and by
the workflow's decide step, so both apply the same policy code the same way."""

from __future__ import annotations

from datetime import datetime, timedelta

from boomerang.domain.decision import RETURNS_WINDOW_DAYS, decide, facts_for
from boomerang.domain.fx import Rates
from boomerang.domain.models import Decision, Order, Outcome
from boomerang.domain.policy import Policy, RequestedItem
from boomerang.domain.status import ReturnStatus, transition
from boomerang.store.records import CustomerSummary, iso

RECENT_WINDOW = timedelta(days=RETURNS_WINDOW_DAYS)
OUTCOME_STATUS = {
    Outcome.APPROVED: ReturnStatus.APPROVED,
    Outcome.PENDING_REVIEW: ReturnStatus.PENDING_REVIEW,
    Outcome.AWAITING_EVIDENCE: ReturnStatus.AWAITING_EVIDENCE,
    Outcome.REJECTED: ReturnStatus.REJECTED,
}


def recent_returns(
    customer: CustomerSummary, now: datetime, excluding: str | None = None
) -> list[dict[str, str]]:
    """The customer's returns of the last 30 days (other than `excluding`)."""
    since = iso(now - RECENT_WINDOW)
    return [e for e in customer.recent if e["at"] >= since and e["rma"] != excluding]


def kept_orders(customer: CustomerSummary, order_id: str) -> int:
    """The customer's other orders that had no return: orders counted minus those with a return
    (and minus this one, which is being returned now)."""
    returned = set(customer.returned_orders) | {order_id}
    return max(0, customer.orders - len(returned)) if customer.orders else 0


def decide_request(
    policy: Policy,
    order: Order,
    items: list[RequestedItem],
    earlier_returns_30d: int,
    now: datetime,
    rates: Rates | None = None,
    kept: int | None = None,
) -> tuple[Decision, ReturnStatus]:
    """The policy's decision and the status a requested return moves to (checked by the status table).
    `earlier_returns_30d` counts the customer's returns before this one."""
    decision = decide(policy, facts_for(order, items, earlier_returns_30d, now, kept), now, rates)
    return decision, transition(ReturnStatus.REQUESTED, OUTCOME_STATUS[decision.outcome])
