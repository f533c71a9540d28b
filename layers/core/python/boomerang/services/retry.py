"""Optimistic concurrency, retried: a use case that lost a version race reads the return again and
decides again. Correctness stays with the status table (a move that is no longer legal after the
re-read raises IllegalTransition, a 409 for the caller); only the system's own bookkeeping (a
token kept, a notification recorded) no longer makes a person's action fail."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from boomerang.domain.errors import StaleVersion

P = ParamSpec("P")
T = TypeVar("T")
ATTEMPTS = 4


def retry_stale(fn: Callable[P, T]) -> Callable[P, T]:
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return fn(*args, **kwargs)
            except StaleVersion:
                if attempt == ATTEMPTS:
                    raise
                time.sleep(0.02 * attempt)
        raise AssertionError("unreachable")

    return wrapper
