"""The policy engine on the shipped default policy: which rules fire, which outcome wins, in words."""

from __future__ import annotations

import random

import pytest

from boomerang.domain.models import Effect, Outcome
from boomerang.domain.money import Money
from boomerang.domain.policy import SHOPIFY_REASONS, Policy, default_policy, facts_for

from .factories import NOW, decision_for, default_document, item, line, message_of, order, rule_ids

POLICY = default_policy()


@pytest.fixture(scope="module")
def policy() -> Policy:
    return POLICY


def test_size_reason_under_50_is_approved_at_once(policy: Policy) -> None:
    the_order = order(line("L1", "45.00", delivered_days_ago=20))
    decision = decision_for(policy, the_order, [item("L1", reason="size_too_small")])
    assert decision.outcome is Outcome.APPROVED
    assert rule_ids(decision) == ["auto_approve_size_under_50"]
    message = message_of(decision, "auto_approve_size_under_50")
    assert "USD 45.00" in message
    assert "USD 50.00" in message
    assert "approved" in message
    assert decision.evidence_required is False
    assert decision.review_required is False
    assert decision.flags == []
    assert decision.policy_version == policy.version
    assert decision.decided_at == NOW


def test_size_threshold_is_strictly_below_50(policy: Policy) -> None:
    just_under = order(line("L1", "49.99", delivered_days_ago=20))
    assert decision_for(policy, just_under, [item(reason="size_too_large")]).outcome is Outcome.APPROVED
    at_limit = order(line("L1", "50.00", delivered_days_ago=20))
    decision = decision_for(policy, at_limit, [item(reason="size_too_large")])
    assert decision.outcome is Outcome.PENDING_REVIEW
    assert rule_ids(decision) == ["no_automatic_approval"]


def test_size_rule_uses_the_return_amount_times_quantity(policy: Policy) -> None:
    the_order = order(line("L1", "20.00", quantity=3, delivered_days_ago=20))
    two = decision_for(policy, the_order, [item("L1", quantity=2)])
    assert two.outcome is Outcome.APPROVED
    assert "USD 40.00" in message_of(two, "auto_approve_size_under_50")
    three = decision_for(policy, the_order, [item("L1", quantity=3)])  # USD 60.00
    assert three.outcome is Outcome.PENDING_REVIEW


def test_mixed_reasons_do_not_count_as_a_size_issue(policy: Policy) -> None:
    the_order = order(line("L1", "20.00", delivered_days_ago=20), line("L2", "20.00", delivered_days_ago=20))
    decision = decision_for(
        policy, the_order, [item("L1", reason="size_too_small"), item("L2", reason="unwanted")]
    )
    assert decision.outcome is Outcome.PENDING_REVIEW
    assert "auto_approve_size_under_50" not in rule_ids(decision)


def test_small_recent_non_electronics_is_approved(policy: Policy) -> None:
    # DESIGN.md: "bought < 14 days ago" -- counted from the order, not the delivery.
    the_order = order(line("L1", "25.00", delivered_days_ago=2), ordered_days_ago=5)
    decision = decision_for(policy, the_order, [item(reason="unwanted")])
    assert decision.outcome is Outcome.APPROVED
    assert rule_ids(decision) == ["auto_approve_small_recent"]
    message = message_of(decision, "auto_approve_small_recent")
    assert "USD 25.00" in message
    assert "USD 30.00" in message
    assert "5 days" in message
    assert "14" in message


@pytest.mark.parametrize(
    ("price", "days", "approved"),
    [
        ("29.99", 13, True),
        ("29.99", 14, False),  # strictly under 14 days
        ("30.00", 13, False),  # strictly under USD 30
        ("5.00", 0, True),
        ("5.00", 29, False),
    ],
)
def test_small_recent_boundaries(policy: Policy, price: str, days: int, approved: bool) -> None:
    the_order = order(line("L1", price, delivered_days_ago=0), ordered_days_ago=days)
    decision = decision_for(policy, the_order, [item(reason="color")])
    assert (decision.outcome is Outcome.APPROVED) is approved
    assert ("auto_approve_small_recent" in rule_ids(decision)) is approved


def test_small_recent_counts_from_the_order_when_never_delivered(policy: Policy) -> None:
    recent = order(line("L1", "25.00", delivered_days_ago=None), ordered_days_ago=3)
    assert decision_for(policy, recent, [item(reason="unwanted")]).outcome is Outcome.APPROVED
    old = order(line("L1", "25.00", delivered_days_ago=None), ordered_days_ago=20)
    assert decision_for(policy, old, [item(reason="unwanted")]).outcome is Outcome.PENDING_REVIEW


