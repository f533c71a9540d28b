"""What API Gateway answers itself, before or instead of a function, in the API's one error body
(api/errors.py) with the request id: the CDK makes a Gateway Response of each entry
(infra/cdk/constructs/storefront_api.py) and the local front answers the same (local/http_front.py),
so a client sees one error format whoever answered, here as on AWS."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class GatewayError:
    response_type: str  # API Gateway's response type (aws_apigateway.ResponseType)
    status: int | None  # None keeps API Gateway's own status (the DEFAULT_* types)
    code: str  # documented under `status` in api/errors.py ERROR_CODES (or 400/500 for the defaults)
    message: str | None = None  # None: API Gateway's own message
    details: tuple[dict[str, str], ...] = ()


IDEMPOTENCY_KEY_MISSING = ({"field": "Idempotency-Key", "code": "missing", "message": "Header required."},)

GATEWAY_ERRORS: tuple[GatewayError, ...] = (
    # Idempotency-Key is the only required request parameter (the CDK checks), so this is what the
    # function answers without the header.
    GatewayError(
        "BAD_REQUEST_PARAMETERS",
        400,
        "idempotency_key_required",
        "Send an Idempotency-Key header (any unique string up to 255 characters).",
        IDEMPOTENCY_KEY_MISSING,
    ),
    GatewayError("BAD_REQUEST_BODY", 400, "malformed_json", "The request body is not valid JSON."),
    GatewayError(
        "UNSUPPORTED_MEDIA_TYPE",
        415,
        "unsupported_media_type",
        "Send the body as JSON (Content-Type: application/json).",
    ),
    # API Gateway's 403 "Missing Authentication Token" means: no such route (or method).
    GatewayError("MISSING_AUTHENTICATION_TOKEN", 404, "route_not_found", "No such route."),
    GatewayError("REQUEST_TOO_LARGE", 413, "payload_too_large"),
    GatewayError("THROTTLED", 429, "throttled"),
    GatewayError("QUOTA_EXCEEDED", 429, "throttled"),
    # The staff user pool's Cognito authorizer refused the token (missing, expired, not the pool's).
    GatewayError(
        "UNAUTHORIZED",
        401,
        "unauthenticated",
        "Sign in: send a staff ID token from the Boomerang user pool in the Authorization header.",
    ),
    GatewayError("ACCESS_DENIED", 403, "access_denied"),
    GatewayError("WAF_FILTERED", 403, "access_denied", "The firewall refused the request."),
    GatewayError("INTEGRATION_TIMEOUT", 504, "gateway_timeout"),
    GatewayError("DEFAULT_4XX", None, "bad_request"),
    GatewayError("DEFAULT_5XX", None, "internal_error"),
)
BY_TYPE = {error.response_type: error for error in GATEWAY_ERRORS}

# API Gateway's own messages for the types answered locally with a None message.
AWS_MESSAGES = {
    "REQUEST_TOO_LARGE": "Request Too Long",
    "THROTTLED": "Too Many Requests",
    "DEFAULT_5XX": "Internal server error",
    "INTEGRATION_TIMEOUT": "Endpoint request timed out",
}


def gateway_answer(response_type: str, request_id: str | None, status: int | None = None) -> tuple[int, str]:
    """(status, body) as API Gateway answers `response_type` with our Gateway Responses."""
    error = BY_TYPE[response_type]
    message = error.message or AWS_MESSAGES.get(response_type, response_type.replace("_", " ").capitalize())
    body = {
        "error": {
            "code": error.code,
            "message": message,
            "details": list(error.details),
            "request_id": request_id,
        }
    }
    return int(error.status or status or 500), json.dumps(body)
