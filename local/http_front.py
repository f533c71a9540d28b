"""A local API Gateway: HTTP on loopback, each request turned into the REST proxy event that
API Gateway would send, the real handler invoked in-process, its answer sent back.

One request at a time (as one Lambda container serves them), which also keeps the handler's
module-level state as it is in Lambda.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from local.apigw_events import LambdaContext, match_route, rest_event

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit


def invoke(
    handler: Handler,
    routes: Iterable[tuple[str, str]],
    method: str,
    target: str,
    headers: dict[str, str],
    body: str | None,
) -> tuple[int, dict[str, str], str]:
    """What API Gateway answers for one request: (status, headers, body)."""
    parts = urlsplit(target)
    path = parts.path
    cors = {"Access-Control-Allow-Origin": "*"}
    if method == "OPTIONS":
        allow = "Content-Type,Authorization,Idempotency-Key,x-api-key"
        return (
            204,
            {**cors, "Access-Control-Allow-Headers": allow, "Access-Control-Allow-Methods": "GET,POST"},
            "",
        )
    found = match_route(routes, method, path)
    if found is None:
        # What the deployed API's gateway response answers for a route it does not have.
        body = {
            "error": {
                "code": "route_not_found",
                "message": "No such route.",
                "details": [],
                "request_id": None,
            }
        }
        return 404, {"Content-Type": "application/json"}, json.dumps(body)
    resource, params = found
    event = rest_event(
        method,
        path,
        resource=resource,
        path_parameters=params,
        headers=headers,
        query=parse_qs(parts.query) or None,
        body=body,
    )
    try:
        result = handler(event, LambdaContext())
    except Exception:
        traceback.print_exc(file=sys.stderr)
        return 502, {"Content-Type": "application/json"}, json.dumps({"message": "Internal server error"})
    out_headers = {**(result.get("headers") or {})}
    for key, values in (result.get("multiValueHeaders") or {}).items():
        out_headers[key] = ",".join(values)
    return int(result.get("statusCode", 502)), out_headers, result.get("body") or ""


class LocalApiServer(HTTPServer):
    """Bound at once (so a taken port fails before anything starts); serves once `lambda_handler` is set."""

    lambda_handler: Handler | None = None
    routes: list[tuple[str, str]]


def make_server(
    host: str, port: int, routes: Iterable[tuple[str, str]], handler: Handler | None = None
) -> LocalApiServer:
    class Front(BaseHTTPRequestHandler):
        server: LocalApiServer
        server_version = "boomerang-local"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._send(
                    413, {"Content-Type": "application/json"}, json.dumps({"message": "Request Too Long"})
                )
                return
            body = self.rfile.read(length).decode("utf-8", errors="replace") if length else None
            handler = self.server.lambda_handler
            if handler is None:
                self._send(503, {"Content-Type": "application/json"}, json.dumps({"message": "Starting"}))
                return
            status, headers, text = invoke(handler, self.server.routes, self.command, self.path,
                                           dict(self.headers.items()), body)  # fmt: skip
            self._send(status, headers, text)

        def _send(self, status: int, headers: dict[str, str], text: str) -> None:
            data = text.encode()
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _serve

        def log_message(self, format: str, *args: Any) -> None:
            sys.stderr.write(f"{self.command} {self.path} -> {args[1] if len(args) > 1 else ''}\n")

    server = LocalApiServer((host, port), Front)
    server.routes = list(routes)
    server.lambda_handler = handler
    return server
