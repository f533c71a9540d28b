"""What API Gateway answers itself (boomerang.api.gateway_errors: the CDK's Gateway Responses and the
local front) is in the error catalogue under its status, in the error body, with the request id."""

from __future__ import annotations

import json

from boomerang.api.errors import ERROR_CODES
from boomerang.api.gateway_errors import GATEWAY_ERRORS, gateway_answer


def test_every_gateway_code_is_documented_under_its_status() -> None:
    for error in GATEWAY_ERRORS:
        status = error.status or (400 if error.response_type == "DEFAULT_4XX" else 500)
        assert error.code in ERROR_CODES[status], error


def test_issue_13s_list_is_covered() -> None:
    kinds = {e.response_type for e in GATEWAY_ERRORS}
    assert {"REQUEST_TOO_LARGE", "BAD_REQUEST_BODY", "UNSUPPORTED_MEDIA_TYPE", "DEFAULT_4XX", "DEFAULT_5XX",
            "THROTTLED", "UNAUTHORIZED", "ACCESS_DENIED"} <= kinds  # fmt: skip


def test_the_local_answer_is_the_error_body_with_the_request_id() -> None:
    status, body = gateway_answer("REQUEST_TOO_LARGE", "req-1")
    assert status == 413
    assert json.loads(body) == {
        "error": {
            "code": "payload_too_large",
            "message": "Request Too Long",
            "details": [],
            "request_id": "req-1",
        }
    }
    assert gateway_answer("DEFAULT_5XX", "req-2", 502)[0] == 502
