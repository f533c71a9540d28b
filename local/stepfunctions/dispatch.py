"""In-process Lambda dispatch: moto's no-Docker Lambda `invoke` patched (once, version-checked) to
call the Python handler registered for the function, answering as Lambda answers, and a log of
every invocation for tests and benchmarks."""

from __future__ import annotations

import inspect
import json
import threading
import time
import traceback
import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local.apigw_events import LambdaContext

MOTO_VERSION_CHECKED = "5.2.5"

Handler = Callable[[dict[str, Any], Any], Any]


class LambdaServiceError(Exception):
    """Raise from a handler to fail the Invoke *call*, as the Lambda service does when it throttles
    or breaks: Step Functions then reports `Lambda.<code>`: Lambda.ServiceException (500, one of
    the errors CDK's LambdaInvoke retries by default), Lambda.TooManyRequestsException (429)..."""

    def __init__(self, code: str = "ServiceException", message: str = "", status: int = 500):
        super().__init__(message or code)
        self.code = code
        self.message = message or f"local {code}"
        self.status = status


@dataclass
class TaskLambdaContext(LambdaContext):
    """The Lambda `context`, with the ARN and limits of the function moto holds."""

    function_arn: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.function_arn:
            self.invoked_function_arn = self.function_arn


@dataclass
class Invocation:
    """One handler call, as recorded for tests and benchmarks."""

    function_name: str
    event: Any
    request_id: str
    started: float
    ended: float = 0.0
    result: Any = None
    error_type: str | None = None  # set when the handler raised
    error_message: str | None = None


@dataclass
class _Target:
    handler: Handler
    owner: object