def test_unwanted_40_after_20_days_goes_to_review(policy: Policy) -> None:
    the_order = order(line("L1", "40.00", delivered_days_ago=20))
    decision = decision_for(policy, the_order, [item(reason="unwanted")])
    assert decision.outcome is Outcome.PENDING_REVIEW
    assert rule_ids(decision) == ["no_automatic_approval"]
    assert decision.rules[0].effect is Effect.REVIEW
    assert decision.rules[0].message == policy.no_rule_message
    assert decision.review_required is True
    assert decision.evidence_required is False


def test_electronics_go_to_manual_review(policy: Policy) -> None:
    the_order = order(line("L1", "80.00", category="electronics", delivered_days_ago=3))
    decision = decision_for(policy, the_order, [item(reason="defective")])
    assert decision.outcome is Outcome.PENDING_REVIEW
    assert rule_ids(decision) == ["electronics_manual_review"]
    assert "electronics" in message_of(decision, "electronics_manual_review")
    assert decision.review_required is True


def test_review_beats_approve_for_cheap_electronics_with_a_size_reason(policy: Policy) -> None:
    the_order = order(line("L1", "10.00", category="electronics", delivered_days_ago=1))
    decision = decision_for(policy, the_order, [item(reason="size_too_small")])
    assert decision.outcome is Outcome.PENDING_REVIEW
    assert set(rule_ids(decision)) == {"electronics_manual_review", "auto_approve_size_under_50"}
    assert "auto_approve_small_recent" not in rule_ids(decision)  # electronics are excluded there
    assert decision.review_required is True


def test_electronics_among_other_items_still_needs_review(policy: Policy) -> None:
    the_order = order(
        line("L1", "10.00", category="apparel", delivered_days_ago=1),
        line("L2", "10.00", category="electronics", delivered_days_ago=1),
    )
    decision = decision_for(policy, the_order, [item("L1"), item("L2")])
    assert decision.outcome is Outcome.PENDING_REVIEW
    message = message_of(decision, "electronics_manual_review")
    assert "electronics" in message
    assert "apparel" not in message


def test_returning_over_100_needs_evidence(policy: Policy) -> None:
    the_order = order(line("L1", "45.00", delivered_days_ago=5), line("L2", "60.00", delivered_days_ago=5))
    decision = decision_for(
        policy, the_order, [item("L1", reason="size_too_small"), item("L2", reason="size_too_small")]
    )
    assert decision.outcome is Outcome.AWAITING_EVIDENCE
    assert decision.evidence_required is True
    assert decision.review_required is False
    assert rule_ids(decision) == ["evidence_over_100"]
    message = message_of(decision, "evidence_over_100")
    assert "USD 105.00" in message
    assert "USD 100.00" in message
    assert "video" in message


def test_the_evidence_threshold_looks_at_the_value_returned_not_the_order(policy: Policy) -> None:
    # Issue 19: a $20 T-shirt returned from a $150 order needs no unboxing video.
    the_order = order(line("L1", "20.00", delivered_days_ago=5), line("L2", "130.00", delivered_days_ago=5))
    decision = decision_for(policy, the_order, [item("L1", reason="size_too_small")])
    assert decision.outcome is Outcome.APPROVED
    assert "evidence_over_100" not in rule_ids(decision)


def test_a_policy_may_put_the_evidence_threshold_on_the_order_total() -> None:
    document = default_document()
    evidence = next(r for r in document["rules"] if r["rule_id"] == "evidence_over_100")
    evidence["when"] = {"order_total_above": {"USD": 10000}}
    by_total = Policy.model_validate(document)
    the_order = order(line("L1", "20.00", delivered_days_ago=5), line("L2", "130.00", delivered_days_ago=5))
    decision = decision_for(by_total, the_order, [item("L1", reason="size_too_small")])
    assert decision.outcome is Outcome.AWAITING_EVIDENCE
    approve = next(r for r in decision.rules if r.rule_id == "auto_approve_size_under_50")
    assert approve.overridden and approve.overridden_by == "evidence_over_100"


def test_order_over_100_with_electronics_needs_evidence_and_review(policy: Policy) -> None:
    the_order = order(line("L1", "150.00", category="electronics", delivered_days_ago=5))
    decision = decision_for(policy, the_order, [item(reason="defective")])
    assert decision.outcome is Outcome.AWAITING_EVIDENCE
    assert decision.evidence_required is True
    assert decision.review_required is True
    assert set(rule_ids(decision)) == {"evidence_over_100", "electronics_manual_review"}


