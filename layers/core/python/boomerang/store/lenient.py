"""Lists read what they can: one stored record that no longer reads never fails a whole list.

A record can stop reading after a model change, a hand edit in the console, or because it was
written before a bound that the model now enforces (an amount past its currency's largest). A
list (a staff queue, a ticket queue, a store-credit ledger, a shop's webhook subscriptions) skips
it, logs its key and what failed (the field locations and error types, never the values: a record
may hold personal data), and counts it in the `RecordSkipped` metric (namespace Boomerang), which
on-call alarms on. The record itself is left as it is, for a person to look at.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pydantic import ValidationError

from boomerang.store import keys

T = TypeVar("T")

log = logging.getLogger(__name__)

# What a record that no longer reads raises: its model refuses it, or a field is missing or mistyped.
UNREADABLE = (ValidationError, ValueError, KeyError, TypeError)


def readable(raw_items: Iterable[dict[str, Any]], read: Callable[[dict[str, Any]], T], kind: str) -> list[T]:
    """`read` of each raw DynamoDB item; an item `read` cannot read is skipped, logged and counted."""
    out: list[T] = []
    for raw in raw_items:
        try:
            out.append(read(raw))
        except UNREADABLE as exc:
            skipped(kind, raw, exc)
    return out


def skipped(kind: str, raw: dict[str, Any], exc: Exception) -> None:
    # Keys hold ids only (shop, RMA, ticket id, the customer's one-way reference), never an email.
    key = {
        name: str(raw[name].get("S", "")) for name in (keys.PK, keys.SK) if isinstance(raw.get(name), dict)
    }
    problems: list[dict[str, Any]] = []
    if isinstance(exc, ValidationError):
        # loc and type only: a ValidationError's message repeats the input value.
        problems = [{"loc": ".".join(str(p) for p in e["loc"]), "type": e["type"]} for e in exc.errors()]
    log.warning(
        "stored record skipped: it does not read",
        extra={"kind": kind, "key": key, "error": type(exc).__name__, "problems": problems[:10]},
    )
    _count()


def _count() -> None:
    # Imported here: the store stays importable without Powertools (scripts, the domain's tests).
    # Metrics instances share one metric set, flushed by the function's `log_metrics`.
    from aws_lambda_powertools import Metrics
    from aws_lambda_powertools.metrics import MetricUnit

    try:
        Metrics().add_metric(name="RecordSkipped", unit=MetricUnit.Count, value=1)
    except Exception:  # counting never fails the list (e.g. no namespace outside a function)
        log.debug("RecordSkipped not counted", exc_info=True)
