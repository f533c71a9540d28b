"""A lost version race is retried with a fresh read; an illegal move is not."""

from __future__ import annotations

import pytest

from boomerang.domain.errors import IllegalTransition, StaleVersion
from boomerang.services.retry import ATTEMPTS, retry_stale


def test_a_stale_write_is_retried_until_it_lands() -> None:
    calls: list[int] = []

    @retry_stale
    def write() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise StaleVersion("Return X")
        return "saved"

    assert write() == "saved"
    assert len(calls) == 3


def test_it_gives_up_after_the_last_attempt() -> None:
    calls: list[int] = []

    @retry_stale
    def always_stale() -> None:
        calls.append(1)
        raise StaleVersion("Return X")

    with pytest.raises(StaleVersion):
        always_stale()
    assert len(calls) == ATTEMPTS


def test_an_illegal_move_is_not_retried() -> None:
    calls: list[int] = []

    @retry_stale
    def illegal() -> None:
        calls.append(1)
        raise IllegalTransition("closed", "approved")

    with pytest.raises(IllegalTransition):
        illegal()
    assert len(calls) == 1
