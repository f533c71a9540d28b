"""What a draft policy would have decided: the shop's recent returns replayed through the current
policy and through the draft, side by side.

Each return is replayed as it was requested: its items, reasons and resolution, at the moment it was
made, with the order as it is stored and the customer's returns in the 30 days before it. A request
the policy would not even accept (window closed, reason or category not allowed) counts as
`refused`. Plain Python: services/policy_admin.py reads the returns and orders.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from boomerang.domain.errors import Unprocessable
from boomerang.domain.models import Order, Outcome, Return
from boomerang.domain.policy import Policy, RequestedItem, check_request, decide, facts_for

REFUSED = "refused"  # the request would be refused with a 422 before any decision
OUTCOMES: tuple[str, ...] = (*(o.value for o in Outcome), REFUSED)
RECENT = timedelta(days=30)  # as services/decisions.py counts a customer's recent returns


@dataclass(frozen=True)
class Replay:
    outcome: str  # an Outcome value, or REFUSED
    rules: tuple[str, ...]  # the rules that fired, or why the request is refused


@dataclass(frozen=True)
class Flip:
    rma: str
    order_id: str
    created_at: datetime
    before: Replay
    after: Replay


@dataclass(frozen=True)
class Simulation:
    since: datetime
    until: datetime
    considered: int
    before: dict[str, int]  # outcome -> returns, under the current policy
    after: dict[str, int]  # under the draft
    flips: list[Flip]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (rma, why not replayed)


def replay(policy: Policy, order: Order, ret: Return, prior_returns_30d: int) -> Replay:
    """The policy's answer to the request `ret` was made from."""
    items = [RequestedItem(line_id=i.line_id, quantity=i.quantity, reason=i.reason) for i in ret.items]
    # As the order was when the request came: its own units (and later returns') still returnable.
    as_requested = order.model_copy(update={"returned": {}, "removed": {}})
    try:
        check_request(policy, as_requested, items, ret.resolution, ret.created_at)
    except Unprocessable as refused:
        codes = [str(d.get("code")) for d in refused.details] or [refused.code]
        return Replay(REFUSED, tuple(dict.fromkeys(codes)))
    decision = decide(policy, facts_for(order, items, prior_returns_30d, ret.created_at), ret.created_at)
    return Replay(decision.outcome.value, tuple(rule.rule_id for rule in decision.rules))


def prior_counts(returns: Iterable[Return]) -> dict[str, int]:
    """Per RMA, how many returns the same customer made in the 30 days before it (what the
    decision counted), from the returns given: give 30 days more than are replayed."""
    by_customer: dict[str, list[datetime]] = {}
    listed = list(returns)
    for ret in listed:
        by_customer.setdefault(ret.customer_ref, []).append(ret.created_at)
    return {
        ret.rma: sum(
            1 for at in by_customer[ret.customer_ref] if ret.created_at - RECENT <= at < ret.created_at
        )
        for ret in listed
    }


def simulate(
    current: Policy,
    draft: Policy,
    returns: Iterable[Return],
    orders: Mapping[tuple[str, str], Order],
    since: datetime,
    until: datetime,
) -> Simulation:
    """Replay the returns made in [since, until) under both policies. `returns` may reach 30 days
    further back (for the customers' counts); `orders` is keyed by (shop, order_id)."""
    listed = sorted(returns, key=lambda r: (r.created_at, r.rma))
    prior = prior_counts(listed)
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    flips: list[Flip] = []
    skipped: list[tuple[str, str]] = []
    considered = 0
    for ret in listed:
        if not since <= ret.created_at < until:
            continue
        order = orders.get((ret.shop, ret.order_id))
        if order is None:
            skipped.append((ret.rma, "order_not_found"))
            continue
        considered += 1
        was = replay(current, order, ret, prior[ret.rma])
        now = replay(draft, order, ret, prior[ret.rma])
        before[was.outcome] += 1
        after[now.outcome] += 1
        if was.outcome != now.outcome:
            flips.append(Flip(ret.rma, ret.order_id, ret.created_at, was, now))
    return Simulation(
        since=since,
        until=until,
        considered=considered,
        before={o: before[o] for o in OUTCOMES},
        after={o: after[o] for o in OUTCOMES},
        flips=flips,
        skipped=skipped,
    )
