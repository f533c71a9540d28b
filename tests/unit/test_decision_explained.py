"""Decisions say what they decided (issue 13, item 9): a return sent to a person lists the approval
rules that fired as overridden, naming the rule that decided, in the API's rules and on the timeline's
words; the automation options (off by default) approve only where no risk rule sends it elsewhere."""

from __future__ import annotations

from datetime import timedelta

from boomerang.domain.automation import metadata_check
from boomerang.domain.decision import after_evidence, decide, explain, facts_for
from boomerang.domain.evidence import Evidence, EvidenceKind
from boomerang.domain.models import Effect, EvidenceCheck, Outcome
from boomerang.domain.money import Money
from boomerang.domain.policy import Policy, default_policy

from .factories import NOW, decision_for, default_document, item, line, order, rule_ids

POLICY = default_policy()


def _with_automation(**options: object) -> Policy:
    document = default_document()
    document["automation"] = options
    return Policy.model_validate(document)


TRUSTED = {"approve_up_to": {"USD": 15000}}


def test_a_reviewed_return_never_reads_as_approved() -> None:
    cheap_headphones = order(
        line("L1", "20.00", category="electronics", delivered_days_ago=2), ordered_days_ago=3
    )
    decision = decision_for(POLICY, cheap_headphones, [item(reason="size_too_small")])
    assert decision.outcome is Outcome.PENDING_REVIEW
    assert (
        decision.decided_by == f"policy:v{POLICY.version}"
        and decision.policy_outcome is Outcome.PENDING_REVIEW
    )
    approvals = [r for r in decision.rules if r.effect is Effect.APPROVE]
    assert [r.rule_id for r in approvals] == ["auto_approve_size_under_50"]
    assert all(r.overridden and r.overridden_by == "electronics_manual_review" for r in approvals)
    review = next(r for r in decision.rules if r.rule_id == "electronics_manual_review")
    assert not review.overridden
    words = explain(decision)
    assert words.startswith("Sent to a member of staff: Consumer electronics")
    assert (
        "Overridden, so not applied: [auto_approve_size_under_50, overridden by electronics_manual_review]"
        in words
    )


def test_an_approval_reads_as_approved_and_names_its_rules() -> None:
    decision = decision_for(POLICY, order(line("L1", "45.00", delivered_days_ago=3)), [item()])
    assert explain(decision).startswith("Approved: A size exchange or return worth USD 45.00")
    assert not any(r.overridden for r in decision.rules)


def test_refund_timing_is_listed_apart_and_never_as_an_approval() -> None:
    decision = decision_for(
        POLICY, order(line("L1", "20.00", category="electronics", delivered_days_ago=2)), [item()]
    )
    timing = [r for r in decision.rules if r.rule_id == "refund_on_delivery"]
    assert timing == []  # electronics are excluded from refund on delivery
    apparel = decision_for(
        POLICY, order(line("L1", "20.00", delivered_days_ago=2)), [item(reason="defective")]
    )
    settle = next(r for r in apparel.rules if r.rule_id == "refund_on_delivery")
    assert settle.effect is Effect.SETTLE
    assert "Once approved: USD 20.00 is settled when the carrier confirms delivery" in explain(apparel)


def test_the_options_are_off_by_default() -> None:
    options = POLICY.automation
    assert (options.trusted_customers, options.evidence_checked_approval, options.refund_on_first_scan) == (
        None,
        None,
        None,
    )
    history = facts_for(
        order(line("L1", "80.00", delivered_days_ago=20)), [item(reason="unwanted")], 0, NOW, kept_orders=50
    )
    assert decide(POLICY, history, NOW).outcome is Outcome.PENDING_REVIEW


def test_a_trusted_customer_is_approved_up_to_the_value_the_policy_sets() -> None:
    policy = _with_automation(trusted_customers=TRUSTED)
    the_order = order(line("L1", "80.00", delivered_days_ago=20), line("L2", "151.00", delivered_days_ago=20))
    trusted = decide(
        policy, facts_for(the_order, [item("L1", reason="unwanted")], 0, NOW, kept_orders=3), NOW
    )
    assert trusted.outcome is Outcome.APPROVED and rule_ids(trusted) == ["trusted_customer"]
    assert "kept 3 earlier orders" in trusted.rules[0].message and "USD 150.00" in trusted.rules[0].message
    assert trusted.kept_orders == 3
    new = decide(policy, facts_for(the_order, [item("L1", reason="unwanted")], 0, NOW, kept_orders=2), NOW)
    assert new.outcome is Outcome.PENDING_REVIEW
    over = decide(policy, facts_for(the_order, [item("L2", reason="unwanted")], 0, NOW, kept_orders=9), NOW)
    assert over.outcome is Outcome.AWAITING_EVIDENCE  # over $100: the video rule still holds


