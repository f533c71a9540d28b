"""The `Idempotency-Key` header of the storefront's creating POSTs, one way for every function that
takes it: the header is required, and a repeat with the same key answers what the first answered
(Powertools idempotency, keyed on the caller's scope and the header, 24 hours)."""

from __future__ import annotations

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

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
