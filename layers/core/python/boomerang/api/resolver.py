"""What every Boomerang REST function sets up the same way: its error answers (one shape, one
catalogue) on a Powertools resolver, the OpenAPI responses that document them, and the checks of
a body before any routing (size, media type, JSON a parser can read)."""

from __future__ import annotations

import json
import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestValidationError,
    ResponseValidationError,
)
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from boomerang.api import idempotency
from boomerang.api.errors import (
    ERROR_CODES,
    domain_error_response,
    error_body,
    error_response,
    validation_details,
)
from boomerang.api.openapi import ERROR_REF
from boomerang.domain.errors import DomainError


def storefront_cors(allowed_origins: str | None) -> CORSConfig:
    """The CORS answer of the storefront-facing functions (returns, tickets): any origin (`*`,
    the default), or only those listed, comma-separated. A listed origin is echoed back to the
    browser that sent it; any other origin gets no CORS headers, so its browser refuses the answer."""
    origins = [origin.strip() for origin in (allowed_origins or "").split(",") if origin.strip()] or ["*"]
    return CORSConfig(
        allow_origin=origins[0],
        extra_origins=origins[1:],
        # Browsers call them with these headers.
        allow_headers=["Content-Type", "Authorization", "Idempotency-Key", "x-api-key"],
        expose_headers=["Retry-After"],  # a portal reads how long a locked-out session attempt waits
        max_age=600,
    )


# CORS_ALLOW_ORIGINS is set by the CDK from the deployment's `-c cors_origins=...`.
STOREFRONT_CORS = storefront_cors(os.environ.get("CORS_ALLOW_ORIGINS"))


# No body of ours nests deeper than a handful of levels; a parser (Python's json, pydantic) recurses
# once per level, so a 2 KB body of 1,000 nested arrays must stop here, not in a RecursionError.
MAX_JSON_DEPTH = 32


def refusal(
    event: dict[str, Any],
    status: int,
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    cors: CORSConfig | None = None,
) -> dict[str, Any]:
    """An answer given before routing, in the API's error body, with the CORS headers a browser needs."""
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    request_id = (event.get("requestContext") or {}).get("requestId")
    out = {"Content-Type": content_types.APPLICATION_JSON}
    if cors is not None:
        out |= cors.to_dict(headers.get("origin"))
    return {
        "statusCode": status,
        "headers": out,
        "body": json.dumps(error_body(code, message, details, request_id)),
    }


def unreadable_body(
    event: dict[str, Any], max_body_bytes: int, *, json_body: bool = True, also: tuple[str, ...] = ()
) -> dict[str, Any] | None:
    """Why a request's body cannot be read, as (status, code, message) fields, or None if it can.

    413 over `max_body_bytes`; with `json_body`, 415 unless it is sent as application/json (or
    without a Content-Type, read as JSON), and 400 `malformed_json` for what is not JSON or nests
    deeper than MAX_JSON_DEPTH; `also` names other JSON media types the route takes (a policy
    change's application/merge-patch+json). Only a non-empty body is checked: a POST without one is
    the route's business (422 naming the missing fields, or nothing needed).
    """
    body = event.get("body") or ""
    if not body:
        return None
    if len(body.encode()) > max_body_bytes:
        return {
            "status": 413,
            "code": "payload_too_large",
            "message": f"The body is over {max_body_bytes} bytes.",
        }
    if not json_body:
        return None
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in ("", content_types.APPLICATION_JSON, *also):
        return {
            "status": 415,
            "code": "unsupported_media_type",
            "message": "Send the body as JSON (Content-Type: application/json).",
        }
    if event.get("isBase64Encoded"):
        return None  # not configured for JSON routes (no binary media types); left to the route
    problem = json_problem(body)
    if problem is not None:
        return {"status": 400, "code": "malformed_json", "message": problem}
    return None


def json_problem(text: str | bytes) -> str | None:
    """Why `text` is not JSON that the API reads (None: it is): not JSON, NaN or Infinity, numbers
    past Python's digit limit, or nested deeper than MAX_JSON_DEPTH."""
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return "The request body is not valid JSON."
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            return f"The request body nests deeper than {MAX_JSON_DEPTH} levels."
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return None


def guard_body(
    event: dict[str, Any],
    max_body_bytes: int,
    cors: CORSConfig | None = None,
    *,
    json_body: bool = True,
    also: tuple[str, ...] = (),
) -> dict[str, Any] | None:
    """The answer to a request whose body cannot be read (see unreadable_body), or None."""
    problem = unreadable_body(event, max_body_bytes, json_body=json_body, also=also)
    if problem is None:
        return None
    return refusal(event, problem["status"], problem["code"], problem["message"], None, cors)


