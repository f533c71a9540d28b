"""`make demo`: walk returns through every path a merchant sees, on the local stack, and print each
return's timeline.

    .venv/bin/python -m local.demo [--base http://127.0.0.1:3000]

With `--base` (or DEMO_BASE_URL) it drives that running stack (`make local`); otherwise it starts
one itself on a free port and stops it at the end. Every step comes from where it comes from in
production: orders, returns and cancellations from the storefront API, review, scans and inspection
from the staff API. Carrier and payment news come through the local-only stand-ins
/local/simulate/carrier and /local/simulate/payment until the carrier and payment webhooks exist;
they make the same library calls those webhooks will.

Exits 0 only if every journey ends where it should; 1 otherwise.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local.demo import events as demo_events
from local.demo.harness import Api, Journey, JourneyFailed, stopping
from local.demo.journeys import JOURNEYS, SLOW
from local.dynamodb_local import free_port

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 180.0  # seconds for the stack to print "Ready in"
# The stack makes its own tables, secret and endpoints; it must never inherit a caller's.
OWN_ENVIRONMENT = ("TABLE_NAME", "IDEMPOTENCY_TABLE_NAME", "SESSION_SECRET_NAME", "STATE_MACHINE_ARN")


def run_journey(api: Api, run_id: str, number: int, title: str, walk: Callable[[Journey], None]) -> Journey:
    j = Journey(number, title, api, run_id)
    started = time.monotonic()
    try:
        walk(j)
    except JourneyFailed as exc:
        j.error = str(exc)
        j.say(f"FAIL {exc}")
    except Exception as exc:  # a bug in the demo or an odd answer: report it, go on with the others
        j.error = f"{type(exc).__name__}: {exc}"
        j.say(f"FAIL {j.error}")
        j.lines.extend("  " + line for line in traceback.format_exc().rstrip().splitlines())
    for tracked in j.tracked:  # where each return really ended, whatever happened above
        try:
            tracked.final = j.staff_view(tracked.rma)()
        except JourneyFailed as exc:
            j.say(f"FAIL could not read {tracked.rma} back: {exc}")
    j.seconds = time.monotonic() - started
    return j


# --- output ---------------------------------------------------------------------------------------


def timeline_table(ret: dict[str, Any]) -> list[str]:
    header = ("time", "status", "event", "actor", "message")
    rows = [
        (e["at"].replace("T", " ").removesuffix("Z"), e["status"], e["event"], e["actor"], e["message"])
        for e in ret.get("timeline") or []
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]

    def fmt(row: tuple[str, ...]) -> str:
        return "    " + "  ".join(v.ljust(w) for v, w in zip(row[:4], widths, strict=True)) + "  " + row[4]

    return [fmt(header), fmt((*("-" * w for w in widths), "-" * 7)), *(fmt(r) for r in rows)]


def report(j: Journey) -> list[str]:
    out = [f"== {j.number}. {j.title} " + "=" * max(0, 70 - len(j.title)), *j.lines]
    for t in j.tracked:
        status = t.final["status"] if t.final else "?"
        out.append("")
        out.append(f"  {t.rma}  {t.label}: {status} (expected {t.expected})")
        if t.final:
            out.extend(timeline_table(t.final))
    out.append("")
    return out


def summary(j: Journey) -> str:
    expected = ", ".join(t.expected for t in j.tracked) or "-"
    actual = ", ".join((t.final or {}).get("status", "?") for t in j.tracked) or "-"
    why = ""
    if not j.passed:
        failed = [d for d, ok in j.checks if not ok]
        why = f"  ({j.error.splitlines()[0] if j.error else '; '.join(failed)})" if j.error or failed else ""
    verdict = "PASS" if j.passed else "FAIL"
    return f"{verdict}  {j.number}. {j.title}: expected {expected}, got {actual}  [{j.seconds:.1f} s]{why}"


def run_all(base: str, only: str | None = None) -> bool:
    """Every journey, or those whose title contains one of `only`'s comma-separated parts."""
    api = Api(base)
    parts = [p.strip().lower() for p in (only or "").split(",") if p.strip()]
    journeys = [(t, w) for t, w in JOURNEYS if not parts or any(p in t.lower() for p in parts)]
    run_id = datetime.now(UTC).strftime("%H%M%S") + uuid.uuid4().hex[:4]
    print(f"Boomerang demo on {base} (run {run_id})\n", flush=True)
    api.staff("support")  # fail early and clearly if the stack is not there
    watch = demo_events.EventWatch(api).start()  # lists the events each journey published
    numbered = [(n, title, walk) for n, (title, walk) in enumerate(journeys, start=1)]
    done: list[Journey] = []
    # The slow journeys (mostly waiting for a timeout) run beside the others, which run in order
    # here. The local front serves one request at a time, so more lanes would only queue.
    with ThreadPoolExecutor(max_workers=max(1, len(SLOW)), thread_name_prefix="journey") as pool:
        try:
            beside: dict[int, Future[Journey]] = {
                n: pool.submit(run_journey, api, run_id, n, title, walk)
                for n, title, walk in numbered
                if walk.__name__ in SLOW
            }
            for n, title, walk in numbered:
                journey = beside[n].result() if n in beside else run_journey(api, run_id, n, title, walk)
                print("\n".join(report(journey) + watch.lines(journey)), flush=True)
                done.append(journey)
        finally:
            stopping.set()  # on the way out (also on Ctrl-C) the other lane stops waiting
            watch.stop()
    print("Summary", flush=True)
    for journey in done:
        print("  " + summary(journey), flush=True)
    passed = bool(journeys) and len(done) == len(journeys) and all(j.passed for j in done)
    failed = sum(not j.passed for j in done) + len(journeys) - len(done)
    print(
        f"\n{'All' if passed else 'Not all'} {len(journeys)} journeys ended where they should"
        + ("." if passed else f": {failed} failed."),
        flush=True,
    )
    return passed


