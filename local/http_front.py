"""A local API Gateway: HTTP on loopback, each request turned into the REST proxy event that API
Gateway would send to the route's function, with the route's authorizer's effect (a Cognito user
pool for /admin), the real handler invoked (in a worker process or in this one), its answer sent back.

Concurrent requests, each on its own thread with a deep accept backlog (a burst queues instead of
being reset). Where the routes run in worker processes (local/workers.py, what `make local` does)
requests run side by side, one per worker, as Lambda runs them one per container. Where they run
in this process (tests and benches that call the imported modules), they take turns: one
container serves one request at a time, which keeps each handler's module-level state as it is
in Lambda.
"""

from __future__ import annotations

import json
import sys
import threading
import traceback
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from boomerang.api.gateway_errors import gateway_answer
from boomerang.api.headers import SECURITY_HEADERS
from local.apigw_events import LambdaContext, match_route, rest_event
from local.workers import GatewayTimeout, WorkerFailed

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
Claims = Callable[[str], dict[str, str]]  # token -> claims, raising on a bad token
MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit
# Connections the kernel holds for accept() (capped by net.core.somaxconn): socketserver's default
# of 5 resets a burst of concurrent clients.
BACKLOG = 1024


@dataclass(frozen=True)
class LocalRoute:
    method: str
    path: str  # API Gateway syntax: /v1/returns/{rma}
    handler: Handler
    function_name: str = "storefront_api"
    cognito: bool = False  # behind the staff user pool's authorizer


def routes_for(
    handler: Handler, table: Iterable[tuple[str, str]], function_name: str, cognito: bool = False
) -> list[LocalRoute]:
    return [LocalRoute(m, p, handler, function_name, cognito) for m, p in table]


def _json(status: int, body: Any) -> tuple[int, dict[str, str], str]:
    return status, {"Content-Type": "application/json"}, json.dumps(body)


def _gateway_error(status: int, code: str, message: str) -> tuple[int, dict[str, str], str]:
    # The local-only helpers (/local/*) answer in the API's own error shape too.
    return _json(status, {"error": {"code": code, "message": message, "details": [], "request_id": None}})


def _gateway(response_type: str, status: int | None = None) -> tuple[int, dict[str, str], str]:
    """What the deployed API's Gateway Responses answer (boomerang.api.gateway_errors), with an id."""
    code, body = gateway_answer(response_type, str(uuid.uuid4()), status)
    return code, {"Content-Type": "application/json", "Access-Control-Allow-Origin": "*"}, body


def invoke(
    routes: Sequence[LocalRoute],
    method: str,
    target: str,
    headers: dict[str, str],
    body: str | None,
    claims_for: Claims | None = None,
    source_ip: str = "127.0.0.1",
) -> tuple[int, dict[str, str], str]:
    """What API Gateway answers for one request: (status, headers, body); `source_ip` is the
    client's address (requestContext.identity.sourceIp)."""
    parts = urlsplit(target)
    path = parts.path
    if method == "OPTIONS":
        allow = "Content-Type,Authorization,Idempotency-Key,x-api-key,If-Match"
        return (
            204,
            {
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Allow-Headers": allow,
                "Access-Control-Allow-Methods": "GET,POST,PATCH,DELETE",
            },
            "",
        )
    found = match_route([(r.method, r.path) for r in routes], method, path)
    if found is None:
        return _gateway("MISSING_AUTHENTICATION_TOKEN")
    resource, params = found
    route = next(r for r in routes if r.method == method and r.path == resource)
    event = rest_event(
        method,
        path,
        resource=resource,
        path_parameters=params,
        headers=headers,
        query=parse_qs(parts.query) or None,
        body=body,
        source_ip=source_ip,
    )
    if route.cognito:
        token = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        try:
            if not token or claims_for is None:
                raise ValueError("no token")
            event["requestContext"]["authorizer"] = {"claims": claims_for(token)}
        except Exception:
            return _gateway("UNAUTHORIZED")
    try:
        result = route.handler(event, LambdaContext(function_name=route.function_name))
    except GatewayTimeout:
        return _json(504, {"message": "Endpoint request timed out"})
    except WorkerFailed:
        return _json(502, {"message": "Internal server error"})  # the worker printed its trace
    except Exception:
        # What API Gateway answers when the function fails; the trace is on this console.
        traceback.print_exc(file=sys.stderr)
        return _gateway("DEFAULT_5XX", 502)
    out_headers = {**(result.get("headers") or {})}
    for key, values in (result.get("multiValueHeaders") or {}).items():
        # Cookies cannot be folded into one line with commas (their dates hold commas): one a line.
        out_headers[key] = ("\n" if key.lower() == "set-cookie" else ",").join(values)
    return int(result.get("statusCode", 502)), out_headers, result.get("body") or ""


