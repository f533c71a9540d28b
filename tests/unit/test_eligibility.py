"""Eligibility per line and the checks on a return request: window, category, quantities, reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from boomerang.domain.errors import Unprocessable
from boomerang.domain.models import Resolution
from boomerang.domain.policy import (
    SHOPIFY_REASONS,
    Policy,
    check_request,
    default_policy,
    line_eligibility,
    load_policy,
)

from .factories import NOW, default_document, item, line, order

POLICY = default_policy()
DELIVERED = datetime(2025, 5, 1, 10, 0, tzinfo=UTC)


def _restricted_policy() -> Policy:
    """The default policy plus a category with fewer reasons and one with fewer resolutions."""
    document: dict[str, Any] = default_document()
    document["categories"]["underwear"] = {"reasons": ["defective", "wrong_item"]}
    document["categories"]["custom"] = {"resolutions": ["store_credit"], "window_days": 10}
    return load_policy(document)


def _delivered_line(**kwargs: Any) -> Any:
    the_line = line(**kwargs)
    return the_line.model_copy(update={"delivered_at": DELIVERED})


def _refused(
    policy: Policy, the_order: Any, items: list[Any], resolution: Resolution = Resolution.REFUND
) -> Any:
    with pytest.raises(Unprocessable) as caught:
        check_request(policy, the_order, items, resolution, NOW)
    assert caught.value.http_status == 422
    return caught.value


def test_day_30_after_delivery_is_still_open() -> None:
    the_line = _delivered_line(quantity=2)
    the_order = order(the_line)
    elig = line_eligibility(POLICY, the_order, the_line, DELIVERED + timedelta(days=30))
    assert elig.eligible is True
    assert elig.ineligible is None
    assert elig.returnable_quantity == 2
    # The window closes at the end of its last day (UTC), not at the hour of the delivery scan.
    assert elig.deadline == (DELIVERED + timedelta(days=30)).replace(hour=23, minute=59, second=59)
    late_that_day = DELIVERED.replace(hour=23, minute=30) + timedelta(days=30)
    assert line_eligibility(POLICY, the_order, the_line, late_that_day).eligible is True


def test_day_31_after_delivery_is_closed_with_the_date() -> None:
    the_line = _delivered_line()
    the_order = order(the_line)
    elig = line_eligibility(POLICY, the_order, the_line, DELIVERED + timedelta(days=31))
    assert elig.eligible is False
    assert elig.ineligible is not None
    assert elig.ineligible.code == "return_window_closed"
    assert "2025-05-31" in elig.ineligible.message
    assert "30-day" in elig.ineligible.message
    assert elig.returnable_quantity == 0


def test_without_delivery_the_window_runs_from_the_order() -> None:
    the_line = line(delivered_days_ago=None)
    the_order = order(the_line, ordered_days_ago=0).model_copy(update={"ordered_at": DELIVERED})
    assert line_eligibility(POLICY, the_order, the_line, DELIVERED + timedelta(days=30)).eligible
    closed = line_eligibility(POLICY, the_order, the_line, DELIVERED + timedelta(days=31))
    assert closed.deadline == (DELIVERED + timedelta(days=30)).replace(hour=23, minute=59, second=59)
    assert closed.ineligible is not None
    assert closed.ineligible.code == "return_window_closed"


def test_delivery_not_the_order_date_starts_the_window() -> None:
    # Ordered 40 days ago, delivered 25 days ago: still returnable.
    the_line = line(delivered_days_ago=25)
    the_order = order(the_line, ordered_days_ago=40)
    assert line_eligibility(POLICY, the_order, the_line, NOW).eligible


def test_a_category_window_overrides_the_policy_window() -> None:
    policy = _restricted_policy()
    the_line = _delivered_line(category="custom")
    the_order = order(the_line)
    assert line_eligibility(policy, the_order, the_line, DELIVERED + timedelta(days=10)).eligible
    late = line_eligibility(policy, the_order, the_line, DELIVERED + timedelta(days=11))
    assert late.ineligible is not None
    assert late.ineligible.code == "return_window_closed"
    assert "10-day" in late.ineligible.message


@pytest.mark.parametrize(("category", "words"), [("final_sale", "Final-sale"), ("gift_card", "Gift cards")])
def test_non_returnable_categories(category: str, words: str) -> None:
    the_line = line(category=category, delivered_days_ago=1)
    elig = line_eligibility(POLICY, order(the_line), the_line, NOW)
    assert elig.eligible is False
    assert elig.ineligible is not None
    assert elig.ineligible.code == "category_not_returnable"
    assert words in elig.ineligible.message
    assert elig.returnable_quantity == 0


def test_returned_quantities_reduce_what_is_left() -> None:
    the_line = line(quantity=3)
    the_order = order(the_line, returned={"L1": 1})
    elig = line_eligibility(POLICY, the_order, the_line, NOW)
    assert elig.eligible is True
    assert elig.returned_quantity == 1
    assert elig.returnable_quantity == 2
    assert the_order.returnable_quantity("L1") == 2


def test_everything_returned_is_already_returned() -> None:
    the_line = line(quantity=3)
    the_order = order(the_line, returned={"L1": 3})
    elig = line_eligibility(POLICY, the_order, the_line, NOW)
    assert elig.eligible is False
    assert elig.ineligible is not None
    assert elig.ineligible.code == "already_returned"
    assert elig.returnable_quantity == 0
    assert the_order.returnable_quantity("L1") == 0


def test_eligibility_lists_reasons_and_resolutions() -> None:
    the_line = line()
    elig = line_eligibility(POLICY, order(the_line), the_line, NOW)
    assert elig.reasons == list(SHOPIFY_REASONS)
    assert elig.resolutions == [Resolution.REFUND, Resolution.STORE_CREDIT, Resolution.EXCHANGE]
    policy = _restricted_policy()
    underwear = line(category="underwear")
    assert line_eligibility(policy, order(underwear), underwear, NOW).reasons == ["defective", "wrong_item"]


def test_a_valid_request_passes() -> None:
    the_order = order(line("L1", quantity=2), line("L2"))
    check_request(POLICY, the_order, [item("L1", 2), item("L2", 1, "unwanted")], Resolution.REFUND, NOW)


def test_unknown_line_is_refused() -> None:
    error = _refused(POLICY, order(line("L1")), [item("NOPE")])
    assert error.code == "line_not_on_order"
    assert error.details == [
        {"field": "items[0].line_id", "code": "line_not_on_order", "message": "No such line on the order."}
    ]


def test_quantity_above_what_is_left_is_refused() -> None:
    the_order = order(line("L1", quantity=3), returned={"L1": 1})
    check_request(POLICY, the_order, [item("L1", 2)], Resolution.REFUND, NOW)
    error = _refused(POLICY, the_order, [item("L1", 3)])
    assert error.code == "quantity_exceeds_returnable"
    assert [d["field"] for d in error.details] == ["items[0].quantity"]
    assert "At most 2" in error.details[0]["message"]


def test_reason_not_allowed_for_the_category_is_refused() -> None:
    policy = _restricted_policy()
    the_order = order(line("L1", category="underwear"))
    check_request(policy, the_order, [item("L1", reason="defective")], Resolution.REFUND, NOW)
    error = _refused(policy, the_order, [item("L1", reason="size_too_small")])
    assert error.code == "reason_not_allowed"
    assert error.details[0]["field"] == "items[0].reason"
    assert "defective" in error.details[0]["message"]
    assert "wrong_item" in error.details[0]["message"]


def test_reason_not_in_the_policy_is_refused() -> None:
    error = _refused(POLICY, order(line("L1")), [item("L1", reason="changed_my_mind_twice")])
    assert error.code == "reason_not_allowed"
    assert error.details[0]["field"] == "items[0].reason"


def test_duplicate_line_is_refused() -> None:
    the_order = order(line("L1", quantity=5))
    error = _refused(POLICY, the_order, [item("L1", 1), item("L1", 1)])
    assert error.code == "duplicate_line"
    assert error.details == [
        {"field": "items[1].line_id", "code": "duplicate_line", "message": "Line listed twice."}
    ]


def test_resolution_not_allowed_is_refused() -> None:
    policy = _restricted_policy()
    the_order = order(line("L1", category="custom", delivered_days_ago=2))
    check_request(policy, the_order, [item("L1")], Resolution.STORE_CREDIT, NOW)
    error = _refused(policy, the_order, [item("L1")], Resolution.REFUND)
    assert error.code == "resolution_not_allowed"
    assert error.details[0]["field"] == "resolution"
    assert "refund" in error.details[0]["message"]
    assert "custom" in error.details[0]["message"]


def test_ineligible_lines_are_refused_naming_the_item() -> None:
    the_order = order(line("L1", delivered_days_ago=45), line("L2", category="final_sale"))
    error = _refused(POLICY, the_order, [item("L1"), item("L2")])
    assert [(d["field"], d["code"]) for d in error.details] == [
        ("items[0]", "return_window_closed"),
        ("items[1]", "category_not_returnable"),
    ]


def test_several_problems_give_several_details() -> None:
    policy = _restricted_policy()
    the_order = order(line("L1", quantity=1), line("L2", category="underwear"), line("L3"))
    error = _refused(
        policy,
        the_order,
        [
            item("GHOST"),
            item("L1", quantity=2),
            item("L2", reason="unwanted"),
            item("L3"),
            item("L3"),
        ],
    )
    found = [(d["field"], d["code"]) for d in error.details]
    assert found == [
        ("items[0].line_id", "line_not_on_order"),
        ("items[1].quantity", "quantity_exceeds_returnable"),
        ("items[2].reason", "reason_not_allowed"),
        ("items[4].line_id", "duplicate_line"),
    ]
    assert error.code == "line_not_on_order"  # the first problem names the error
    for detail in error.details:
        assert detail["message"]
