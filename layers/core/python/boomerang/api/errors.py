"""The one error body of every Boomerang API: {"error": {code, message, details, request_id}}."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types

from boomerang.domain.errors import DomainError


def error_body(
    code: str, message: str, details: list[dict[str, Any]] | None = None, request_id: str | None = None
) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or [], "request_id": request_id}}


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    request_id: str | None = None,
) -> Response[str]:
    body = error_body(code, message, details, request_id)
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


def domain_error_response(exc: DomainError, request_id: str | None) -> Response[str]:
    return error_response(exc.http_status, exc.code, exc.message, exc.details, request_id)


def validation_details(errors: Any) -> tuple[str, str, list[dict[str, Any]]]:
    """Turn pydantic/Powertools validation errors into (code, message, details naming each field)."""
    details: list[dict[str, Any]] = []
    malformed = False
    for err in errors:
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body",)]
        kind = str(err.get("type", "invalid"))
        if kind == "json_invalid":
            malformed = True
            loc = []
        field = ""
        for part in loc:
            field += f"[{part}]" if part.isdigit() else (f".{part}" if field else part)
        details.append(
            {"field": field or None, "code": kind, "message": str(err.get("msg", "invalid value"))}
        )
    if malformed:
        return "malformed_json", "The request body is not valid JSON.", details
    fields = ", ".join(d["field"] for d in details if d["field"]) or "the request"
    return "validation_failed", f"Invalid value in {fields}.", details
