"""`make demo` end to end: it starts its own local stack, walks every journey a merchant sees and
stops the stack; every journey must end where it should."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from local.demo.journeys import JOURNEYS

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 900  # some 150 s on a quiet 2-core machine; several times that when it is shared


def test_every_demo_journey_ends_where_it_should() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("DEMO_BASE_URL", None)  # the demo starts (and stops) its own stack
    process = subprocess.Popen(
        [sys.executable, "-m", "local.demo"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        out, _ = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        # As a supervisor would: SIGTERM lets the demo stop the stack it started.
        process.send_signal(signal.SIGTERM)
        try:
            out, _ = process.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
        raise AssertionError(f"the demo did not finish within {TIMEOUT} s:\n{out[-6000:]}") from None
    verdicts = re.findall(r"^\s+(PASS|FAIL)\s+(\d+)\. ", out, flags=re.MULTILINE)
    assert process.returncode == 0, out[-8000:]
    assert sorted(int(n) for _, n in verdicts) == list(range(1, len(JOURNEYS) + 1)), out[-8000:]
    assert all(verdict == "PASS" for verdict, _ in verdicts), out[-8000:]
    assert "Local stack stopped." in out
