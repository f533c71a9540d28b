"""Customer tokens (HMAC-signed, one order, expiring) and storefront API keys (only the hash stored)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from boomerang.auth.api_keys import hash_api_key, new_api_key
from boomerang.auth.customer_tokens import CustomerClaims, issue, verify
from boomerang.domain.errors import Unauthorized

KEY = bytes(range(32))
NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _claims(expires_in: timedelta = timedelta(minutes=30)) -> CustomerClaims:
    return CustomerClaims(
        shop="demo", order_id="ord-1001", customer_ref="c_5f2a", expires_at=NOW + expires_in
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signed(body: str, prefix: str = "v1", key: bytes = KEY) -> str:
    signature = hmac.new(key, f"{prefix}.{body}".encode(), hashlib.sha256).digest()
    return f"{prefix}.{body}.{_b64(signature)}"


def _invalid(token: str, key: bytes = KEY, now: datetime = NOW) -> None:
    with pytest.raises(Unauthorized) as caught:
        verify(key, token, now)
    assert caught.value.code == "invalid_token"
    assert caught.value.http_status == 401


def test_issue_and_verify_round_trip() -> None:
    claims = _claims()
    token = issue(KEY, claims)
    assert token.startswith("v1.")
    assert token.count(".") == 2
    assert re.fullmatch(r"v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", token)
    assert verify(KEY, token, NOW) == claims


def test_the_token_carries_no_email() -> None:
    body = issue(KEY, _claims()).split(".")[1]
    data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert set(data) == {"shop", "order_id", "cref", "exp"}
    assert "@" not in json.dumps(data)


def test_tampered_body_refused() -> None:
    prefix, body, signature = issue(KEY, _claims()).split(".")
    other = _b64(
        json.dumps({"shop": "demo", "order_id": "ord-9999", "cref": "c_5f2a", "exp": 2**31}).encode()
    )
    _invalid(f"{prefix}.{other}.{signature}")
    for position in range(len(body)):
        for replacement in ("A", "z"):
            if body[position] != replacement:
                _invalid(f"{prefix}.{body[:position]}{replacement}{body[position + 1 :]}.{signature}")


def test_every_single_character_change_in_the_signature_is_refused() -> None:
    prefix, body, signature = issue(KEY, _claims()).split(".")
    for position in range(len(signature)):
        for replacement in B64URL:
            if replacement != signature[position]:
                _invalid(f"{prefix}.{body}.{signature[:position]}{replacement}{signature[position + 1 :]}")


@pytest.mark.parametrize("suffix", ["=", "==", "A", "AA", "!", " "])
def test_anything_appended_to_the_signature_is_refused(suffix: str) -> None:
    _invalid(issue(KEY, _claims()) + suffix)


def test_wrong_key_refused() -> None:
    token = issue(KEY, _claims())
    _invalid(token, key=b"another key entirely, 32 bytes.")
    _invalid(token, key=KEY[:-1])


def test_another_prefix_refused_even_when_signed() -> None:
    _, body, _ = issue(KEY, _claims()).split(".")
    _invalid(_signed(body, prefix="v2"))


def test_signed_but_incomplete_claims_refused() -> None:
    _invalid(_signed(_b64(json.dumps({"shop": "demo", "order_id": "o"}).encode())))
    _invalid(_signed(_b64(b"[1, 2, 3]")))
    _invalid(_signed(_b64(b"not json")))
    _invalid(_signed(_b64(json.dumps({"shop": "s", "order_id": "o", "cref": "c", "exp": "soon"}).encode())))


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "v1",
        "v1.",
        "v1..",
        "v1.abc",
        "v1.a.b.c",
        "not a token",
        "Bearer v1.a.b",
        "v1.!!!.???",
        "v1.é.é",
        "....",
    ],
)
def test_garbage_refused(garbage: str) -> None:
    _invalid(garbage)


def test_expiry() -> None:
    claims = _claims(timedelta(minutes=30))
    token = issue(KEY, claims)
    assert verify(KEY, token, claims.expires_at - timedelta(seconds=1)) == claims
    for now in (claims.expires_at, claims.expires_at + timedelta(days=1)):
        with pytest.raises(Unauthorized) as caught:
            verify(KEY, token, now)
        assert caught.value.code == "token_expired"
        assert caught.value.http_status == 401


def test_an_already_expired_token_is_refused_at_once() -> None:
    token = issue(KEY, _claims(timedelta(seconds=-1)))
    with pytest.raises(Unauthorized) as caught:
        verify(KEY, token, NOW)
    assert caught.value.code == "token_expired"


def test_api_key_hash_is_stable_hex_sha256() -> None:
    assert hash_api_key("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    key = new_api_key("demo")
    digest = hash_api_key(key)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert hash_api_key(key) == digest
    assert digest == hashlib.sha256(key.encode()).hexdigest()
    assert hash_api_key(key + "x") != digest


def test_api_keys_are_unique_and_name_their_shop() -> None:
    keys = [new_api_key("demo") for _ in range(2000)]
    assert len(set(keys)) == len(keys)
    assert len({hash_api_key(key) for key in keys}) == len(keys)
    for key in keys[:50]:
        assert re.fullmatch(r"bk_demo_[A-Za-z0-9_-]{32}", key)
