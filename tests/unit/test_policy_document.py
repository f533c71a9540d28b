"""Policies are data: the shipped JSON validates, round-trips, and malformed documents are refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from boomerang.domain.models import Resolution
from boomerang.domain.policy import SHOPIFY_REASONS, default_policy, load_policy, policy_json

from .factories import default_document


def test_default_policy_is_the_shipped_json() -> None:
    document = default_document()
    assert default_policy() == load_policy(json.dumps(document))
    assert default_policy() == load_policy(json.dumps(document).encode())
    assert default_policy() == load_policy(document)


def test_default_policy_says_what_the_design_says() -> None:
    policy = default_policy()
    assert policy.version >= 1
    assert policy.window_days == 30
    assert tuple(policy.reasons) == SHOPIFY_REASONS
    assert set(policy.resolutions) == set(Resolution)
    assert not policy.category("final_sale").returnable
    assert policy.category("anything_else").returnable
    assert {rule.rule_id for rule in policy.rules} == {
        "evidence_over_100",
        "electronics_manual_review",
        "frequent_returner_review",
        "auto_approve_size_under_50",
        "auto_approve_small_recent",
    }
    assert policy.fallback_hub_id == "origin"


def test_model_dump_round_trips() -> None:
    policy = default_policy()
    assert load_policy(policy.model_dump()) == policy
    assert load_policy(policy.model_dump(mode="json")) == policy
    assert load_policy(policy_json(policy)) == policy
    assert json.loads(policy_json(policy)) == policy.model_dump(mode="json")


def test_policy_is_immutable() -> None:
    policy = default_policy()
    with pytest.raises(ValidationError):
        policy.window_days = 365  # type: ignore[misc]


def _refused(document: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        load_policy(document)
    assert words in str(caught.value)


def test_unknown_top_level_field_refused() -> None:
    document = default_document()
    document["windw_days"] = 14
    _refused(document, "windw_days")


def test_unknown_condition_in_a_rule_refused() -> None:
    document = default_document()
    document["rules"][0]["when"]["order_total_abov"] = {"USD": 1}
    _refused(document, "order_total_abov")


def test_unknown_field_in_a_category_or_hub_refused() -> None:
    document = default_document()
    document["categories"]["final_sale"]["returnabel"] = True
    _refused(document, "returnabel")
    document = default_document()
    document["hubs"][0]["costs"] = 1
    _refused(document, "costs")


def test_duplicate_rule_ids_refused() -> None:
    document = default_document()
    document["rules"].append(dict(document["rules"][0]))
    _refused(document, "rule ids must be unique")


def test_fallback_hub_must_be_one_of_the_hubs() -> None:
    document = default_document()
    document["fallback_hub_id"] = "atlantis"
    _refused(document, "atlantis")


def test_rule_with_unknown_effect_refused() -> None:
    document = default_document()
    document["rules"][0]["effect"] = "blacklist"
    _refused(document, "effect")


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("version",), 0),
        (("window_days",), -1),
        (("reasons",), []),
        (("resolutions",), ["cash"]),
        (("hubs",), []),
        (("rules", 0, "rule_id"), "Evidence Over 100"),
        (("rules", 0, "message"), ""),
        (("hubs", 0, "cost_per_parcel"), {"amount": 5.99, "currency": "USD"}),
    ],
)
def test_invalid_values_refused(path: tuple[Any, ...], value: Any) -> None:
    document = default_document()
    target: Any = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ValidationError):
        load_policy(document)


def test_malformed_json_refused() -> None:
    with pytest.raises(ValidationError):
        load_policy('{"policy_id": "x",')
