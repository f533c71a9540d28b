"""Customer session tokens: HMAC-SHA256 signed, for one order of one shop, expiring.

Format: `v1.<base64url(json claims)>.<base64url(signature)>`. Checking the signature costs no
database call; the signing key lives in Secrets Manager. A token says when it was issued (`iat`,
milliseconds), which is what revoking a customer's sessions compares (boomerang.domain.sessions).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from boomerang.domain.errors import Unauthorized
from boomerang.domain.sessions import from_ms, to_ms

_PREFIX = "v1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class CustomerClaims:
    shop: str
    order_id: str
    # The customer's pseudonymous ref, so a return request can read order and customer in one call.
    customer_ref: str
    expires_at: datetime
    issued_at: datetime | None = None  # None: a token from before tokens carried it


def issue(key: bytes, claims: CustomerClaims) -> str:
    body = _b64(
        json.dumps(
            {
                "shop": claims.shop,
                "order_id": claims.order_id,
                "cref": claims.customer_ref,
                "exp": int(claims.expires_at.timestamp()),
                **({"iat": to_ms(claims.issued_at)} if claims.issued_at else {}),
            },
            separators=(",", ":"),
        ).encode()
    )
    signature = hmac.new(key, f"{_PREFIX}.{body}".encode(), hashlib.sha256).digest()
    return f"{_PREFIX}.{body}.{_b64(signature)}"


def verify(key: bytes, token: str, now: datetime) -> CustomerClaims:
    try:
        prefix, body, signature = token.split(".")
        if prefix != _PREFIX:
            raise ValueError(prefix)
        expected = hmac.new(key, f"{prefix}.{body}".encode(), hashlib.sha256).digest()
        # Compare the canonical text, not the decoded bytes: base64 decoding ignores padding bits and
        # trailing "=", so several spellings of one signature would otherwise all pass.
        if not hmac.compare_digest(_b64(expected), signature):
            raise ValueError("signature")
        data = json.loads(_unb64(body))
        claims = CustomerClaims(
            shop=str(data["shop"]),
            order_id=str(data["order_id"]),
            customer_ref=str(data["cref"]),
            expires_at=datetime.fromtimestamp(int(data["exp"]), tz=UTC),
            issued_at=from_ms(int(data["iat"])) if "iat" in data else None,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise Unauthorized("The customer token is not valid.", code="invalid_token") from exc
    if claims.expires_at <= now:
        raise Unauthorized("The customer token has expired; open a new session.", code="token_expired")
    return claims
