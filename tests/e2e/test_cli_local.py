"""The done-when journey of the merchant CLI on a real `make local`: with the stack running,
`boomerang policy set demo --window-days 45` is one command (no table name, no port) and the next
eligibility answer shows the new deadline; `boomerang policy simulate` lists the returns that would
flip. The discovery file the CLI found the stack by is gone once the stack stops."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from local.demo.data import DEMO_API_KEY
from local.dynamodb_local import free_port

ROOT = Path(__file__).resolve().parents[2]
BOOMERANG = str(Path(sys.executable).with_name("boomerang"))


def _call(base: str, method: str, path: str, body: Any = None, **headers: str) -> Any:
    request = urllib.request.Request(
        f"{base}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"x-api-key": DEMO_API_KEY, "Content-Type": "application/json", **headers},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def _boomerang(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([BOOMERANG, *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "boomerang: make local (http://127.0.0.1:" in done.stderr  # found without a port or table
    return done.stdout


def test_policy_set_and_simulate_against_make_local(tmp_path: Path) -> None:
    port = free_port()
    found_at = tmp_path / ".boomerang" / "local.json"
    env = {
        **os.environ,
        "PORT": str(port),
        "ASSETS_PORT": str(free_port()),
        "PYTHONUNBUFFERED": "1",
        "BOOMERANG_LOCAL_FILE": str(found_at),
    }
    for name in ("TABLE_NAME", "IDEMPOTENCY_TABLE_NAME", "SESSION_SECRET_NAME", "BOOMERANG_STACK"):
        env.pop(name, None)
    errors = (tmp_path / "stderr.txt").open("w")  # why it stopped, if it does
    process = subprocess.Popen(
        [sys.executable, "-m", "local"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=errors, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line or line.startswith("Ready in"):
                break
        started = line.startswith("Ready in")
        assert found_at.exists(), (
            f"make local wrote no discovery file (ready: {started}): "
            + (tmp_path / "stderr.txt").read_text()[-3000:]
        )
        outputs = json.loads(found_at.read_text())["outputs"]
        base = f"http://127.0.0.1:{port}"
        assert outputs["ApiUrl"] == f"{base}/"
        assert outputs["WebhookUrlStripe"] == f"{base}/webhooks/stripe"
        assert outputs["TableName"] and outputs["UserPoolId"]

        # Order 1004 was delivered 45 days ago: outside the default 30-day window.
        before = _call(base, "GET", "/v1/orders/1004/eligibility")
        assert before["lines"][0]["ineligible"]["code"] == "return_window_closed"
        said = _boomerang(env, "policy", "set", "demo", "--window-days", "45")
        assert "demo: policy version 2 is current (was 1); it applies from the next request." in said
        after = _call(base, "GET", "/v1/orders/1004/eligibility")
        assert after["policy_version"] == 2
        assert after["lines"][0]["eligible"] is True
        delivered = datetime.now(UTC) - timedelta(days=45)
        assert after["lines"][0]["deadline"].startswith((delivered + timedelta(days=45)).strftime("%Y-%m-%d"))

        # A $39 size return of order 1001 is approved at once; a draft that approves size returns
        # only under $30 would send it to a person.
        made = _call(
            base,
            "POST",
            "/v1/returns",
            {"order_id": "1001", "items": [{"line_id": "1001-1", "quantity": 1, "reason": "size_too_small"}],
             "resolution": "exchange"},
            **{"Idempotency-Key": uuid.uuid4().hex},
        )  # fmt: skip
        assert made["status"] == "approved"
        rules = json.loads(_boomerang(env, "policy", "get", "demo"))["rules"]
        for rule in rules:
            if rule["rule_id"] == "auto_approve_size_under_50":
                rule["when"]["return_amount_below"] = {"USD": "30.00"}
        draft = tmp_path / "draft.json"
        draft.write_text(json.dumps({"rules": rules}))
        simulated = _boomerang(env, "policy", "simulate", "demo", str(draft), "--days", "7")
        flip = next(line for line in simulated.splitlines() if made["rma"] in line)
        assert "approved -> pending_review" in flip

        webhooks = json.loads(_boomerang(env, "webhooks", "list", "--json"))
        assert webhooks["WebhookUrlShopify"] == f"{base}/webhooks/shopify"
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
        errors.close()
    assert process.returncode == 0
    assert not found_at.exists(), "the discovery file outlived make local"