def test_exactly_100_has_no_evidence_gate(policy: Policy) -> None:
    the_order = order(line("L1", "45.00", delivered_days_ago=5), line("L2", "55.00", delivered_days_ago=5))
    assert the_order.total == Money(amount=10000, currency="USD")
    decision = decision_for(policy, the_order, [item("L1", reason="size_too_small")])
    assert decision.outcome is Outcome.APPROVED
    assert decision.evidence_required is False
    assert "evidence_over_100" not in rule_ids(decision)


def test_one_cent_over_100_has_the_evidence_gate(policy: Policy) -> None:
    the_order = order(line("L1", "45.00", delivered_days_ago=5), line("L2", "55.01", delivered_days_ago=5))
    decision = decision_for(
        policy, the_order, [item("L1", reason="size_too_small"), item("L2", reason="size_too_small")]
    )
    assert decision.outcome is Outcome.AWAITING_EVIDENCE


def test_three_earlier_returns_in_30_days_send_the_next_to_review(policy: Policy) -> None:
    # Issue 19: the customer's earlier returns count, not the one being decided.
    the_order = order(line("L1", "45.00", delivered_days_ago=5))
    decision = decision_for(policy, the_order, [item(reason="size_too_small")], prior_returns_30d=3)
    assert decision.outcome is Outcome.PENDING_REVIEW
    assert decision.flags == ["frequent_returner"]
    assert decision.review_required is True
    assert decision.earlier_returns == 3 and decision.returns_window_days == 30
    assert "frequent_returner_review" in rule_ids(decision)
    approve = next(r for r in decision.rules if r.rule_id == "auto_approve_size_under_50")
    assert approve.overridden and approve.overridden_by == "frequent_returner_review"
    message = message_of(decision, "frequent_returner_review")
    assert "3 earlier returns in the last 30 days" in message
    assert "flag" in message
    assert "never a block" in message


def test_a_frequent_returner_is_never_rejected(policy: Policy) -> None:
    the_order = order(line("L1", "45.00", delivered_days_ago=5))
    for prior in (3, 10, 100):
        decision = decision_for(policy, the_order, [item(reason="size_too_small")], prior_returns_30d=prior)
        assert decision.outcome is Outcome.PENDING_REVIEW
        assert f"{prior} earlier returns" in message_of(decision, "frequent_returner_review")


@pytest.mark.parametrize("prior", [0, 1, 2])
def test_fewer_than_three_returns_are_not_flagged(policy: Policy, prior: int) -> None:
    the_order = order(line("L1", "45.00", delivered_days_ago=5))
    decision = decision_for(policy, the_order, [item(reason="size_too_small")], prior_returns_30d=prior)
    assert decision.flags == []
    assert "frequent_returner_review" not in rule_ids(decision)
    assert decision.outcome is Outcome.APPROVED


def test_eur_thresholds_apply_to_eur_orders(policy: Policy) -> None:
    size = order(line("L1", "45.00", currency="EUR", delivered_days_ago=20), currency="EUR", country="DE")
    decision = decision_for(policy, size, [item(reason="size_too_small")])
    assert decision.outcome is Outcome.APPROVED
    message = message_of(decision, "auto_approve_size_under_50")
    assert "EUR 45.00" in message
    assert "EUR 50.00" in message

    big = order(line("L1", "150.00", currency="EUR", delivered_days_ago=20), currency="EUR", country="DE")
    decision = decision_for(policy, big, [item(reason="size_too_small")])
    assert decision.outcome is Outcome.AWAITING_EVIDENCE
    assert "EUR 100.00" in message_of(decision, "evidence_over_100")


def test_each_currency_has_its_own_threshold(policy: Policy) -> None:
    # GBP 45.00 is the size threshold, so GBP 46 is not approved though USD/EUR 46 would be.
    gbp = order(line("L1", "46.00", currency="GBP", delivered_days_ago=20), currency="GBP", country="GB")
    assert decision_for(policy, gbp, [item(reason="size_too_small")]).outcome is Outcome.PENDING_REVIEW
    usd = order(line("L1", "46.00", delivered_days_ago=20))
    assert decision_for(policy, usd, [item(reason="size_too_small")]).outcome is Outcome.APPROVED


