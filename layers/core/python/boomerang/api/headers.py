"""Headers on every answer of a function behind API Gateway (the APIs and the webhooks).

`X-Content-Type-Options: nosniff`: a browser takes each answer as the type it says it is (JSON,
a PDF label) and never sniffs it into HTML, so text a customer wrote into a field can never run
as a page. API Gateway's own answers (gateway responses) carry it too (infra/cdk/constructs/
storefront_api.py), and so does the local front.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff"}

Handler = TypeVar("Handler", bound=Callable[..., dict[str, Any]])


def with_security_headers(result: dict[str, Any]) -> dict[str, Any]:
    """A proxy integration's result with the security headers, in `headers` and, where the
    resolver answers with them, `multiValueHeaders` (API Gateway lets the latter win)."""
    result["headers"] = {**(result.get("headers") or {}), **SECURITY_HEADERS}
    multi = result.get("multiValueHeaders")
    if isinstance(multi, dict):
        multi.update({name: [value] for name, value in SECURITY_HEADERS.items()})
    return result


def security_headers(handler: Handler) -> Handler:
    """Decorates a Lambda handler (outermost) so that every answer carries SECURITY_HEADERS,
    including those it builds itself before routing (413, 401)."""

    @functools.wraps(handler)
    def wrapped(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return with_security_headers(handler(event, context))

    return wrapped  # type: ignore[return-value]