class _Dispatch:
    """Handlers by (account, region, function name), and the invocation log.

    The server runs each Invoke on its own request thread, and executions run concurrently, so
    every access goes through one lock; waiters are woken through a Condition.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._targets: dict[tuple[str, str, str], _Target] = {}
        self.invocations: deque[Invocation] = deque(maxlen=10_000)  # bounded for `make local`

    def register(self, key: tuple[str, str, str], target: _Target) -> None:
        with self._cond:
            self._targets[key] = target

    def unregister(self, owner: object) -> None:
        with self._cond:
            for key in [k for k, t in self._targets.items() if t.owner is owner]:
                del self._targets[key]

    def target(self, key: tuple[str, str, str]) -> _Target | None:
        with self._cond:
            return self._targets.get(key)

    def record(self, invocation: Invocation) -> None:
        with self._cond:
            self.invocations.append(invocation)
            self._cond.notify_all()

    def finished(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def snapshot(self) -> list[Invocation]:
        with self._cond:
            return list(self.invocations)

    def wait(self, found: Callable[[], Invocation | None], timeout: float) -> Invocation | None:
        with self._cond:
            return self._cond.wait_for(found, timeout=timeout)


DISPATCH = _Dispatch()


def _error_payload(error_type: str, message: str, request_id: str, tb: Any = None) -> bytes:
    """What the Python runtime returns for an unhandled exception."""
    stack = traceback.format_list(traceback.extract_tb(tb)) if tb is not None else []
    body = {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": stack}
    return json.dumps(body).encode()


def _run_handler(fn: Any, target: _Target, body: Any) -> tuple[bytes, bool]:
    """Call the handler the way the Lambda runtime would. Returns (payload, function_error)."""
    text = body.decode() if isinstance(body, bytes) else body
    event = json.loads(text) if text else {}
    context = TaskLambdaContext(
        function_name=fn.function_name,
        memory_limit_in_mb=int(fn.memory_size),
        timeout_ms=int(fn.timeout) * 1000,
        log_group_name=f"/aws/lambda/{fn.function_name}",
        function_arn=fn.function_arn,
    )
    call = Invocation(fn.function_name, event, context.aws_request_id, started=time.monotonic())
    DISPATCH.record(call)
    try:
        try:
            result = target.handler(event, context)
        finally:
            call.ended = time.monotonic()
        try:
            payload = json.dumps(result).encode()
        except (TypeError, ValueError) as exc:
            call.error_type = "Runtime.MarshalError"
            call.error_message = f"Unable to marshal response: {exc}"
            return _error_payload(call.error_type, call.error_message, call.request_id), True
        call.result = result
        return payload, False
    except LambdaServiceError:
        call.error_type, call.error_message = "LambdaServiceError", "raised to the Invoke caller"
        raise
    except Exception as exc:
        call.error_type, call.error_message = type(exc).__name__, str(exc)
        return _error_payload(call.error_type, call.error_message, call.request_id, exc.__traceback__), True
    finally:
        DISPATCH.finished()


_install_lock = threading.Lock()
_installed = False


def install_lambda_dispatch() -> None:
    """Route moto's no-Docker Lambda `invoke` to registered in-process handlers (idempotent).

    The one monkeypatch: `LambdaSimpleBackend.invoke`, checked on moto 5.2.5. It is patched on the
    class, so it survives moto's backend resets; functions without a registered handler keep
    moto's echo behaviour. If moto changes the method, this raises rather than run unpatched.
    """
    global _installed
    with _install_lock:
        if _installed:
            return
        import moto
        from moto.awslambda_simple.models import LambdaSimpleBackend
        from moto.core.exceptions import JsonRESTError

        original = LambdaSimpleBackend.invoke
        expected = ["self", "function_name", "qualifier", "body", "headers", "response_headers"]
        if list(inspect.signature(original).parameters) != expected:
            raise RuntimeError(
                f"moto {moto.__version__}: LambdaSimpleBackend.invoke is no longer "
                f"{expected} (checked on {MOTO_VERSION_CHECKED}); revisit local/stepfunctions/dispatch.py"
            )
        if moto.__version__ != MOTO_VERSION_CHECKED:
            warnings.warn(
                f"local.stepfunctions was checked on moto {MOTO_VERSION_CHECKED}, running {moto.__version__}",
                stacklevel=2,
            )

        def invoke(
            self: Any,
            function_name: str,
            qualifier: str | None,
            body: Any,
            headers: Any,
            response_headers: Any,
        ) -> str | bytes | None:
            fn = self.get_function(function_name, qualifier)  # unknown function: Lambda's 404
            target = DISPATCH.target((self.account_id, self.region_name, fn.function_name))
            if target is None:
                return original(self, function_name, qualifier, body, headers, response_headers)
            try:
                payload, function_error = _run_handler(fn, target, body)
            except LambdaServiceError as exc:
                error = JsonRESTError(exc.code, exc.message)
                error.code = exc.status
                raise error from exc
            if function_error:
                response_headers["x-amz-function-error"] = "Unhandled"
            response_headers["Content-Length"] = str(len(payload))
            return payload

        invoke.__doc__ = "In-process dispatch installed by local.stepfunctions.install_lambda_dispatch."
        LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign]
        _installed = True


_parse_installed = False


def install_parse_cache() -> None:
    """Parse each state machine definition once, not once per execution (idempotent).

    moto's interpreter parses the definition with ANTLR at every StartExecution: for Boomerang's
    44 KB workflow that is 0.3-0.5 s of one core before the first state runs, most of the local
    request-to-label time (bench/load.py measures it). The parsed program is safe to share: its
    components keep no execution's state (that lives in each execution's Environment; checked on
    moto 5.2.5), so executions running side by side can evaluate the same tree.
    """
    global _parse_installed
    with _install_lock:
        if _parse_installed:
            return
        from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

        original = AmazonStateLanguageParser.parse
        parsed: dict[str, Any] = {}
        lock = threading.Lock()

        def parse(definition: str) -> Any:
            with lock:
                hit = parsed.get(definition)
            if hit is not None:
                return hit
            made = original(definition)  # a definition that does not parse raises, and is not kept
            with lock:
                if len(parsed) >= 32:  # test runs deploy many small machines
                    parsed.pop(next(iter(parsed)))
                parsed[definition] = made
            return made

        AmazonStateLanguageParser.parse = staticmethod(parse)  # type: ignore[method-assign,assignment]
        _parse_installed = True
