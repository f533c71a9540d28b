"""The decision engine: which rules fire on a return request, which one decides, and the decision in
words a customer or an agent can read.

Pure: it takes the facts of the request (amounts, reasons, categories, days, the customer's earlier
returns and kept orders), the policy, the time and the rates it may convert with. Every rule that
fires is listed; the strongest effect decides (reject > evidence > review > approve), and an approval
a stronger rule overrode is marked overridden, naming the rule that decided, so a return sent to a
person never reads as approved. Payment timing (refund on delivery, on the first carrier scan) is
listed as `settle`: it applies once the return is approved, by whoever approves it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from boomerang.domain.fx import Conversion, Rates
from boomerang.domain.markets import window_start
from boomerang.domain.models import (
    Decision,
    Effect,
    EvidenceCheck,
    FiredRule,
    Order,
    Outcome,
)
from boomerang.domain.money import Money

if TYPE_CHECKING:  # policy.py re-exports this module's engine, so it is imported for types only
    from boomerang.domain.policy import Policy, RequestedItem, When

# The frequent-returner rule counts the customer's earlier returns in this many days.
RETURNS_WINDOW_DAYS = 30
EVIDENCE_CHECKED = "evidence_checked_approval"
STRENGTH = {Effect.APPROVE: 1, Effect.REVIEW: 2, Effect.FLAG: 2, Effect.REQUIRE_EVIDENCE: 3, Effect.REJECT: 4}


class DecisionFacts(BaseModel):
    """What the rules look at, computed once from the order and the request."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    return_amount: Money
    order_total: Money
    reasons: list[str]
    categories: list[str]
    days_since_delivery: int
    days_since_order: int
    # The customer's returns in the last 30 days before this one (this request does not count).
    earlier_returns_in_30_days: int
    # Earlier orders the customer kept (no return on them); None where the history is unknown.
    kept_orders: int | None = None
    country: str | None = None


def facts_for(
    order: Order,
    items: list[RequestedItem],
    earlier_returns_30d: int,
    now: datetime,
    kept_orders: int | None = None,
) -> DecisionFacts:
    amount = Money.zero(order.currency)
    categories: list[str] = []
    days = 0
    for item in items:
        line = order.line(item.line_id)
        if line is None:
            continue
        amount = amount + line.unit_price * item.quantity
        if line.category not in categories:
            categories.append(line.category)
        days = max(days, (now - window_start(order, line)).days)
    return DecisionFacts(
        return_amount=amount,
        order_total=order.total,
        reasons=sorted({item.reason for item in items}),
        categories=categories,
        days_since_delivery=days,
        days_since_order=(now - order.ordered_at).days,
        earlier_returns_in_30_days=earlier_returns_30d,
        kept_orders=kept_orders,
        country=order.customer_country,
    )


class Thresholds:
    """A policy's amount tables read in one currency: the amount pinned in that currency, else the
    base currency's amount converted at the rate given (or one recorded earlier on the decision)."""

    def __init__(
        self,
        base_currency: str,
        currency: str,
        rates: Rates | None = None,
        recorded: Conversion | None = None,
    ):
        self.base = base_currency
        self.currency = currency
        self.rates = rates
        self.recorded = recorded
        self.used: Conversion | None = None

    def _conversion(self) -> Conversion | None:
        if self.recorded is not None and (self.recorded.from_currency, self.recorded.to_currency) == (
            self.base,
            self.currency,
        ):
            return self.recorded
        return self.rates.conversion(self.base, self.currency) if self.rates is not None else None

    def limit(self, table: dict[str, int]) -> Money | None:
        if self.currency in table:
            return Money(amount=table[self.currency], currency=self.currency)
        if self.base not in table:
            return None
        conversion = self._conversion()
        if conversion is None:
            return None
        self.used = conversion
        return conversion.apply(Money(amount=table[self.base], currency=self.base))


