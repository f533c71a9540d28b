"""Outbound webhook signatures, checked by the receiver snippet the docs publish; the backoff."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from boomerang.outbound import signing
from boomerang.outbound.delivery import BACKOFF_SECONDS, GIVE_UP_AFTER_SECONDS, backoff
from boomerang.outbound.subscriptions import SubscriptionIn

DOC = Path(__file__).resolve().parents[2] / "docs" / "WEBHOOKS.md"
SECRET = "whsec_test_secret"
BODY = b'{"id":"K7Q-4M2-XAC:7:0","type":"return.inspected","version":1}'


def documented_verifier() -> Any:
    """The receiver's snippet from docs/WEBHOOKS.md, run as a receiver would paste it."""
    code = re.search(r"## Verifying a delivery.*?```python\n(.*?)```", DOC.read_text(), re.S)
    assert code, "docs/WEBHOOKS.md has no verification snippet"
    scope: dict[str, Any] = {}
    exec(compile(code.group(1), str(DOC), "exec"), scope)
    return scope["verify_boomerang_signature"]


def test_documented_snippet_accepts_a_real_signature() -> None:
    verify = documented_verifier()
    header = signing.signature_header(SECRET, int(time.time()), BODY)
    assert verify(SECRET, header, BODY)
    assert signing.verify(SECRET, header, BODY, int(time.time()))


def test_documented_snippet_refuses_forged_tampered_and_replayed() -> None:
    verify = documented_verifier()
    now = int(time.time())
    header = signing.signature_header(SECRET, now, BODY)
    assert not verify("whsec_other", header, BODY)
    assert not verify(SECRET, header, BODY.replace(b"inspected", b"delivered"))
    assert not verify(SECRET, header.replace(f"t={now}", f"t={now + 1}"), BODY)
    old = signing.signature_header(SECRET, now - 3600, BODY)
    assert not verify(SECRET, old, BODY)
    assert not verify(SECRET, "v1=deadbeef", BODY)
    assert not signing.verify(SECRET, old, BODY, now)


def test_header_format() -> None:
    header = signing.signature_header(SECRET, 1767225600, BODY)
    assert re.fullmatch(r"t=1767225600,v1=[0-9a-f]{64}", header)


def test_backoff_grows_and_gives_up_after_about_a_day() -> None:
    assert list(BACKOFF_SECONDS) == sorted(BACKOFF_SECONDS)
    assert max(BACKOFF_SECONDS) <= 12 * 3600  # SQS's longest visibility timeout
    waited, attempts = 0, 0
    while waited <= GIVE_UP_AFTER_SECONDS:
        attempts += 1
        waited += backoff(attempts)
    assert 8 <= attempts <= 14


def test_subscription_urls_are_https_to_public_hosts() -> None:
    def made(url: str) -> SubscriptionIn:
        return SubscriptionIn.model_validate({"shop": "acme", "url": url, "event_types": ["*"]})

    assert (
        str(made("https://erp.example.com/hooks/boomerang").url) == "https://erp.example.com/hooks/boomerang"
    )
    assert made("http://127.0.0.1:8080/hook")  # a local receiver (make local)
    for refused in ("http://erp.example.com/hook", "https://10.0.0.5/hook", "https://169.254.169.254/latest",
                    "https://192.168.1.20/hook", "ftp://erp.example.com/"):  # fmt: skip
        with pytest.raises(ValidationError):
            made(refused)
