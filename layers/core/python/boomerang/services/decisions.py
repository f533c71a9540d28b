"""The decision on a return request: one function, used by the storefront in the request and by
the workflow's decide step, so both apply the same policy code the same way."""

from __future__ import annotations

from datetime import datetime, timedelta

from boomerang.domain.models import Decision, Order, Outcome
from boomerang.domain.policy import Policy, RequestedItem, decide, facts_for
from boomerang.domain.status import ReturnStatus, transition
from boomerang.store.records import CustomerSummary, iso

RECENT_WINDOW = timedelta(days=30)
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


def decide_request(
    policy: Policy, order: Order, items: list[RequestedItem], prior_returns_30d: int, now: datetime
) -> tuple[Decision, ReturnStatus]:
    """The policy's decision and the status a requested return moves to (checked by the status table)."""
    decision = decide(policy, facts_for(order, items, prior_returns_30d, now), now)
    return decision, transition(ReturnStatus.REQUESTED, OUTCOME_STATUS[decision.outcome])
