"""`make local` measured: seconds from starting it to the first request served, and the memory of
the whole local stack (the Python process, its API worker processes and DynamoDB Local's Java) at
rest after a few requests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from local.demo.data import DEMO_API_KEY
from local.dynamodb_local import free_port

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Startup:
    first_request_s: float
    python_mb: float
    java_mb: float
    workers: int = 0
    workers_mb: float = 0.0  # all of them together


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        found += [int(c) for c in children]
    return found


def measure(command: list[str] | None = None, cwd: Path = ROOT) -> Startup:
    """Start the local stack (default: `python -m local` here) and time its first served request."""
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen(
        command or [sys.executable, "-m", "local"],
        cwd=cwd,
        env={**os.environ, "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: `make local` and the stack under it stop together
    )
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/policy", headers={"x-api-key": DEMO_API_KEY}
        )
        while True:
            if process.poll() is not None:
                raise RuntimeError("the local stack exited before serving")
            if time.monotonic() - started > 600:
                raise RuntimeError("no request served in 10 minutes")
            try:
                with urllib.request.urlopen(request, timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        first = time.monotonic() - started
        for _ in range(10):
            urllib.request.urlopen(request, timeout=5).read()
        time.sleep(2)
        children = _children(process.pid)
        workers = [c for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]
        java = sum(_rss_mb(c) for c in children if b"java" in Path(f"/proc/{c}/cmdline").read_bytes())
        return Startup(first, _rss_mb(process.pid), java, len(workers), sum(_rss_mb(c) for c in workers))
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


if __name__ == "__main__":
    result = measure()
    print(
        f"first request after {result.first_request_s:.1f} s; python {result.python_mb:.0f} MB, "
        f"{result.workers} API workers {result.workers_mb:.0f} MB, DynamoDB Local {result.java_mb:.0f} MB"
    )
