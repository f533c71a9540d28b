"""`make local` as a new user meets it: start it, run the curl commands it prints, in order, with
bash, and check that they do what they say. Then stop it the way a supervisor would."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from local.dynamodb_local import free_port

ROOT = Path(__file__).resolve().parents[2]


def _start(port: int) -> tuple[subprocess.Popen[str], list[str]]:
    env = {**os.environ, "PORT": str(port), "PYTHONUNBUFFERED": "1"}
    for name in ("TABLE_NAME", "IDEMPOTENCY_TABLE_NAME", "SESSION_SECRET_NAME"):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "local"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    lines: list[str] = []
    deadline = time.monotonic() + 300  # a shared, busy 2-core machine has taken over 150 s
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("Ready in"):
            return process, lines
    process.kill()
    raise AssertionError("make local did not get ready:\n" + "\n".join(lines))


def _bash(command: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        ["bash", "-c", command], env=env, capture_output=True, text=True, timeout=30, check=True
    )
    return done.stdout


def test_the_printed_curls_work_and_the_stack_stops_cleanly() -> None:
    port = free_port()
    process, printed = _start(port)
    try:
        commands = [line for line in printed if line.startswith(("curl ", "TOKEN=", "STAFF="))]
        assert len(commands) >= 8, printed
        env = dict(os.environ)
        answers: list[dict[str, object]] = []
        rma = review_rma = None
        for command in commands:
            if command.startswith(("TOKEN=", "STAFF=")):
                name = command.split("=", 1)[0]
                env[name] = _bash(command + f'; printf %s "${name}"', env)
                assert env[name], f"the {name} curl gave no token"
                continue
            if "<RMA>" in command:
                assert rma, "no return was created before a curl that needs its RMA"
                command = command.replace("<RMA>", rma)
            if "<REVIEW_RMA>" in command:
                assert review_rma, "no return went to review before the curl that approves it"
                command = command.replace("<REVIEW_RMA>", review_rma)
            answer = json.loads(_bash(command, env))
            assert "error" not in answer, (command, answer)
            answers.append(answer)
            if "rma" in answer and rma is None:
                rma = str(answer["rma"])
            if answer.get("status") == "pending_review" and review_rma is None:
                review_rma = str(answer["rma"])
        statuses = [a.get("status") for a in answers if "rma" in a]
        queue = next(a for a in answers if "items" in a and "next_cursor" in a)
        assert review_rma in [r["rma"] for r in queue["items"]]  # type: ignore[union-attr]
        # auto-approved, review and evidence as the default policy says; read back; cancelled
        assert statuses[:3] == ["approved", "pending_review", "awaiting_evidence"]
        assert "cancelled" in statuses
        assert statuses.count("approved") >= 2  # staff approved the one in review
        read_back = next(a for a in answers if a.get("timeline"))
        assert read_back["decision"]["rules"]  # type: ignore[index]
    finally:
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "Stopped." in out
    # Nothing is left listening: the port is free again.
    assert re.search(r"Stopping", out)
    free = subprocess.run(["bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{port}"], capture_output=True)
    assert free.returncode != 0