def test_trust_never_outranks_a_risk_rule() -> None:
    policy = _with_automation(trusted_customers=TRUSTED)
    gadget = order(line("L1", "60.00", category="electronics", delivered_days_ago=5))
    decision = decide(policy, facts_for(gadget, [item(reason="unwanted")], 0, NOW, kept_orders=20), NOW)
    assert decision.outcome is Outcome.PENDING_REVIEW
    assert next(r for r in decision.rules if r.rule_id == "trusted_customer").overridden
    frequent = order(line("L1", "60.00", delivered_days_ago=5))
    flagged = decide(policy, facts_for(frequent, [item(reason="unwanted")], 3, NOW, kept_orders=20), NOW)
    assert flagged.outcome is Outcome.PENDING_REVIEW and "trusted_customer" not in rule_ids(flagged)


def test_refund_on_the_first_scan_for_trusted_customers_only() -> None:
    policy = _with_automation(refund_on_first_scan={})
    the_order = order(line("L1", "45.00", delivered_days_ago=5))
    trusted = decide(policy, facts_for(the_order, [item()], 0, NOW, kept_orders=4), NOW)
    assert trusted.refund_on_first_scan and trusted.refund_on_delivery
    assert next(r for r in trusted.rules if r.rule_id == "refund_on_first_scan").effect is Effect.SETTLE
    stranger = decide(policy, facts_for(the_order, [item()], 0, NOW, kept_orders=0), NOW)
    assert not stranger.refund_on_first_scan
    gadget = order(line("L1", "45.00", category="electronics", delivered_days_ago=5))
    assert not decide(policy, facts_for(gadget, [item()], 0, NOW, kept_orders=9), NOW).refund_on_first_scan


def _video(size: int, content_type: str = "video/mp4") -> Evidence:
    return Evidence(
        evidence_id="e" * 32,
        kind=EvidenceKind.VIDEO,
        content_type=content_type,
        size=size,
        checksum_sha256="A" * 43 + "=",
        bucket="evidence",
        region="us-east-1",
        key="returns/X/customer/" + "e" * 32,
        uploaded_by="customer",
        uploaded_at=NOW,
        retain_until=NOW + timedelta(days=180),
    )


def test_evidence_checked_approval_approves_a_plausible_upload_with_no_person_needed() -> None:
    policy = _with_automation(evidence_checked_approval={})
    jacket = order(line("L1", "180.00", delivered_days_ago=3))
    decision = decision_for(policy, jacket, [item(reason="unwanted")])
    assert decision.outcome is Outcome.AWAITING_EVIDENCE
    assert next(r for r in decision.rules if r.rule_id == "evidence_checked_approval").effect is Effect.SETTLE
    words = explain(decision)
    assert words.startswith("Evidence needed before approval: The items returned are worth USD 180.00")
    assert "Once the video is uploaded and its check passes, the return is approved" in words
    assert "Once approved: Once" not in words
    option = policy.automation.evidence_checked_approval
    good = metadata_check([_video(8_000_000)], policy.evidence, option, NOW)
    approved, words = after_evidence(policy, decision, good, Money(amount=18000, currency="USD"), NOW)
    assert approved.outcome is Outcome.APPROVED and approved.decided_by == f"policy:v{policy.version}"
    assert approved.policy_outcome is Outcome.AWAITING_EVIDENCE
    assert words.startswith("Approved by evidence check")
    tiny = metadata_check([_video(2_000)], policy.evidence, option, NOW)
    assert not tiny.passed and tiny.findings == ["no video of a plausible type and size"]
    held, why = after_evidence(policy, decision, tiny, Money(amount=18000, currency="USD"), NOW)
    assert held.outcome is Outcome.PENDING_REVIEW and "evidence check did not pass" in why


def test_evidence_checked_approval_leaves_electronics_and_flags_to_a_person() -> None:
    policy = _with_automation(evidence_checked_approval={})
    passed = EvidenceCheck(passed=True, basis="content", checked_at=NOW)
    laptop = order(line("L1", "900.00", category="electronics", delivered_days_ago=3))
    decision = decision_for(policy, laptop, [item(reason="defective")])
    assert "evidence_checked_approval" not in rule_ids(decision)
    held, why = after_evidence(policy, decision, passed, Money(amount=90000, currency="USD"), NOW)
    assert held.outcome is Outcome.PENDING_REVIEW and "electronics_manual_review asks for a person" in why
    off, why_off = after_evidence(POLICY, decision, passed, Money(amount=90000, currency="USD"), NOW)
    assert off.outcome is Outcome.PENDING_REVIEW and "the policy has staff review evidence" in why_off
