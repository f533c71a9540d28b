"""Measured automation (issue 19): the share of returns decided and paid with no staff action, on a
generated mix resembling a cross-border apparel-and-electronics store, under the default policy and
with each automation option on; which rules sent the rest to a person; and whether the risk rules
still hold (electronics to a person, a video over $100, frequent returners reviewed).

    .venv/bin/python -m bench.automation        (also run by `make bench`; rewrites its section of
                                                 docs/PERFORMANCE.md in place)

Every return is decided by the code the services run: `boomerang.domain.decision.decide` on the
facts `facts_for` computes from the generated order (the customer's earlier returns and kept orders
as the customer record gives them), at the recorded ECB rates; a return that asked for a video then
goes through `after_evidence`, as the workflow's evidence step does, with the evidence check the
customer's upload would get. What comes after an automatic approval needs nobody: the label, the
carrier's scans, the refund (on the first scan, on delivery, or after the warehouse's grading, which
is physical work and does not count as a decision), so "decided with no person" is also "decided and
paid with no person", unless the payment provider refuses the refund (none does here).
"""

from __future__ import annotations

import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from boomerang.domain.decision import after_evidence, decide, facts_for
from boomerang.domain.fx import Rates, parse_ecb_daily
from boomerang.domain.models import Decision, Effect, EvidenceCheck, Order, OrderLine, Outcome
from boomerang.domain.money import Money, exponent
from boomerang.domain.policy import Policy, RequestedItem, default_policy
from local.demo.data import RECORDED_RATES

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "PERFORMANCE.md"
BEGIN, END = "<!-- bench:automation -->", "<!-- /bench:automation -->"
RETURNS = 1000
SEED = 19
NOW = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)  # the recorded rates' week

# The mix. Shares in percent; prices in USD before conversion to the customer's currency.
CATEGORIES = {"apparel": 65, "shoes": 10, "home": 10, "electronics": 15}
PRICES = {  # (share, low, high) in USD
    "apparel": [(70, 15, 60), (25, 60, 120), (5, 120, 250)],
    "shoes": [(40, 40, 90), (50, 90, 160), (10, 160, 250)],
    "home": [(60, 15, 60), (30, 60, 150), (10, 150, 300)],
    "electronics": [(50, 20, 100), (35, 100, 300), (15, 300, 900)],
}
WEARABLE_REASONS = {
    "size_too_small": 22, "size_too_large": 22, "style": 12, "color": 8, "unwanted": 16,
    "not_as_described": 10, "defective": 5, "wrong_item": 5,
}  # fmt: skip
REASONS = {
    "apparel": WEARABLE_REASONS,
    "shoes": WEARABLE_REASONS,
    "home": {
        "unwanted": 35,
        "not_as_described": 20,
        "defective": 20,
        "wrong_item": 10,
        "style": 10,
        "color": 5,
    },
    "electronics": {"defective": 40, "unwanted": 25, "not_as_described": 20, "wrong_item": 10, "other": 5},
}
MARKETS = {  # country: (share, currency)
    "US": (45, "USD"), "DE": (15, "EUR"), "FR": (10, "EUR"), "GB": (15, "GBP"), "AU": (10, "AUD"),
    "JP": (5, "JPY"),
}  # fmt: skip
# Earlier returns in the last 30 days, and earlier orders kept (no return on them).
EARLIER_RETURNS = {0: 70, 1: 15, 2: 9, 3: 4, 5: 2}
KEPT_ORDERS = {0: 30, 1: 15, 2: 10, 3: 15, 5: 12, 10: 12, 25: 6}
QUANTITY = {1: 90, 2: 10}
# Of the customers asked for a video: a plausible one, none (the request expires), an implausible one.
UPLOAD = {"plausible": 85, "none": 10, "implausible": 5}