class LocalApiServer(ThreadingHTTPServer):
    """Bound at once (so a taken port fails before anything starts); serves once `routes` is set."""

    request_queue_size = BACKLOG
    daemon_threads = True
    # True once the routes run in worker processes; until then requests take turns in this process.
    concurrent = False
    in_process: Any  # a threading.RLock: this process's own handlers and helpers take turns
    routes: list[LocalRoute]
    claims_for: Claims | None = None
    login: Callable[[str, str], str] | None = None
    # Local-only stand-ins for the carrier and payment webhooks until those endpoints exist:
    # body -> (status, answer).
    simulations: dict[str, Callable[[dict[str, Any]], tuple[int, Any]]] = {}


def make_server(host: str, port: int, routes: Iterable[LocalRoute] = ()) -> LocalApiServer:
    class Front(BaseHTTPRequestHandler):
        server: LocalApiServer
        server_version = "boomerang-local"

        def _serve(self) -> None:
            if self.server.concurrent:
                self._serve_one()
                return
            with self.server.in_process:
                self._serve_one()

        def _serve_one(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                while length > 0:  # read it away, so the client hears the answer, not a reset
                    chunk = self.rfile.read(min(length, 1 << 16))
                    length = length - len(chunk) if chunk else 0
                self._send(*_gateway("REQUEST_TOO_LARGE"))
                return
            body = self.rfile.read(length).decode("utf-8", errors="replace") if length else None
            if not self.server.routes:
                self._send(*_json(503, {"message": "Starting"}))
                return
            if self.command == "POST" and self.path == "/local/login" and self.server.login:
                with self.server.in_process:
                    self._send(*self._login(body))
                return
            simulate = self.server.simulations.get(self.path) if self.command == "POST" else None
            if simulate is not None:
                try:
                    given = json.loads(body or "{}")
                    if not isinstance(given, dict):
                        raise ValueError("not an object")
                except ValueError:
                    self._send(*_gateway_error(400, "malformed_json", "The body must be a JSON object."))
                    return
                with self.server.in_process:  # the coordinator's own helpers take turns
                    self._send(*_json(*simulate(given)))
                return
            self._send(
                *invoke(
                    self.server.routes,
                    self.command,
                    self.path,
                    dict(self.headers.items()),
                    body,
                    self.server.claims_for,
                    source_ip=self.client_address[0],
                )
            )

        def _login(self, body: str | None) -> tuple[int, dict[str, str], str]:
            try:
                given = json.loads(body or "{}")
                assert self.server.login is not None
                return _json(
                    200, {"id_token": self.server.login(str(given["username"]), str(given["password"]))}
                )
            except Exception:
                return _gateway_error(401, "unauthenticated", "Wrong username or password.")

        def _send(self, status: int, headers: dict[str, str], text: str) -> None:
            data = text.encode()
            self.send_response(status)
            for key, value in {**headers, **SECURITY_HEADERS}.items():
                for line in value.split("\n") if key.lower() == "set-cookie" else [value]:
                    self.send_header(key, line)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _serve

        def __getattr__(self, name: str) -> Any:
            # Any other method (TRACE, QUERY...) as API Gateway answers it: no such route, not a 501.
            if name.startswith("do_"):
                return self._serve
            raise AttributeError(name)

        def log_message(self, format: str, *args: Any) -> None:
            sys.stderr.write(f"{self.command} {self.path} -> {args[1] if len(args) > 1 else ''}\n")

    server = LocalApiServer((host, port), Front)
    server.in_process = threading.RLock()
    server.routes = list(routes)
    return server
