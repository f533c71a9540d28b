"""API Gateway REST (proxy integration, payload 1.0) events, shaped as API Gateway sends them."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


def match_route(
    routes: Iterable[tuple[str, str]], method: str, path: str
) -> tuple[str, dict[str, str]] | None:
    """The resource template ("/v1/returns/{rma}") and path parameters a request path matches.

    As API Gateway picks a resource: of the resources whose path matches, the most specific, segment
    by segment from the left (a fixed segment beats a {parameter}); then the method must be one of
    that resource's, or nothing matches (GET /v1/returns is no route, though /{shop}/returns would
    take the path)."""
    table = list(routes)
    best: tuple[tuple[int, ...], str, dict[str, str]] | None = None
    for template in dict.fromkeys(t for _, t in table):
        pattern = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$"
        found = re.match(pattern, path)
        if not found:
            continue
        rank = tuple(0 if part.startswith("{") else 1 for part in template.strip("/").split("/"))
        if best is None or rank > best[0]:
            best = (rank, template, found.groupdict())
    if best is None or (method, best[1]) not in table:
        return None
    return best[1], best[2]


def rest_event(
    method: str,
    path: str,
    *,
    resource: str | None = None,
    path_parameters: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, list[str]] | None = None,
    body: str | None = None,
    source_ip: str = "127.0.0.1",
    stage: str = "prod",
) -> dict[str, Any]:
    headers = dict(headers or {})
    now = datetime.now(UTC)
    request_id = str(uuid.uuid4())
    query = query or {}
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method,
        "headers": headers or None,
        "multiValueHeaders": {k: [v] for k, v in headers.items()} or None,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": resource or path,
            "httpMethod": method,
            "extendedRequestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": f"/{stage}{path}",
            "accountId": "000000000000",
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": "localhost",
            "requestTimeEpoch": int(time.time() * 1000),
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": source_ip,
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": headers.get("User-Agent", headers.get("user-agent", "")),
                "user": None,
            },
            "domainName": "localhost",
            "apiId": "local",
        },
        "body": body,
        "isBase64Encoded": False,
    }


@dataclass
class LambdaContext:
    """What the Lambda runtime passes as `context`, enough for Powertools."""

    function_name: str = "storefront_api"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    timeout_ms: int = 10_000
    aws_request_id: str = ""
    log_group_name: str = "/aws/lambda/storefront_api"
    log_stream_name: str = "local"

    def __post_init__(self) -> None:
        self.aws_request_id = self.aws_request_id or str(uuid.uuid4())
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))