# --- the stack, when the demo starts its own ----------------------------------------------------


def _die_with_parent() -> None:
    """In the child, before exec: end the stack if the demo dies (e.g. killed by a test timeout)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class OwnStack:
    """`python -m local` on a free port, stopped with SIGTERM (as a supervisor would) at the end."""

    def __init__(self) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[str] | None = None
        self.stdout: deque[str] = deque(maxlen=200)
        self.stderr: deque[str] = deque(maxlen=200)
        self.ready = threading.Event()

    def _drain(self, stream: Any, into: deque[str], watch: bool) -> None:
        for line in stream:
            into.append(line.rstrip("\n"))
            if watch and line.startswith("Ready in"):
                self.ready.set()

    def start(self) -> None:
        env = {**os.environ, "PORT": str(self.port), "PYTHONUNBUFFERED": "1"}
        for name in list(env):
            if name in OWN_ENVIRONMENT or name.startswith("AWS_ENDPOINT_URL"):
                env.pop(name)
        print(f"Starting the local stack on {self.base} (python -m local) ...", flush=True)
        started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "local"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # Its own session: Ctrl-C reaches the demo only, which then stops the stack once.
            start_new_session=True,
            preexec_fn=_die_with_parent,  # before any thread of ours starts
        )
        for stream, into, watch in (
            (self.process.stdout, self.stdout, True),
            (self.process.stderr, self.stderr, False),
        ):
            threading.Thread(target=self._drain, args=(stream, into, watch), daemon=True).start()
        deadline = started + START_TIMEOUT
        while not self.ready.wait(0.2):
            if self.process.poll() is not None:
                self._failed(f"it exited with code {self.process.returncode} before it was ready")
            if time.monotonic() > deadline:
                self._failed(f"it was not ready within {START_TIMEOUT:.0f} s")
            if stopping.is_set():
                raise KeyboardInterrupt
        print(f"Stack ready in {time.monotonic() - started:.1f} s.\n", flush=True)

    def _failed(self, why: str) -> None:
        time.sleep(0.3)  # let the readers take the last lines
        tail = "\n".join(list(self.stderr)[-40:]) or "(nothing on stderr)"
        out = "\n".join(list(self.stdout)[-10:]) or "(nothing on stdout)"
        sys.stderr.write(
            f"make demo: the local stack did not start: {why}.\n--- its stdout (tail) ---\n{out}\n"
            f"--- its stderr (tail) ---\n{tail}\n"
        )
        raise SystemExit(1)

    def stop(self) -> bool:
        """SIGTERM, then (after 30 s) SIGKILL; False if it was not running."""
        if self.process is None or self.process.poll() is not None:
            return False
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        return True

    def stderr_tail(self, lines: int = 30) -> str:
        return "\n".join(list(self.stderr)[-lines:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--base",
        default=os.environ.get("DEMO_BASE_URL"),
        help="a running stack (make local), e.g. http://127.0.0.1:3000; default: start one",
    )
    parser.add_argument(
        "--only", help="run only the journeys whose title contains one of these comma-separated texts"
    )
    args = parser.parse_args(argv)

    def _terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    started = time.monotonic()
    stack: OwnStack | None = None
    passed = False
    try:
        if args.base:
            base = str(args.base)
        else:
            stack = OwnStack()
            stack.start()
            base = stack.base
        try:
            passed = run_all(base, args.only)
        except JourneyFailed as exc:
            print(f"make demo: {exc}", file=sys.stderr, flush=True)
        if not passed and stack is not None:
            print(f"\n--- the stack's stderr (tail) ---\n{stack.stderr_tail()}", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        stopping.set()
        print("\nmake demo: interrupted.", file=sys.stderr, flush=True)
        passed = False
    finally:
        stopping.set()
        if stack is not None and stack.stop():
            print("Local stack stopped.", flush=True)
    print(f"Demo took {time.monotonic() - started:.1f} s.", flush=True)
    return 0 if passed else 1