class _Context(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fires(when: When, facts: DecisionFacts, ctx: dict[str, str], cautious: bool, limits: Thresholds) -> bool:
    """Whether every condition of `when` holds. Where a money threshold has no amount for the
    order's currency (none pinned, none convertible) the rule cannot compare; a `cautious` rule
    (review, evidence, reject) then fires, and an approving one does not, so a missing threshold
    never waves a return through."""
    checks: list[bool] = []
    for table, money, above in (
        (when.return_amount_below, facts.return_amount, False),
        (when.order_total_above, facts.order_total, True),
        (when.return_amount_above, facts.return_amount, True),
    ):
        if table is None:
            continue
        limit = limits.limit(table)
        if limit is None:
            checks.append(cautious)
            ctx["threshold"] = f"the limit (none is set for {money.currency}, nor a rate to convert one)"
        else:
            checks.append(money.amount > limit.amount if above else money.amount < limit.amount)
            ctx["threshold"] = str(limit)
    if when.reason_in is not None:
        checks.append(all(reason in when.reason_in for reason in facts.reasons))
    if when.category_in is not None:
        hit = [c for c in facts.categories if c in when.category_in]
        checks.append(bool(hit))
        ctx["categories"] = ", ".join(hit)
    if when.category_not_in is not None:
        checks.append(not any(c in when.category_not_in for c in facts.categories))
    if when.days_since_delivery_below is not None:
        checks.append(facts.days_since_delivery < when.days_since_delivery_below)
        ctx["days_limit"] = str(when.days_since_delivery_below)
    if when.days_since_order_below is not None:
        checks.append(facts.days_since_order < when.days_since_order_below)
        ctx["days_limit"] = str(when.days_since_order_below)
    if when.customer_returns_in_30_days_at_least is not None:
        checks.append(facts.earlier_returns_in_30_days >= when.customer_returns_in_30_days_at_least)
    return bool(checks) and all(checks)


def _context(facts: DecisionFacts) -> _Context:
    return _Context(
        return_amount=str(facts.return_amount),
        order_total=str(facts.order_total),
        days=str(facts.days_since_delivery),
        order_days=str(facts.days_since_order),
        count=str(facts.earlier_returns_in_30_days),
        window=str(RETURNS_WINDOW_DAYS),
        kept_orders=str(facts.kept_orders or 0),
        reasons=", ".join(facts.reasons),
    )


def trusted(policy: Policy, facts: DecisionFacts, flags: list[str]) -> bool:
    """A trusted customer: enough earlier orders kept, and no flag raised on this request."""
    kept = facts.kept_orders
    return kept is not None and kept >= policy.automation.trusted_min_kept_orders and not flags


def _within(limits: Thresholds, table: dict[str, int] | None, amount: Money) -> tuple[bool, str]:
    if table is None:
        return True, ""
    limit = limits.limit(table)
    return (limit is not None and amount.amount <= limit.amount), str(limit) if limit else ""


def decide(policy: Policy, facts: DecisionFacts, now: datetime, rates: Rates | None = None) -> Decision:
    """Apply every rule; the strongest effect decides: reject > evidence > review > approve."""
    limits = Thresholds(policy.base_currency, facts.return_amount.currency, rates)
    fired: list[FiredRule] = []
    flags: list[str] = []
    for rule in policy.rules:
        ctx = _context(facts)
        if _fires(rule.when, facts, ctx, cautious=rule.effect is not Effect.APPROVE, limits=limits):
            fired.append(
                FiredRule(rule_id=rule.rule_id, effect=rule.effect, message=rule.message.format_map(ctx))
            )
            if rule.flag:
                flags.append(rule.flag)
    options = policy.automation
    is_trusted = trusted(policy, facts, flags)
    if options.trusted_customers is not None and is_trusted:
        ok, limit = _within(limits, options.trusted_customers.approve_up_to, facts.return_amount)
        if ok:
            ctx = _context(facts)
            ctx["threshold"] = limit
            fired.append(
                FiredRule(
                    rule_id="trusted_customer",
                    effect=Effect.APPROVE,
                    message=options.trusted_customers.message.format_map(ctx),
                )
            )
    effects = {rule.effect for rule in fired}
    review = Effect.REVIEW in effects or Effect.FLAG in effects
    if Effect.REJECT in effects:
        outcome = Outcome.REJECTED
    elif Effect.REQUIRE_EVIDENCE in effects:
        outcome = Outcome.AWAITING_EVIDENCE
    elif review:
        outcome = Outcome.PENDING_REVIEW
    elif Effect.APPROVE in effects:
        outcome = Outcome.APPROVED
    else:
        outcome = Outcome.PENDING_REVIEW
        review = True
        fired.append(
            FiredRule(rule_id="no_automatic_approval", effect=Effect.REVIEW, message=policy.no_rule_message)
        )
    fired = _mark_overridden(fired, outcome)

    if outcome is Outcome.AWAITING_EVIDENCE and options.evidence_checked_approval is not None:
        ok, _limit = _within(limits, options.evidence_checked_approval.up_to, facts.return_amount)
        if ok and not review and not flags:
            kinds = " and ".join(k.value for k in options.evidence_checked_approval.kinds)
            fired.append(
                FiredRule(
                    rule_id=EVIDENCE_CHECKED,
                    effect=Effect.SETTLE,
                    message=(
                        f"Once the {kinds} is uploaded and its check passes, the return is approved "
                        "with no one needing to look, since no rule asks for a person."
                    ),
                )
            )
    on_delivery = on_first_scan = False
    if outcome is not Outcome.REJECTED and policy.refund_on_delivery is not None:
        on_delivery = _fires(policy.refund_on_delivery, facts, _Context(), cautious=False, limits=limits)
        if on_delivery:
            fired.append(
                FiredRule(
                    rule_id="refund_on_delivery",
                    effect=Effect.SETTLE,
                    message=(
                        f"{facts.return_amount} is settled when the carrier confirms delivery, "
                        "without waiting for inspection."
                    ),
                )
            )
    first_scan = options.refund_on_first_scan
    if outcome is not Outcome.REJECTED and first_scan is not None and is_trusted:
        ok, _limit = _within(limits, first_scan.up_to, facts.return_amount)
        if ok and not any(c in first_scan.category_not_in for c in facts.categories):
            # Paid at the first scan, or at delivery where the carrier reports no scan before it.
            on_first_scan = on_delivery = True
            fired.append(
                FiredRule(
                    rule_id="refund_on_first_scan",
                    effect=Effect.SETTLE,
                    message=(
                        f"The customer kept {facts.kept_orders} earlier orders and carries no flag, so "
                        f"{facts.return_amount} is refunded at the carrier's first scan of the parcel."
                    ),
                )
            )
    return Decision(
        outcome=outcome,
        rules=fired,
        refund_on_delivery=on_delivery,
        refund_on_first_scan=on_first_scan,
        policy_version=policy.version,
        evidence_required=Effect.REQUIRE_EVIDENCE in effects,
        review_required=review,
        flags=flags,
        decided_at=now,
        decided_by=f"policy:v{policy.version}",
        policy_outcome=outcome,
        market=policy.applied_market(policy.market_for(facts.country)),
        exchange_rate=limits.used,
        earlier_returns=facts.earlier_returns_in_30_days,
        returns_window_days=RETURNS_WINDOW_DAYS,
        kept_orders=facts.kept_orders,
    )


def _mark_overridden(fired: list[FiredRule], outcome: Outcome) -> list[FiredRule]:
    """Mark each rule that fired but did not decide. A review rule waiting behind an evidence
    request is not overridden (it applies once the evidence is in); everything weaker than the
    deciding rule otherwise is."""
    strongest = max((STRENGTH[r.effect] for r in fired if r.effect in STRENGTH), default=0)
    deciding = next((r.rule_id for r in fired if STRENGTH.get(r.effect) == strongest), None)
    marked: list[FiredRule] = []
    for rule in fired:
        strength = STRENGTH.get(rule.effect, 0)
        waiting = outcome is Outcome.AWAITING_EVIDENCE and rule.effect in (Effect.REVIEW, Effect.FLAG)
        if 0 < strength < strongest and not waiting:
            rule = rule.model_copy(update={"overridden": True, "overridden_by": deciding})
        marked.append(rule)
    return marked


# --- after the evidence ----------------------------------------------------------------------------


def after_evidence(
    policy: Policy, decision: Decision, check: EvidenceCheck | None, amount: Money, now: datetime
) -> tuple[Decision, str]:
    """The evidence is in: approved with no person where the policy's evidence-checked approval is
    on, the check passed, no rule asks for a person and no flag was raised (and the value is within
    its limit); else a member of staff reviews it. (the updated decision, what the timeline says)"""
    option = policy.automation.evidence_checked_approval
    why_not: list[str] = []
    if option is None:
        why_not.append("the policy has staff review evidence")
    else:
        if check is None or not check.passed:
            findings = ", ".join(check.findings) if check and check.findings else "no check result"
            why_not.append(f"the evidence check did not pass ({findings})")
        if decision.review_required:
            asking = [r.rule_id for r in decision.rules if r.effect in (Effect.REVIEW, Effect.FLAG)]
            why_not.append(f"{', '.join(asking) or 'a rule'} asks for a person")
        if decision.flags:
            why_not.append(f"flagged: {', '.join(decision.flags)}")
        limits = Thresholds(policy.base_currency, amount.currency, recorded=decision.exchange_rate)
        ok, limit = _within(limits, option.up_to, amount)
        if not ok:
            why_not.append(
                f"{amount} is over the limit for approval by evidence check ({limit or 'none set'})"
            )
    if why_not:
        updated = decision.model_copy(
            update={"outcome": Outcome.PENDING_REVIEW, "decided_by": f"policy:v{policy.version}"}
        )
        return updated, "Evidence received; a member of staff reviews it, since " + "; ".join(why_not) + "."
    basis = check.basis if check else "metadata"
    rule = FiredRule(
        rule_id="evidence_checked_approval",
        effect=Effect.APPROVE,
        message=(
            f"The evidence was uploaded and its check ({basis}) passed, no rule asks for a person and "
            "no flag was raised, so the return is approved with no one needing to look."
        ),
    )
    rules = [r for r in decision.rules if r.rule_id != "evidence_checked_approval"]
    updated = decision.model_copy(
        update={
            "outcome": Outcome.APPROVED,
            "rules": [*rules, rule],
            "decided_by": f"policy:v{policy.version}",
            "decided_at": now,
        }
    )
    return updated, f"Approved by evidence check: {rule.message}"


# --- in words --------------------------------------------------------------------------------------


def explain(decision: Decision) -> str:
    """The decision as the timeline says it: what decided, what was overridden and by which rule,
    what applies once approved, and which market's terms and which exchange rate were used."""
    deciding = [r for r in decision.rules if not r.overridden and r.effect is not Effect.SETTLE]
    overridden = [r for r in decision.rules if r.overridden]
    settle = [r for r in decision.rules if r.effect is Effect.SETTLE and r.rule_id != EVIDENCE_CHECKED]
    checked = [
        r.message for r in decision.rules if r.effect is Effect.SETTLE and r.rule_id == EVIDENCE_CHECKED
    ]
    by_effect = {
        effect: [r.message for r in deciding if r.effect is effect]
        for effect in (Effect.REJECT, Effect.REQUIRE_EVIDENCE, Effect.REVIEW, Effect.FLAG, Effect.APPROVE)
    }
    parts: list[str] = []
    outcome = decision.outcome
    if outcome is Outcome.REJECTED:
        parts.append("Rejected: " + " ".join(by_effect[Effect.REJECT]))
    elif outcome is Outcome.AWAITING_EVIDENCE:
        parts.append(
            "Evidence needed before approval: " + " ".join(by_effect[Effect.REQUIRE_EVIDENCE] + checked)
        )
        later = by_effect[Effect.REVIEW] + by_effect[Effect.FLAG]
        if later:
            parts.append("Then a member of staff decides: " + " ".join(later))
    elif outcome is Outcome.PENDING_REVIEW:
        parts.append(
            "Sent to a member of staff: " + " ".join(by_effect[Effect.REVIEW] + by_effect[Effect.FLAG])
        )
    else:
        parts.append("Approved: " + " ".join(by_effect[Effect.APPROVE]))
    if overridden:
        parts.append(
            "Overridden, so not applied: "
            + " ".join(f"[{r.rule_id}, overridden by {r.overridden_by}] {r.message}" for r in overridden)
        )
    if settle:
        parts.append("Once approved: " + " ".join(r.message for r in settle))
    if decision.market is not None and decision.market.market_id is not None:
        market = decision.market
        parts.append(f"{market.name} terms applied: {market.window_days} days from {market.window_from}.")
    if decision.exchange_rate is not None:
        parts.append(f"Thresholds converted at {decision.exchange_rate.describe()}.")
    return " ".join(parts)
