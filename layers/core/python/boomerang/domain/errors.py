"""Domain errors. Each carries a stable machine-readable code; the API maps them to HTTP statuses."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error the library raises on purpose."""

    code = "domain_error"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or []


class BadRequest(DomainError):
    code = "bad_request"
    http_status = 400


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class Unauthorized(DomainError):
    code = "unauthorized"
    http_status = 401


class Forbidden(DomainError):
    code = "forbidden"
    http_status = 403


class Conflict(DomainError):
    code = "conflict"
    http_status = 409


class Unprocessable(DomainError):
    """The request is well formed but the domain refuses it (window passed, quantity too high...)."""

    code = "unprocessable"
    http_status = 422


class IllegalTransition(Conflict):
    code = "illegal_transition"

    def __init__(self, current: str, target: str):
        super().__init__(
            f"A return cannot move from '{current}' to '{target}'.",
            details=[{"from": current, "to": target}],
        )
        self.current = current
        self.target = target


class StaleVersion(Conflict):
    code = "stale_version"

    def __init__(self, what: str):
        super().__init__(f"{what} was changed by another request; read it again and retry.")
        # Set by a transactional write: the TransactItem that failed and its cancellation reason.
        self.failed_item: dict[str, Any] | None = None
        self.reason: str | None = None


class PreconditionFailed(DomainError):
    """An If-Match names a version that is no longer current: someone saved in between."""

    code = "precondition_failed"
    http_status = 412


class PreconditionRequired(DomainError):
    """A change of a versioned document must say which version it was made from (If-Match)."""

    code = "precondition_required"
    http_status = 428


class TooManyAttempts(DomainError):
    """Too many failed attempts: wait `retry_after` seconds (answered as 429 with Retry-After)."""

    code = "too_many_attempts"
    http_status = 429

    def __init__(self, retry_after: int):
        super().__init__(
            f"Too many attempts; try again in {retry_after} second{'' if retry_after == 1 else 's'}.",
            details=[{"retry_after": retry_after}],
        )
        self.retry_after = retry_after
