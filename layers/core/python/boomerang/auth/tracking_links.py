"""The link in a shipping email: it shows one order's parcels, and nothing else.

`t1.<base64url(json {shop, order_id, exp})>.<base64url(HMAC-SHA256)>`, signed with the session
key. Its prefix differs from a customer token's (`v1`), so a link never opens a session: it reads
the tracking view and may not request a return, read tickets or spend credit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from boomerang.domain.errors import Unauthorized

_PREFIX = "t1"
# Where a link opens the tracking page (boomerang/web/tracking_routes.py), below the pages' base URL:
# the emails' template (TRACKING_LINK_TEMPLATE, set by the CDK) is that URL followed by this path.
PAGE_PATH = "/{shop}/track?link={link}"
# A parcel takes weeks; the customer may look again after delivery, for the return window.
LINK_DAYS = 120


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class TrackingLink:
    shop: str
    order_id: str
    expires_at: datetime


def issue(key: bytes, shop: str, order_id: str, now: datetime) -> str:
    expires = int((now + timedelta(days=LINK_DAYS)).timestamp())
    body = _b64(
        json.dumps({"shop": shop, "order_id": order_id, "exp": expires}, separators=(",", ":")).encode()
    )
    signature = hmac.new(key, f"{_PREFIX}.{body}".encode(), hashlib.sha256).digest()
    return f"{_PREFIX}.{body}.{_b64(signature)}"


def verify(key: bytes, link: str, now: datetime) -> TrackingLink:
    try:
        prefix, body, signature = link.split(".")
        if prefix != _PREFIX:
            raise ValueError(prefix)
        expected = hmac.new(key, f"{prefix}.{body}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(_b64(expected), signature):
            raise ValueError("signature")
        data = json.loads(_unb64(body))
        found = TrackingLink(
            shop=str(data["shop"]),
            order_id=str(data["order_id"]),
            expires_at=datetime.fromtimestamp(int(data["exp"]), tz=UTC),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise Unauthorized("The tracking link is not valid.", code="invalid_tracking_link") from exc
    if found.expires_at <= now:
        raise Unauthorized(
            "The tracking link has expired; sign in with the order number.", code="tracking_link_expired"
        )
    return found
