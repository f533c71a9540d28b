"""The `Idempotency-Key` header, one rule for every route that takes it (storefront returns, store
credit spends, tickets opened and written on):

- the header is required (documented as required; 400 `idempotency_key_required` without it);
- a stored answer belongs to its caller: records are keyed on the caller's scope (one API key by
  its id, or one customer by their reference), never the whole shop, so another caller's key is
  simply unknown: no replay, no 409 that confirms it exists;
- access is checked before any replay: the route's `reach` runs first and answers what the call
  would answer without the key (404 for another order);
- a record holds ids only, no personal data: the answer is rebuilt from them on a replay, through
  the caller's own read path (which checks access again). Erasing a person then leaves nothing of
  them in the idempotency table, and a replay answers the record as it is now (erased included);
- the same key with another body answers 409 `idempotency_key_reused`; while the first call runs,
  409 `request_in_progress` (api/resolver.py maps both). Records live 24 hours.

Records are keyed `<function name>.<handler module>.<operation>#<md5 of "<scope>:<key>">`. The
scope part was `<shop>` before: records written before that change are not found again and expire
within their 24 hours (a retry across the deploy runs once more, as a new request).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Generic, Protocol, TypeVar

from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.utilities.idempotency import (
    BasePersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from boomerang.domain.errors import BadRequest

if TYPE_CHECKING:
    from boomerang.auth.principal import Principal

T = TypeVar("T")

HEADER = "idempotency-key"
# The route parameter every route that takes the header declares: required, 1 to 255 characters.
IdempotencyKey = Annotated[
    str,
    Header(
        alias=HEADER,
        min_length=1,
        max_length=255,
        description=(
            "Required. Any unique string up to 255 characters. A retry with the same key and body answers "
            "what the first call answered (for 24 hours, to the same caller only); the same key with "
            "another body answers 409 idempotency_key_reused."
        ),
    ),
]


class IdempotencyDeps(Protocol):
    idempotency: IdempotencyConfig
    idempotency_store: BasePersistenceLayer
    idempotency_scope: str  # the handler module's name: the records' key prefix


@dataclass(frozen=True)
class Made(Generic[T]):
    """What an operation did: `stored`, the ids the record keeps (no personal data), and the answer."""

    stored: dict[str, Any]
    answer: T


def request_idempotency() -> IdempotencyConfig:
    """Records keyed on the call's `key`; the same key with another `request` is refused."""
    return IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="request",
        expires_after_seconds=24 * 3600,
        raise_on_no_idempotency_key=True,
    )


def missing_key() -> BadRequest:
    return BadRequest(
        "Send an Idempotency-Key header (any unique string up to 255 characters).",
        code="idempotency_key_required",
        details=[{"field": "Idempotency-Key", "code": "missing", "message": "Header required."}],
    )


def caller_scope(who: Principal) -> str:
    """Whose stored answers these are: one customer (their reference), or one storefront API key."""
    if who.customer_ref is not None:
        return f"{who.shop}:customer:{who.customer_ref}"
    if who.key_id is None:
        raise ValueError("a caller without a customer reference or an API key id has no idempotency scope")
    return f"{who.shop}:key:{who.key_id}"


def answer_once(
    deps: IdempotencyDeps,
    who: Principal,
    key: str,
    request: dict[str, Any],
    *,
    reach: Callable[[], None],
    operation: Callable[[dict[str, Any]], Made[T]],
    replay: Callable[[dict[str, Any]], T],
) -> T:
    """Run `operation(request)` once per (caller, key); later calls get `replay(stored ids)`.

    `reach()` first: it raises what the caller would get without the key (404 for what is not
    theirs). `request` is what the key is bound to (a different one answers 409); it should name the
    target (order, ticket) so a key cannot be replayed against another one.
    """
    if not key:
        raise missing_key()
    reach()
    fresh: list[T] = []

    def run(call: dict[str, Any]) -> dict[str, Any]:
        made = operation(call["request"])
        fresh.append(made.answer)
        return made.stored

    run.__qualname__ = operation.__qualname__  # the record's key prefix names the operation
    stored = idempotent_call(run, deps.idempotency_scope, deps.idempotency, deps.idempotency_store)(
        call={"key": f"{caller_scope(who)}:{key}", "request": request}
    )
    return fresh[0] if fresh else replay(stored)


def idempotent_call(
    function: Callable[..., dict[str, Any]],
    scope: str,
    config: IdempotencyConfig,
    store: BasePersistenceLayer,
) -> Callable[..., dict[str, Any]]:
    """`function(call={"key": ..., "request": ...})`, answered once per key (see request_idempotency).

    Powertools keys its records `<Lambda function name>.<module>.<function>#<hash>`. The functions
    were first defined in their handler module, `scope` (its `__name__`): the records keep that
    prefix.
    """
    prefix = f"{os.getenv('AWS_LAMBDA_FUNCTION_NAME', 'test-func')}.{scope}.{function.__qualname__}"
    once: Callable[..., dict[str, Any]] = idempotent_function(
        function, data_keyword_argument="call", config=config, persistence_store=store, key_prefix=prefix
    )
    return once