def test_a_currency_without_thresholds_never_auto_approves(policy: Policy) -> None:
    rng = random.Random(756)
    for _ in range(200):
        price = f"{rng.randrange(1, 5000)}.{rng.randrange(100):02d}"
        the_order = order(
            line("L1", price, currency="CHF", delivered_days_ago=rng.randrange(0, 30)),
            currency="CHF",
            country="CH",
        )
        reason = rng.choice(SHOPIFY_REASONS)
        decision = decision_for(policy, the_order, [item(reason=reason)])
        assert decision.outcome is not Outcome.APPROVED
        assert not any(rule.effect is Effect.APPROVE for rule in decision.rules)


def test_the_decision_lists_every_fired_rule_in_policy_order(policy: Policy) -> None:
    the_order = order(
        line("L1", "10.00", category="electronics", delivered_days_ago=2),
        line("L2", "200.00", category="apparel", delivered_days_ago=2),
    )
    decision = decision_for(
        policy,
        the_order,
        [item("L1", reason="size_too_small"), item("L2", reason="size_too_small")],
        prior_returns_30d=5,
    )
    assert rule_ids(decision) == [
        "evidence_over_100",
        "electronics_manual_review",
        "frequent_returner_review",
    ]
    # The review rules wait behind the evidence request: not overridden, they apply once it is in.
    assert not any(rule.overridden for rule in decision.rules)
    assert decision.outcome is Outcome.AWAITING_EVIDENCE
    assert decision.evidence_required is True
    assert decision.review_required is True
    assert decision.flags == ["frequent_returner"]
    for rule in decision.rules:
        assert rule.message.strip()


def test_facts_for_counts_earlier_returns_and_sums_quantities() -> None:
    the_order = order(
        line("L1", "12.50", quantity=4, delivered_days_ago=3),
        line("L2", "7.00", quantity=2, category="shoes", delivered_days_ago=9),
    )
    facts = facts_for(the_order, [item("L1", 3, "color"), item("L2", 1, "unwanted")], 2, NOW)
    assert facts.return_amount == Money(amount=3 * 1250 + 700, currency="USD")
    assert facts.order_total == Money(amount=4 * 1250 + 2 * 700, currency="USD")
    assert facts.reasons == ["color", "unwanted"]
    assert facts.categories == ["apparel", "shoes"]
    assert facts.days_since_delivery == 9  # the oldest delivery decides
    assert facts.earlier_returns_in_30_days == 2  # the request being decided is not counted


def test_messages_never_keep_placeholders_and_outcomes_are_consistent(policy: Policy) -> None:
    """A sweep over many random requests: every message is fully filled in, every outcome follows
    from the effects that fired (reject > evidence > review > approve), and the default never rejects."""
    rng = random.Random(2025)
    categories = ["apparel", "electronics", "shoes", "home", "general"]
    currencies = ["USD", "EUR", "GBP", "CAD", "AUD", "CHF", "JPY"]
    for _ in range(600):
        currency = rng.choice(currencies)
        lines = [
            line(
                f"L{n}",
                str(rng.randrange(1, 20000))
                if currency == "JPY"
                else f"{rng.randrange(0, 300)}.{rng.randrange(100):02d}",
                currency=currency,
                category=rng.choice(categories),
                quantity=rng.randrange(1, 4),
                delivered_days_ago=rng.choice([None, rng.randrange(0, 30)]),
            )
            for n in range(rng.randrange(1, 4))
        ]
        the_order = order(*lines, currency=currency, ordered_days_ago=rng.randrange(30, 40))
        chosen = rng.sample(lines, rng.randrange(1, len(lines) + 1))
        items = [
            item(ln.line_id, rng.randrange(1, ln.quantity + 1), rng.choice(SHOPIFY_REASONS)) for ln in chosen
        ]
        decision = decision_for(policy, the_order, items, prior_returns_30d=rng.randrange(0, 5))

        assert decision.rules, "a decision always explains itself"
        for rule in decision.rules:
            assert "{" not in rule.message and "}" not in rule.message, rule.message
        effects = {rule.effect for rule in decision.rules} - {Effect.SETTLE}
        assert decision.outcome is not Outcome.REJECTED
        assert decision.evidence_required == (Effect.REQUIRE_EVIDENCE in effects)
        if Effect.REQUIRE_EVIDENCE in effects:
            assert decision.outcome is Outcome.AWAITING_EVIDENCE
        elif effects & {Effect.REVIEW, Effect.FLAG}:
            assert decision.outcome is Outcome.PENDING_REVIEW
        else:
            assert effects == {Effect.APPROVE}
            assert decision.outcome is Outcome.APPROVED
        if decision.outcome is Outcome.APPROVED:
            assert not decision.review_required
            assert all(ln.category != "electronics" for ln in chosen)
        if any(ln.category == "electronics" for ln in chosen):
            assert decision.review_required
