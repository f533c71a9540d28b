"""The `Idempotency-Key` header of the storefront's creating POSTs, one way for every function that
takes it: the header is required, and a repeat with the same key answers what the first answered
(Powertools idempotency, keyed on the caller's scope and the header, 24 hours)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    BasePersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from boomerang.domain.errors import BadRequest


def request_idempotency() -> IdempotencyConfig:
    """Records keyed on the call's `key`; the same key with another `request` is refused."""
    return IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="request",
        expires_after_seconds=24 * 3600,
        raise_on_no_idempotency_key=True,
    )


def require_idempotency_key(key: str | None) -> str:
    if not key:
        raise BadRequest(
            "Send an Idempotency-Key header (any unique string up to 255 characters).",
            code="idempotency_key_required",
            details=[{"field": "Idempotency-Key", "code": "missing", "message": "Header required."}],
        )
    return key


def idempotent_call(
    function: Callable[..., dict[str, Any]],
    scope: str,
    config: IdempotencyConfig,
    store: BasePersistenceLayer,
) -> Callable[..., dict[str, Any]]:
    """`function(call={"key": ..., "request": ...})`, answered once per key (see request_idempotency).

    Powertools keys its records `<Lambda function name>.<module>.<function>#<hash>`. The functions
    were first defined in their handler module, `scope` (its `__name__`): the records keep that
    prefix, so an answer stored before the routes moved into the library is still found.
    """
    prefix = f"{os.getenv('AWS_LAMBDA_FUNCTION_NAME', 'test-func')}.{scope}.{function.__qualname__}"
    once: Callable[..., dict[str, Any]] = idempotent_function(
        function, data_keyword_argument="call", config=config, persistence_store=store, key_prefix=prefix
    )
    return once
