"""What every Boomerang REST function sets up the same way: its error answers (one shape, one
catalogue) on a Powertools resolver, and the OpenAPI responses that document them."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestValidationError,
    ResponseValidationError,
)
from aws_lambda_powertools.metrics import MetricUnit

from boomerang.api.errors import ERROR_CODES, domain_error_response, error_response, validation_details
from boomerang.api.schemas import ErrorOut
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


def error_responses() -> dict[int | str, Any]:
    """OpenAPI `responses` listing every error code under its status."""
    schema = ErrorOut.model_json_schema()
    return {
        status: {
            "description": "; ".join(f"`{code}`: {text}" for code, text in codes.items()),
            "content": {"application/json": {"schema": schema}},
        }
        for status, codes in ERROR_CODES.items()
    }


def request_id(app: APIGatewayRestResolver) -> str | None:
    return str(app.current_event.request_context.request_id or "") or None


def install_error_handlers(app: APIGatewayRestResolver, logger: Logger, metrics: Metrics) -> None:
    def _domain_error(exc: DomainError) -> Response[str]:
        logger.info("refused", extra={"code": exc.code, "status": exc.http_status})
        metrics.add_metric(name="ClientError", unit=MetricUnit.Count, value=1)
        return domain_error_response(exc, request_id(app))

    def _validation_error(exc: RequestValidationError) -> Response[str]:
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

    # Registered by call, not as decorators: Powertools' decorators are untyped for mypy.
    app.exception_handler(DomainError)(_domain_error)
    app.exception_handler(RequestValidationError)(_validation_error)
    app.exception_handler(ResponseValidationError)(_response_invalid)
    app.exception_handler(Exception)(_unexpected)
    app.not_found(_not_found)
