"""The return status table: one place, every write goes through it, illegal moves name both states."""

from __future__ import annotations

import re
from collections import deque
from itertools import pairwise

import pytest

from boomerang.domain.errors import Conflict, IllegalTransition
from boomerang.domain.status import (
    CANCELLABLE,
    TERMINAL,
    TRANSITIONS,
    ReturnStatus,
    can_transition,
    event_type,
    transition,
)

S = ReturnStatus

HAPPY_PATH = [
    S.REQUESTED,
    S.APPROVED,
    S.LABEL_ISSUED,
    S.IN_TRANSIT,
    S.DELIVERED,
    S.RECEIVED,
    S.INSPECTED,
    S.REFUND_PENDING,
    S.REFUNDED,
    S.CLOSED,
]


def test_every_status_has_a_row() -> None:
    assert set(TRANSITIONS) == set(ReturnStatus)
    for targets in TRANSITIONS.values():
        assert targets <= set(ReturnStatus)


def test_terminal_statuses_have_no_exits() -> None:
    assert {S.REJECTED, S.CANCELLED, S.EXPIRED, S.CLOSED} == TERMINAL
    for status in TERMINAL:
        assert TRANSITIONS[status] == frozenset()
        for target in ReturnStatus:
            with pytest.raises(IllegalTransition):
                transition(status, target)


def test_happy_path_is_allowed_step_by_step() -> None:
    current = HAPPY_PATH[0]
    for target in HAPPY_PATH[1:]:
        assert can_transition(current, target)
        current = transition(current, target)
        assert current is target
    assert current in TERMINAL


@pytest.mark.parametrize(
    "path",
    [
        [S.REQUESTED, S.PENDING_REVIEW, S.APPROVED],
        [S.REQUESTED, S.AWAITING_EVIDENCE, S.PENDING_REVIEW, S.REJECTED],
        [S.REQUESTED, S.PENDING_REVIEW, S.AWAITING_EVIDENCE, S.APPROVED],
        [S.REFUND_PENDING, S.CREDITED, S.CLOSED],
        [S.REFUND_PENDING, S.EXCHANGED, S.CLOSED],
        [S.REFUND_PENDING, S.REFUND_FAILED, S.REFUND_PENDING, S.REFUNDED],
        [S.DELIVERED, S.REFUND_PENDING],  # refund on delivery where policy allows
        [S.INSPECTED, S.CLOSED],  # everything graded unrefundable
        [S.APPROVED, S.EXPIRED],
        [S.REQUESTED, S.CANCELLED],
    ],
)
def test_other_design_paths_are_allowed(path: list[ReturnStatus]) -> None:
    for current, target in pairwise(path):
        assert transition(current, target) is target


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.CLOSED, S.APPROVED),
        (S.REFUNDED, S.REQUESTED),
        (S.DELIVERED, S.CANCELLED),
        (S.IN_TRANSIT, S.CANCELLED),
        (S.REQUESTED, S.REFUNDED),
        (S.DELIVERED, S.IN_TRANSIT),  # a late carrier event never moves a return backwards
        (S.RECEIVED, S.DELIVERED),
        (S.REJECTED, S.APPROVED),
    ],
)
def test_illegal_transition_names_both_states(current: ReturnStatus, target: ReturnStatus) -> None:
    assert not can_transition(current, target)
    with pytest.raises(IllegalTransition) as caught:
        transition(current, target)
    error = caught.value
    assert f"'{current.value}'" in error.message
    assert f"'{target.value}'" in error.message
    assert error.message.index(current.value) < error.message.index(target.value)
    assert (error.current, error.target) == (current.value, target.value)
    assert error.details == [{"from": current.value, "to": target.value}]
    assert error.code == "illegal_transition"
    assert isinstance(error, Conflict)
    assert error.http_status == 409


def test_transition_agrees_with_the_table_for_every_pair() -> None:
    for current in ReturnStatus:
        for target in ReturnStatus:
            if target in TRANSITIONS[current]:
                assert transition(current, target) is target
            else:
                with pytest.raises(IllegalTransition):
                    transition(current, target)


def test_no_status_moves_to_itself() -> None:
    for status in ReturnStatus:
        assert not can_transition(status, status)


def test_every_status_is_reachable_from_requested() -> None:
    seen = {S.REQUESTED}
    queue = deque([S.REQUESTED])
    while queue:
        for target in TRANSITIONS[queue.popleft()]:
            if target not in seen:
                seen.add(target)
                queue.append(target)
    assert seen == set(ReturnStatus)


def test_every_status_can_end() -> None:
    """No dead ends: from any status some sequence of moves reaches a terminal status."""
    for start in ReturnStatus:
        seen = {start}
        queue = deque([start])
        while queue:
            for target in TRANSITIONS[queue.popleft()]:
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
        assert seen & TERMINAL, start


def test_cancellable_until_the_parcel_is_on_its_way() -> None:
    assert {S.REQUESTED, S.PENDING_REVIEW, S.AWAITING_EVIDENCE, S.APPROVED, S.LABEL_ISSUED} == CANCELLABLE


@pytest.mark.parametrize(
    ("status", "name"),
    [
        (S.REQUESTED, "return.requested"),
        (S.APPROVED, "return.approved"),
        (S.REJECTED, "return.rejected"),
        (S.LABEL_ISSUED, "return.label_issued"),
        (S.CLOSED, "return.closed"),
        (S.CANCELLED, "return.cancelled"),
        (S.REFUNDED, "refund.succeeded"),
        (S.REFUND_FAILED, "refund.failed"),
    ],
)
def test_event_type_names(status: ReturnStatus, name: str) -> None:
    assert event_type(status) == name


def test_every_event_type_is_noun_dot_snake_case() -> None:
    names = [event_type(status) for status in ReturnStatus]
    assert len(set(names)) == len(names)
    for name in names:
        assert re.fullmatch(r"(return|refund)\.[a-z_]+", name), name