OPTIONS: dict[str, dict[str, Any]] = {
    "default policy (no option)": {},
    "+ trusted customers (3 kept orders, up to USD 150)": {
        "trusted_customers": {"approve_up_to": {"USD": 15000}}
    },
    "+ evidence-checked approval": {"evidence_checked_approval": {}},
    "+ refund on the first carrier scan": {"refund_on_first_scan": {}},
    "all three options": {
        "trusted_customers": {"approve_up_to": {"USD": 15000}},
        "evidence_checked_approval": {},
        "refund_on_first_scan": {},
    },
    # How far trust reaches: the same options with one kept order enough.
    "all three, trusted from 1 kept order": {
        "trusted_min_kept_orders": 1,
        "trusted_customers": {"approve_up_to": {"USD": 15000}},
        "evidence_checked_approval": {},
        "refund_on_first_scan": {},
    },
}


def _pick(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@dataclass(frozen=True)
class Case:
    order: Order
    items: list[RequestedItem]
    earlier_returns: int
    kept_orders: int
    upload: str
    usd_value: Decimal  # the value returned, in USD (for the risk checks)
    category: str


def generate(n: int = RETURNS, seed: int = SEED) -> list[Case]:
    rng = random.Random(seed)
    rates = Rates(parse_ecb_daily(RECORDED_RATES.read_bytes()))
    cases: list[Case] = []
    for i in range(n):
        category = _pick(rng, CATEGORIES)
        share = rng.choices(PRICES[category], weights=[p[0] for p in PRICES[category]])[0]
        usd = Decimal(rng.randrange(share[1] * 100, share[2] * 100)) / 100
        country = _pick(rng, {c: v[0] for c, v in MARKETS.items()})
        currency = MARKETS[country][1]
        conversion = rates.conversion("USD", currency)
        price = Money(amount=int(usd * 100), currency="USD")
        if conversion is not None:
            price = conversion.apply(price)
            if exponent(currency) == 2:  # shelf prices end in .00 or .99 here too
                price = Money(amount=price.amount // 100 * 100 + rng.choice([0, 99]), currency=currency)
        quantity = _pick(rng, QUANTITY)
        delivered = NOW - timedelta(days=rng.randrange(1, 14 if country in ("DE", "FR", "GB") else 29))
        line = OrderLine(
            line_id="L1",
            sku=f"SKU-{i}",
            category=category,
            quantity=quantity,
            unit_price=price,
            delivered_at=delivered,
        )
        order = Order(
            shop="bench",
            order_id=f"o{i}",
            order_number=f"#{i}",
            customer_email=f"c{i}@example.com",
            customer_country=country,
            currency=currency,
            ordered_at=delivered - timedelta(days=rng.randrange(2, 8)),
            lines=[line],
        )
        items = [RequestedItem(line_id="L1", quantity=quantity, reason=_pick(rng, REASONS[category]))]
        cases.append(
            Case(
                order=order,
                items=items,
                earlier_returns=_pick(rng, EARLIER_RETURNS),
                kept_orders=_pick(rng, KEPT_ORDERS),
                upload=_pick(rng, UPLOAD),
                usd_value=usd * quantity,
                category=category,
            )
        )
    return cases


@dataclass
class Tally:
    returns: int = 0
    automatic: int = 0
    to_person: int = 0
    expired: int = 0
    paid_first_scan: int = 0
    paid_on_delivery: int = 0
    sent_by: Counter[str] = field(default_factory=Counter)
    only_reason: Counter[str] = field(default_factory=Counter)
    violations: Counter[str] = field(default_factory=Counter)

    def share(self, n: int) -> str:
        return f"{100 * n / self.returns:.1f}%"


def _person_reasons(decision: Decision) -> list[str]:
    return [
        r.rule_id for r in decision.rules if r.effect in (Effect.REVIEW, Effect.FLAG) and not r.overridden
    ]


def video_line(policy: Policy, rates: Rates, currency: str) -> int:
    """USD 100 in the return's currency: the default's pinned amount (EUR 100, GBP 100, AUD 150...)
    or USD 100 at the day's rate, in minor units; checked independently of the rule that uses it."""
    pinned = {"USD": 10000, "EUR": 10000, "GBP": 10000, "CAD": 13500, "AUD": 15000}
    if currency in pinned:
        return pinned[currency]
    conversion = rates.conversion("USD", currency)
    assert conversion is not None
    return conversion.apply(Money(amount=10000, currency="USD")).amount


def run(policy: Policy, cases: list[Case]) -> Tally:
    rates = Rates(parse_ecb_daily(RECORDED_RATES.read_bytes()), policy.fx_rates)
    tally = Tally()
    for case in cases:
        tally.returns += 1
        facts = facts_for(case.order, case.items, case.earlier_returns, NOW, case.kept_orders)
        decision = decide(policy, facts, NOW, rates)
        asked_video = decision.evidence_required
        reasons: list[str] = []
        if decision.outcome is Outcome.AWAITING_EVIDENCE:
            if case.upload == "none":
                tally.expired += 1
                continue
            check = EvidenceCheck(
                passed=case.upload == "plausible",
                basis="content",
                findings=[] if case.upload == "plausible" else ["too_short"],
                checked_at=NOW,
            )
            decision, _words = after_evidence(policy, decision, check, facts.return_amount, NOW)
            if decision.outcome is not Outcome.APPROVED:
                reasons = _person_reasons(decision) or (
                    ["evidence_check_failed"]
                    if case.upload != "plausible"
                    else ["evidence_reviewed_by_staff"]
                )
        elif decision.outcome is not Outcome.APPROVED:
            reasons = _person_reasons(decision)
        automatic = decision.outcome is Outcome.APPROVED
        if automatic:
            tally.automatic += 1
            tally.paid_first_scan += decision.refund_on_first_scan
            tally.paid_on_delivery += decision.refund_on_delivery and not decision.refund_on_first_scan
        else:
            tally.to_person += 1
            for reason in reasons:
                tally.sent_by[reason] += 1
            if len(reasons) == 1:
                tally.only_reason[reasons[0]] += 1
        # The risk rules, checked on what happened rather than on what the rules say.
        if automatic and case.category == "electronics":
            tally.violations["electronics decided with no person"] += 1
        if facts.return_amount.amount > video_line(policy, rates, case.order.currency) and not asked_video:
            tally.violations["over the video threshold without a video"] += 1
        if automatic and case.earlier_returns >= 3:
            tally.violations["frequent returner decided with no person"] += 1
    return tally


def measure() -> tuple[list[Case], dict[str, Tally]]:
    cases = generate()
    base = default_policy().model_dump(mode="json")
    results = {}
    for name, options in OPTIONS.items():
        policy = Policy.model_validate({**base, "automation": options})
        results[name] = run(policy, cases)
    return cases, results


def _table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def _mix(cases: list[Case]) -> str:
    n = len(cases)

    def shares(counter: Counter[Any]) -> str:
        return ", ".join(f"{key} {100 * count / n:.0f}%" for key, count in counter.most_common())

    values = sorted(float(c.usd_value) for c in cases)
    over_100 = sum(1 for v in values if v > 100)
    return "\n".join(
        [
            f"- {n} returns, seed {SEED}, decided on {NOW:%Y-%m-%d} at the recorded ECB rates of 2024-06-28.",
            f"- Category: {shares(Counter(c.category for c in cases))}.",
            f"- Market (country, currency): {shares(Counter(c.order.customer_country for c in cases))}; "
            "USD, EUR, GBP, AUD and JPY (JPY thresholds converted, the others pinned in the default policy).",
            f"- Value returned (USD): median {values[n // 2]:.2f}, 90th percentile "
            f"{values[n * 9 // 10]:.2f}; {100 * over_100 / n:.0f}% over USD 100. Prices per category: "
            f"{_prices()}; one unit (90%) or two.",
            "- Reason: apparel and shoes mostly size (44%), style or colour (20%), unwanted (16%), not as "
            "described, defective or wrong item (20%); home mostly unwanted (35%); electronics mostly "
            "defective (40%).",
            f"- History: earlier returns in 30 days {_dist(EARLIER_RETURNS)}; earlier orders kept "
            f"{_dist(KEPT_ORDERS)}.",
            "- Delivered 1-13 days before the request in the EU and UK (their 14-day window), 1-28 "
            f"elsewhere. Asked for a video: {_dist(UPLOAD)}.",
        ]
    )


def _dist(weights: dict[Any, int]) -> str:
    return ", ".join(f"{key}: {share}%" for key, share in weights.items())


def _prices() -> str:
    return "; ".join(
        f"{cat} " + ", ".join(f"{share}% {low}-{high}" for share, low, high in bands)
        for cat, bands in PRICES.items()
    )


def section(cases: list[Case], results: dict[str, Tally]) -> str:
    rows = []
    for name, t in results.items():
        held = "all hold" if not t.violations else "; ".join(f"{k}: {v}" for k, v in t.violations.items())
        rows.append(
            [
                name,
                t.share(t.automatic),
                t.share(t.to_person),
                t.share(t.expired),
                t.share(t.paid_first_scan),
                held,
            ]
        )
    rules = sorted({rule for t in results.values() for rule in t.sent_by})
    by_rule = [
        [rule] + [f"{t.sent_by[rule]} ({t.only_reason[rule]} alone)" for t in results.values()]
        for rule in rules
    ]
    goal = results["all three options"]
    return "\n\n".join(
        [
            BEGIN,
            "## Automation: returns decided and paid with no staff action",
            "Measured by `python -m bench.automation` (also part of `make bench`) with the policy engine the "
            "services run (`domain/decision.py`: `decide`, then `after_evidence` where a video was asked "
            "for). Decided with no person means approved by the policy, or by the evidence check; what "
            "follows an approval needs nobody (label, carrier scans, refund at the first scan, on "
            "delivery or after the warehouse's grading, which is physical work), so it is also paid with "
            "no person. Expired: asked for a video, the customer sent none.",
            "The generated mix (bench/automation.py), a cross-border apparel-and-electronics store:",
            _mix(cases),
            _table(
                [
                    "policy",
                    "decided and paid, no person",
                    "to a person",
                    "expired (no video)",
                    "paid at the first scan",
                    "risk rules (electronics, video over $100, frequent returners)",
                ],
                rows,
            ),
            "Which rules sent returns to a person (returns per rule; a return may have several):",
            _table(["rule", *results], by_rule),
            f"With all three options on, {goal.share(goal.automatic)} of returns are decided and paid with "
            "no person while every risk rule holds. The ceiling under those rules is what they keep: "
            f"electronics are {100 * sum(c.category == 'electronics' for c in cases) / len(cases):.0f}% of "
            f"the mix, frequent returners (3+ earlier returns) "
            f"{100 * sum(c.earlier_returns >= 3 for c in cases) / len(cases):.0f}%, and customers who never "
            "send the video they were asked for expire rather than reach anyone. The risk checks are made "
            "on the outcomes (an electronics return or a frequent returner approved with no person, a "
            "return over USD 100 never asked for a video), not on the rules' own words.",
            END,
        ]
    )


def write(text: str) -> None:
    doc = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Performance\n"
    if BEGIN in doc and END in doc:
        before, rest = doc.split(BEGIN, 1)
        after = rest.split(END, 1)[1]
        doc = before + text + after
    else:
        doc = doc.rstrip("\n") + "\n\n" + text + "\n"
    DOC.write_text(doc, encoding="utf-8")


def main() -> None:
    cases, results = measure()
    text = section(cases, results)
    print(text)
    if "--no-write" not in sys.argv:
        write(text)
        print(f"\nWritten to {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