def as_json_body(event: dict[str, Any], media_type: str) -> dict[str, Any]:
    """The event with a body sent as `media_type` (a JSON media type such as
    application/merge-patch+json, checked by guard_body) relabelled application/json, which is how
    Powertools' validation reads a body; other events as they are."""

    def relabelled(headers: Any, many: bool) -> Any:
        if not isinstance(headers, dict):
            return headers
        out = dict(headers)
        for name, value in headers.items():
            values = value if many and isinstance(value, list) else [value]
            if str(name).lower() == "content-type" and any(
                str(v).split(";")[0].strip().lower() == media_type for v in values
            ):
                out[name] = [content_types.APPLICATION_JSON] if many else content_types.APPLICATION_JSON
        return out

    return {
        **event,
        "headers": relabelled(event.get("headers"), False),
        "multiValueHeaders": relabelled(event.get("multiValueHeaders"), True),
    }


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def error_responses() -> dict[int | str, Any]:
    """OpenAPI `responses` listing every error code under its status; the body schema is the
    components' ErrorOut, which api/openapi.py adds to each document."""
    return {
        status: {
            "description": "; ".join(f"`{code}`: {text}" for code, text in codes.items()),
            "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
        }
        for status, codes in ERROR_CODES.items()
    }


def request_id(app: APIGatewayRestResolver) -> str | None:
    return str(app.current_event.request_context.request_id or "") or None


def _missing_idempotency_key(error: Any) -> bool:
    # A missing or empty Idempotency-Key answers as API Gateway's required-header check does.
    loc = tuple(error.get("loc", ()))
    return loc == ("header", idempotency.HEADER) and error.get("type") in ("missing", "string_too_short")


def install_error_handlers(app: APIGatewayRestResolver, logger: Logger, metrics: Metrics) -> None:
    def _domain_error(exc: DomainError) -> Response[str]:
        logger.info("refused", extra={"code": exc.code, "status": exc.http_status})
        metrics.add_metric(name="ClientError", unit=MetricUnit.Count, value=1)
        return domain_error_response(exc, request_id(app))

    def _validation_error(exc: RequestValidationError) -> Response[str]:
        if any(_missing_idempotency_key(err) for err in exc.errors()):
            return domain_error_response(idempotency.missing_key(), request_id(app))
        code, message, details = validation_details(exc.errors())
        return error_response(
            400 if code == "malformed_json" else 422, code, message, details, request_id(app)
        )

    def _response_invalid(exc: ResponseValidationError) -> Response[str]:
        # Our bug, not the caller's: log it whole, answer like any server error.
        logger.error("response failed its own schema", extra={"errors": exc.errors()})
        return error_response(
            500, "internal_error", "The server failed to build its answer.", None, request_id(app)
        )

    def _unexpected(exc: Exception) -> Response[str]:
        # A fault of ours or of AWS (throttling past retries, a timeout): the trace goes to the log
        # under the request id, the caller gets that id and nothing else.
        logger.exception("unhandled error")
        metrics.add_metric(name="ServerError", unit=MetricUnit.Count, value=1)
        return error_response(
            500, "internal_error", "The server failed; retry, or quote the request id.", None, request_id(app)
        )

    def _not_found(exc: Exception) -> Response[str]:
        return error_response(404, "route_not_found", "No such route.", None, request_id(app))

    def _key_reused(exc: Exception) -> Response[str]:
        message = "This Idempotency-Key was used with a different body."
        return error_response(409, "idempotency_key_reused", message, None, request_id(app))

    def _key_in_progress(exc: Exception) -> Response[str]:
        message = "A request with this Idempotency-Key is still running; retry shortly."
        return error_response(409, "request_in_progress", message, None, request_id(app))

    # Registered by call, not as decorators: Powertools' decorators are untyped for mypy.
    app.exception_handler(DomainError)(_domain_error)
    app.exception_handler(IdempotencyValidationError)(_key_reused)
    app.exception_handler(IdempotencyAlreadyInProgressError)(_key_in_progress)
    app.exception_handler(RequestValidationError)(_validation_error)
    app.exception_handler(ResponseValidationError)(_response_invalid)
    app.exception_handler(Exception)(_unexpected)
    app.not_found(_not_found)
