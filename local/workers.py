"""Lambda's concurrency for the local front: API functions run in worker processes, each its own
"container".

On AWS every concurrent request to a function gets a container of its own: a process that imported
the handler once (its cold start) and then serves one request at a time. Two racing requests run
side by side in two containers, and only DynamoDB's conditional writes decide between them. The
local front does the same: each worker is a process started with `spawn` (a fresh interpreter, as
a new container is) that imports every API function with the environment the template gives it,
then serves one invocation at a time. The front hands each request to an idle worker and waits
while all are busy, as Lambda's reserved concurrency would throttle.

What stays in the coordinator (the `make local` process): the HTTP front itself with the
authorizer's check of staff tokens (API Gateway's part), DynamoDB Local and moto's server, and
everything that runs there in-process: the Step Functions interpreter and the task functions it
invokes, the DynamoDB stream, SQS and EventBridge pollers, S3 event dispatch, Cognito sign-in and
the /local/* helpers. Workers reach all of it the way a Lambda does, over the network: DynamoDB
Local and moto's server by the endpoint variables they inherit (AWS_ENDPOINT_URL_*).
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

# API Gateway's integration timeout: after it the gateway answers 504 (the function runs on).
INTEGRATION_TIMEOUT = 29.0
READY_TIMEOUT = 180.0


@dataclass(frozen=True)
class FunctionImport:
    """One API function as a worker imports it: module, handler attribute, resolved environment."""

    logical_id: str
    module: str
    attribute: str
    environment: dict[str, str]


class WorkerFailed(Exception):
    """The worker's handler raised (the traceback is the message) or the worker died."""


class GatewayTimeout(Exception):
    """The function did not answer within API Gateway's integration timeout."""


def _serve(conn: Connection, functions: list[FunctionImport]) -> None:
    """A worker's life: import each function as its Lambda would (its own environment, once), say
    ready, then serve one invocation at a time until told to stop (None)."""
    import signal
    import traceback

    from local.apigw_events import LambdaContext
    from local.lake import attach_local_lake

    # Ctrl-C reaches the whole process group: the coordinator stops the workers, not the key.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    handlers: dict[str, Callable[[dict[str, Any], Any], dict[str, Any]]] = {}
    for function in functions:
        os.environ.update(function.environment)
        module = importlib.import_module(function.module)
        attach_local_lake(module)
        handlers[function.logical_id] = getattr(module, function.attribute)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            message = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if message is None:
            return
        logical_id, event, function_name = message
        try:
            result = handlers[logical_id](event, LambdaContext(function_name=function_name))
            conn.send(("ok", result))
        except Exception:
            conn.send(("error", traceback.format_exc()))


@dataclass
class _Worker:
    process: Any
    conn: Connection
    number: int


class Workers:
    """`count` worker processes serving `functions`; `handler(logical_id)` is what a route calls."""

    def __init__(self, functions: list[FunctionImport], count: int):
        if count < 1:
            raise ValueError("at least one worker")
        self.functions = functions
        self.count = count
        self._context = multiprocessing.get_context("spawn")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        self._failed: list[str] = []
        self.ready = 0  # workers that have imported their functions (replacements count again)
        self.in_flight = 0
        self.most_in_flight = 0  # the most invocations that ran at once, since start
        self.served = 0

    def start(self) -> Workers:
        """Spawn the first worker; the others are spawned once it is ready, so the first imports
        alongside the stack's start rather than competing with all the others for the cores. Each
        takes requests once it has imported its functions (`wait_ready` waits for them)."""
        self._spawn(0)
        return self

    def _spawn(self, number: int) -> None:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=_serve, args=(theirs, self.functions), name=f"lambda-worker-{number}", daemon=True
        )
        process.start()
        theirs.close()
        worker = _Worker(process, ours, number)
        with self._lock:
            self._all.append(worker)
        threading.Thread(target=self._await_ready, args=(worker,), daemon=True).start()

    def _await_ready(self, worker: _Worker) -> None:
        try:
            if worker.conn.poll(READY_TIMEOUT):
                kind, _ = worker.conn.recv()
                if kind == "ready":
                    with self._lock:
                        self.ready += 1
                        first = self.ready == 1 and len(self._all) == 1
                    self._idle.put(worker)
                    if first and not self._closed:
                        for number in range(1, self.count):
                            self._spawn(number)
                    return
        except (EOFError, OSError):
            pass
        self._failed.append(f"worker {worker.number} did not start (exit code {worker.process.exitcode})")

    def wait_ready(self, at_least: int | None = None, timeout: float = READY_TIMEOUT) -> None:
        """Wait until `at_least` workers (default: all) have imported their functions."""
        wanted = self.count if at_least is None else min(at_least, self.count)
        deadline = time.monotonic() + timeout
        while self.ready < wanted:
            if self._failed:
                raise RuntimeError("; ".join(self._failed))
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.ready} of {self.count} workers ready after {timeout:.0f} s")
            time.sleep(0.05)

    def handler(self, logical_id: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
        def call(event: dict[str, Any], context: Any) -> dict[str, Any]:
            return self.invoke(logical_id, event, str(getattr(context, "function_name", logical_id)))

        call.__name__ = f"worker:{logical_id}"
        return call

    def invoke(self, logical_id: str, event: dict[str, Any], function_name: str) -> dict[str, Any]:
        """Run the function on an idle worker (waiting for one while all are busy)."""
        worker = self._idle.get(timeout=READY_TIMEOUT)
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            worker.conn.send((logical_id, event, function_name))
            if not worker.conn.poll(INTEGRATION_TIMEOUT):
                self._replace(worker)
                raise GatewayTimeout(f"{function_name} did not answer within {INTEGRATION_TIMEOUT:.0f} s")
            kind, value = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError) as exc:
            self._replace(worker)
            raise WorkerFailed(f"worker {worker.number} died: {exc!r}") from exc
        finally:
            with self._lock:
                self.in_flight -= 1
                self.served += 1
        self._idle.put(worker)
        if kind == "error":
            sys.stderr.write(f"{function_name} (worker {worker.number}) failed:\n{value}")
            raise WorkerFailed(str(value))
        return dict(value)

    def _replace(self, worker: _Worker) -> None:
        """A worker that timed out or died is ended and a fresh one (a new cold start) takes its place."""
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
            self.ready -= 1
        worker.process.kill()
        worker.process.join(5)
        worker.conn.close()
        if not self._closed:
            self._spawn(worker.number)

    @property
    def pids(self) -> list[int]:
        with self._lock:
            return [int(w.process.pid) for w in self._all]

    def status(self) -> dict[str, Any]:
        """What `POST /local/workers` answers: how many, their pids, and how concurrent it got."""
        with self._lock:
            return {
                "workers": self.count,
                "ready": self.ready,
                "pids": [int(w.process.pid) for w in self._all],
                "in_flight": self.in_flight,
                "most_in_flight": self.most_in_flight,
                "served": self.served,
            }

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            with contextlib.suppress(OSError):
                worker.conn.send(None)
        for worker in workers:
            worker.process.join(5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(5)
            worker.conn.close()
