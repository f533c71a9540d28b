"""The policy as administrators write it: JSON Merge Patch (RFC 7396), money as decimal strings in
both directions, validation naming each bad field, server-assigned versions, changes, ETags."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

from boomerang.domain.errors import Unprocessable
from boomerang.domain.money import AmountsByCurrency, Money
from boomerang.domain.policy import default_policy
from boomerang.domain.policy_document import (
    Change,
    admin_document,
    changes,
    decimal_amounts,
    etag,
    field_path,
    if_match_holds,
    merge_patch,
    minor_amounts,
    patched,
    policy_from_admin,
)

# --- RFC 7396 ---------------------------------------------------------------------------------------

# The examples of RFC 7396, Appendix A: (target, patch, result).
RFC_7396_EXAMPLES: list[tuple[Any, Any, Any]] = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "result"), RFC_7396_EXAMPLES)
def test_merge_patch_does_what_rfc_7396_shows(target: Any, patch: Any, result: Any) -> None:
    assert merge_patch(target, patch) == result


def test_merge_patch_leaves_its_arguments_alone() -> None:
    target = {"a": {"b": [1, 2]}, "c": 1}
    patch = {"a": {"b": [3]}, "c": None}
    merge_patch(target, patch)
    assert target == {"a": {"b": [1, 2]}, "c": 1}
    assert patch == {"a": {"b": [3]}, "c": None}


# --- money, both ways -------------------------------------------------------------------------------


def test_the_admin_document_writes_money_as_the_api_does() -> None:
    document = admin_document(default_policy())
    rule = next(r for r in document["rules"] if r["rule_id"] == "auto_approve_size_under_50")
    assert rule["when"]["return_amount_below"]["USD"] == "50.00"
    assert rule["when"]["return_amount_below"]["GBP"] == "45.00"
    assert document["hubs"][0]["cost_per_parcel"] == {"amount": "5.99", "currency": "USD"}
    assert document["hubs"][1]["cost_per_parcel"] == {"amount": "4.20", "currency": "EUR"}
    assert document["refund_on_delivery"]["return_amount_below"]["USD"] == "25.00"
    # Not money: integers stay integers.
    assert document["window_days"] == 30
    assert document["rules"][2]["when"]["customer_returns_in_30_days_at_least"] == 3


def test_the_admin_document_reads_back_to_the_same_policy() -> None:
    assert policy_from_admin(admin_document(default_policy())) == default_policy()


def test_money_is_found_by_type_in_any_model() -> None:
    """A model the policy may grow (markets, FX) is converted without a change to the walker."""

    class Market(BaseModel):
        model_config = ConfigDict(extra="forbid")
        minimum_refund: AmountsByCurrency = Field(default_factory=dict)
        fee: Money | None = None
        nested: list[dict[str, AmountsByCurrency]] = Field(default_factory=list)

    stored = {
        "minimum_refund": {"JPY": 500, "KWD": 1250},
        "fee": {"amount": 199, "currency": "EUR"},
        "nested": [{"x": {"USD": 1}}],
    }
    admin = decimal_amounts(Market, stored)
    assert admin == {
        "minimum_refund": {"JPY": "500", "KWD": "1.250"},
        "fee": {"amount": "1.99", "currency": "EUR"},
        "nested": [{"x": {"USD": "0.01"}}],
    }
    assert minor_amounts(Market, admin) == (stored, [])


def test_amounts_must_be_decimal_strings_and_within_the_currency_s_decimals() -> None:
    hubs = admin_document(default_policy())["hubs"]
    hubs[0]["cost_per_parcel"] = {"amount": 5.99, "currency": "USD"}
    patch = {"refunds": {"return_shipping": {"USD": 599, "JPY": "5.5", "EUR": "4.20"}}, "hubs": hubs}
    with pytest.raises(Unprocessable) as refused:
        patched(default_policy(), patch, 2)
    by_field = {d["field"]: d["code"] for d in refused.value.details}
    assert by_field == {
        "refunds.return_shipping.USD": "decimal_string_expected",
        "refunds.return_shipping.JPY": "invalid_amount",
        "hubs[0].cost_per_parcel.amount": "decimal_string_expected",
    }
    assert refused.value.code == "validation_failed"


# --- a new version from a patch ---------------------------------------------------------------------


def test_a_one_field_patch_makes_the_next_version() -> None:
    policy = patched(default_policy(), {"window_days": 45}, 2)
    assert policy.window_days == 45
    assert policy.version == 2
    assert policy.model_copy(update={"window_days": 30, "version": 1}) == default_policy()


def test_a_patch_in_decimal_money_is_stored_in_minor_units() -> None:
    policy = patched(default_policy(), {"refunds": {"return_shipping": {"USD": "5.99"}}}, 2)
    assert policy.refunds.return_shipping == {"USD": 599}


def test_null_removes_and_lists_are_replaced_whole() -> None:
    policy = patched(default_policy(), {"refund_on_delivery": None, "rules": []}, 2)
    assert policy.refund_on_delivery is None
    assert policy.rules == []


def test_each_bad_field_is_named() -> None:
    patch = {"window_days": "45", "reasons": [], "hubs": [{"hub_id": "x"}], "surprise": 1}
    with pytest.raises(Unprocessable) as refused:
        patched(default_policy(), patch, 2)
    fields = [(d["field"], d["code"]) for d in refused.value.details]
    assert ("window_days", "int_type") in fields  # strict: "45" is no integer
    assert ("reasons", "too_short") in fields
    assert ("hubs[0].name", "missing") in fields
    assert ("surprise", "extra_forbidden") in fields
    assert "window_days" in refused.value.message


def test_a_rule_across_fields_is_named_too() -> None:
    with pytest.raises(Unprocessable) as refused:
        patched(default_policy(), {"fallback_hub_id": "nowhere"}, 2)
    assert refused.value.details == [
        {"field": None, "code": "value_error", "message": "fallback_hub_id 'nowhere' is not one of the hubs"}
    ]


def test_the_server_numbers_versions() -> None:
    # Sending back what was read, version included, is fine; naming another version is not.
    assert patched(default_policy(), {"version": 1, "window_days": 40}, 2).version == 2
    with pytest.raises(Unprocessable) as refused:
        patched(default_policy(), {"version": 7, "window_days": "x"}, 2)
    fields = [d["field"] for d in refused.value.details]
    assert fields == ["version", "window_days"]
    assert "becomes version 2" in refused.value.details[0]["message"]


def test_a_patch_is_an_object() -> None:
    for patch in ([], "x", None, 3):
        with pytest.raises(Unprocessable):
            patched(default_policy(), patch, 2)


def test_field_paths_read_as_written() -> None:
    assert (
        field_path(("rules", 3, "when", "return_amount_below", "USD"))
        == "rules[3].when.return_amount_below.USD"
    )
    assert field_path(("categories", "shoes", "[key]")) == "categories.shoes"
    assert field_path(()) is None


# --- changes and ETags ------------------------------------------------------------------------------


def test_changes_name_each_leaf() -> None:
    before = admin_document(default_policy())
    after = admin_document(
        patched(default_policy(), {"window_days": 45, "refunds": {"return_shipping": {"USD": "5.99"}}}, 2)
    )
    assert changes(before, after) == [
        Change("version", "changed", 1, 2),
        Change("window_days", "changed", 30, 45),
        Change("refunds.return_shipping.USD", "added", after="5.99"),
    ]
    assert changes(after, after) == []
    assert changes({"a": [1, 2]}, {"a": [1]}) == [Change("a[1]", "removed", before=2)]


def test_if_match_compares_strongly() -> None:
    assert etag(3) == '"v3"'
    assert if_match_holds('"v3"', 3)
    assert if_match_holds('"v2", "v3"', 3)
    assert if_match_holds("*", 3)
    assert not if_match_holds('"v2"', 3)
    assert not if_match_holds('W/"v3"', 3)
    assert not if_match_holds("v3", 3)
