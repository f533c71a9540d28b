"""Issue 13, item 8: schemathesis (pinned in pyproject.toml) over the OpenAPI documents the local
stack serves, through its HTTP front, as a storefront developer's client would meet them.

`make local` runs in its own process on a free port; the demo shop is given a few real returns and
a ticket first, and schemathesis draws path parameters and body fields from them part of the time
(dictionaries in a generated config), so its requests reach the code behind the 404s. Three runs:
the storefront document with the storefront's API key, the same with a customer token (order
1001), the staff document with the admin's ID token from /local/login. Each: the examples,
coverage and fuzzing phases, deterministic generation (no randomness: the same cases every run),
a bounded number of examples per operation, and the two checks the issue names. Found failures are
printed with schemathesis' own report (a curl to reproduce each).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from local.cognito import PASSWORD
from local.demo.data import DEMO_API_KEY, DEMO_SHOP
from local.dynamodb_local import free_port

ROOT = Path(__file__).resolve().parents[2]
CHECKS = "not_a_server_error,response_schema_conformance"
MAX_EXAMPLES = 30  # per operation and phase: under a minute per run on this 2-core machine
RUN_TIMEOUT = 480


@dataclass
class Stack:
    base: str
    customer_token: str
    staff_token: str
    config: Path
    process: subprocess.Popen[bytes]
    log: Path


def _start(port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PORT": str(port), "PYTHONUNBUFFERED": "1"}
    for name in ("TABLE_NAME", "IDEMPOTENCY_TABLE_NAME", "SESSION_SECRET_NAME"):
        env.pop(name, None)
    # -X faulthandler: a SIGABRT dumps every thread's stack into the log (see _run).
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-X", "faulthandler", "-m", "local"], cwd=ROOT, env=env, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        if b"Ready in" in log.read_bytes():
            return process
        time.sleep(1)
    process.kill()
    raise AssertionError("make local did not get ready:\n" + log.read_text(errors="replace")[-5000:])


def _post(base: str, path: str, body: Any, **headers: str) -> Any:
    sent = requests.post(f"{base}{path}", json=body, headers=headers, timeout=30)
    assert sent.status_code < 300, (path, sent.status_code, sent.text)
    return sent.json()


def _seed(base: str) -> dict[str, list[str]]:
    """Real ids for schemathesis to draw from: returns in three states, a ticket, the demo orders."""
    key = {"x-api-key": DEMO_API_KEY}
    rmas = []
    for order, reason in (("1001", "size_too_small"), ("1002", "defective"), ("1003", "not_as_described")):
        body = {"order_id": order, "items": [{"line_id": f"{order}-1", "quantity": 1, "reason": reason}],
                "resolution": "refund"}  # fmt: skip
        rmas.append(_post(base, "/v1/returns", body, **key, **{"Idempotency-Key": uuid.uuid4().hex})["rma"])
    ticket = _post(
        base,
        "/v1/tickets",
        {"message": "Where is my refund?", "order_id": "1002", "language": "en"},
        **key,
        **{"Idempotency-Key": uuid.uuid4().hex},
    )
    return {
        "rmas": rmas,
        "orders": ["1001", "1002", "1003", "1004"],
        "lines": ["1001-1", "1002-1", "1003-1"],
        "tickets": [ticket["ticket_id"]],
        "emails": ["ada@example.com", "grace@example.com", "linus%40example.com"],
        "shops": [DEMO_SHOP],
    }


def _config(path: Path, ids: dict[str, list[str]]) -> Path:
    """A schemathesis.toml: each id parameter takes a real value half of the time."""
    bindings = {
        "path.rma": "rmas",
        "body.rma": "rmas",
        "path.order_id": "orders",
        "body.order_id": "orders",
        "body.items[*].line_id": "lines",
        "body.lines[*].line_id": "lines",
        "path.ticket_id": "tickets",
        "path.email": "emails",
        "query.shop": "shops",
        "body.shop": "shops",
    }
    lines = [f"[dictionaries.{name}]\nvalues = {json.dumps(values)}\n" for name, values in ids.items()]
    lines.append("[parameters]")
    lines += [f'"{key}" = {{ dictionary = "{name}", probability = 0.5 }}' for key, name in bindings.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    port, where = free_port(), tmp_path_factory.mktemp("st")
    process = _start(port, where / "local.log")
    try:
        base = f"http://127.0.0.1:{port}"
        ids = _seed(base)
        session = {"shop": DEMO_SHOP, "order_number": "#1001", "email": "ada@example.com"}
        token = _post(base, "/v1/sessions", session)["token"]
        staff = _post(base, "/local/login", {"username": "admin", "password": PASSWORD})["id_token"]
        config = _config(where / "schemathesis.toml", ids)
        yield Stack(base, token, staff, config, process, where / "local.log")
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)


def _run(stack: Stack, document: str, header: str) -> None:
    command = [
        str(Path(sys.executable).with_name("st")), "--config-file", str(stack.config), "run",
        f"{stack.base}{document}", "--header", header, "--checks", CHECKS,
        "--phases", "examples,coverage,fuzzing", "--generation-deterministic",
        "--max-examples", str(MAX_EXAMPLES), "--workers", "1", "--request-timeout", "30",
        "--generation-with-security-parameters", "false", "--no-color", "--output-truncate", "false",
    ]  # fmt: skip
    started = time.monotonic()
    try:
        done = subprocess.run(
            command, cwd=stack.config.parent, capture_output=True, text=True, timeout=RUN_TIMEOUT
        )
    except subprocess.TimeoutExpired as hung:
        stack.process.send_signal(signal.SIGABRT)  # the stack's threads, into its log
        stack.process.wait(timeout=30)
        threads = stack.log.read_text(errors="replace")[-20_000:]
        raise AssertionError(f"schemathesis hung; the local stack's threads:\n{threads}") from hung
    took = time.monotonic() - started
    summary = [line for line in done.stdout.splitlines() if re.search(r"generated|passed|failed", line)]
    print(f"{document} ({header.split(':')[0]}): {took:.0f} s", *summary[-3:], sep="\n  ")
    assert done.returncode == 0, done.stdout[-20_000:] + done.stderr[-5_000:]


def test_the_storefront_document_with_the_api_key(stack: Stack) -> None:
    _run(stack, "/v1/openapi.json", f"x-api-key: {DEMO_API_KEY}")


def test_the_storefront_document_with_a_customer_token(stack: Stack) -> None:
    _run(stack, "/v1/openapi.json", f"Authorization: Bearer {stack.customer_token}")


def test_the_staff_document_with_a_staff_sign_in(stack: Stack) -> None:
    _run(stack, "/admin/v1/openapi.json", f"Authorization: {stack.staff_token}")
