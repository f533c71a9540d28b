"""Carrier tracking webhooks: each provider's signature on the raw body, and its payload read into
one normalized update. Adding a provider is one verifier and one reader here (docs/CARRIERS.md).

Normalized statuses follow EasyPost's set, the widest of the three; AfterShip's tags and 17TRACK's
statuses map onto it. A provider's unknown status reads as `unknown` and moves nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class TrackingStatus(StrEnum):
    UNKNOWN = "unknown"
    PRE_TRANSIT = "pre_transit"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    DELIVERED = "delivered"
    RETURN_TO_SENDER = "return_to_sender"
    FAILURE = "failure"
    EXCEPTION = "exception"


T = TrackingStatus
# Statuses that mean the parcel will not reach the hub as planned: support must follow them up.
EXCEPTIONS = frozenset({T.RETURN_TO_SENDER, T.FAILURE, T.EXCEPTION})
# Statuses that mean the parcel is moving towards the hub.
MOVING = frozenset({T.IN_TRANSIT, T.OUT_FOR_DELIVERY, T.AVAILABLE_FOR_PICKUP})


class SignatureMissing(Exception):
    """The request carries no signature header."""


class SignatureInvalid(Exception):
    """The signature does not match the body and the shared secret."""


class MalformedWebhook(Exception):
    """The body is signed but is not the provider's event shape."""


@dataclass(frozen=True)
class TrackingUpdate:
    provider: str
    event_id: str  # the provider's id of this delivery's event: what duplicates share
    tracking_number: str
    carrier: str
    status: TrackingStatus
    detail: str
    occurred_at: datetime | None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def _hmac(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode(), body, hashlib.sha256).digest()


def _matches(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.strip().encode())


# --- signatures ---------------------------------------------------------------------------------


def verify_easypost(body: bytes, headers: Mapping[str, str], secret: str) -> None:
    """`X-Hmac-Signature: hmac-sha256-hex=<hex>` over the raw body, checked by EasyPost's own SDK."""
    from easypost.errors.general.signature_verification_error import SignatureVerificationError
    from easypost.util import validate_webhook

    given = _header(headers, "X-Hmac-Signature")
    if not given:
        raise SignatureMissing("X-Hmac-Signature")
    try:
        validate_webhook(body, {"X-Hmac-Signature": given.strip()}, secret)
    except SignatureVerificationError as exc:
        raise SignatureInvalid("X-Hmac-Signature") from exc
    except (ValueError, RecursionError):
        pass  # signed, but not JSON (or absurdly nested; the SDK parses after its check): parse() says so


def verify_aftership(body: bytes, headers: Mapping[str, str], secret: str) -> None:
    """`aftership-hmac-sha256`: base64 of HMAC-SHA256 of the raw body with the webhook secret."""
    given = _header(headers, "aftership-hmac-sha256")
    if not given:
        raise SignatureMissing("aftership-hmac-sha256")
    if not _matches(base64.b64encode(_hmac(secret, body)).decode(), given):
        raise SignatureInvalid("aftership-hmac-sha256")


def verify_17track(body: bytes, headers: Mapping[str, str], secret: str) -> None:
    """`sign`: hex SHA-256 of the raw body, a slash and the account's security key (17TRACK API v2
    push)."""
    given = _header(headers, "sign")
    if not given:
        raise SignatureMissing("sign")
    expected = hashlib.sha256(body + b"/" + secret.encode()).hexdigest()
    if not _matches(expected, given.lower()):
        raise SignatureInvalid("sign")


# --- payloads -----------------------------------------------------------------------------------


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


def _time(value: str | int | float | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class _EasyPostDetail(_Loose):
    message: str | None = None
    status: str | None = None
    datetime: str | None = None


class _EasyPostTracker(_Loose):
    tracking_code: str = Field(min_length=1, max_length=64)
    status: str
    status_detail: str | None = None
    carrier: str = ""
    updated_at: str | None = None
    tracking_details: list[_EasyPostDetail] = Field(default_factory=list)


class _EasyPostEvent(_Loose):
    id: str = Field(min_length=1, max_length=128)
    description: str
    result: _EasyPostTracker


def read_easypost(payload: Any) -> TrackingUpdate | None:
    """An EasyPost Event; only `tracker.updated` (and `tracker.created`) carry tracking news."""
    if not isinstance(payload, dict) or not str(payload.get("description", "")).startswith("tracker."):
        return None
    event = _EasyPostEvent.model_validate(payload)
    tracker = event.result
    last = tracker.tracking_details[-1] if tracker.tracking_details else None
    status = T(tracker.status) if tracker.status in T.__members__.values() else T.UNKNOWN
    detail = (last.message if last and last.message else None) or tracker.status_detail or tracker.status
    return TrackingUpdate(
        "easypost",
        event.id,
        tracker.tracking_code,
        tracker.carrier,
        status,
        detail,
        _time(last.datetime if last else tracker.updated_at),
    )


AFTERSHIP_TAGS = {
    "Pending": T.PRE_TRANSIT,
    "InfoReceived": T.PRE_TRANSIT,
    "InTransit": T.IN_TRANSIT,
    "OutForDelivery": T.OUT_FOR_DELIVERY,
    "AvailableForPickup": T.AVAILABLE_FOR_PICKUP,
    "Delivered": T.DELIVERED,
    "AttemptFail": T.FAILURE,
    "Exception": T.EXCEPTION,
    "Expired": T.EXCEPTION,
}


class _AfterShipCheckpoint(_Loose):
    message: str | None = None
    checkpoint_time: str | None = None


class _AfterShipTracking(_Loose):
    tracking_number: str = Field(min_length=1, max_length=64)
    slug: str = ""
    tag: str
    subtag_message: str | None = None
    checkpoints: list[_AfterShipCheckpoint] = Field(default_factory=list)


class _AfterShipEvent(_Loose):
    event: str
    event_id: str = Field(min_length=1, max_length=128)
    ts: int | None = None
    msg: _AfterShipTracking


def read_aftership(payload: Any) -> TrackingUpdate | None:
    if not isinstance(payload, dict) or payload.get("event") != "tracking_update":
        return None
    event = _AfterShipEvent.model_validate(payload)
    msg = event.msg
    status = AFTERSHIP_TAGS.get(msg.tag, T.UNKNOWN)
    subtag = msg.subtag_message or ""
    if status is T.EXCEPTION and "sender" in subtag.lower():
        status = T.RETURN_TO_SENDER
    last = msg.checkpoints[-1] if msg.checkpoints else None
    detail = (last.message if last and last.message else None) or subtag or msg.tag
    return TrackingUpdate(
        "aftership",
        event.event_id,
        msg.tracking_number,
        msg.slug,
        status,
        detail,
        _time(last.checkpoint_time if last else None) or _time(event.ts),
    )


SEVENTEEN_TRACK_STATUSES = {
    "NotFound": T.UNKNOWN,
    "InfoReceived": T.PRE_TRANSIT,
    "InTransit": T.IN_TRANSIT,
    "OutForDelivery": T.OUT_FOR_DELIVERY,
    "AvailableForPickup": T.AVAILABLE_FOR_PICKUP,
    "Delivered": T.DELIVERED,
    "DeliveryFailure": T.FAILURE,
    "Exception": T.EXCEPTION,
    "Expired": T.EXCEPTION,
}


class _17Status(_Loose):
    status: str
    sub_status: str | None = None


class _17Event(_Loose):
    time_iso: str | None = None
    time_utc: str | None = None
    description: str | None = None


class _17TrackInfo(_Loose):
    latest_status: _17Status
    latest_event: _17Event | None = None


class _17Data(_Loose):
    number: str = Field(min_length=1, max_length=64)
    carrier: int | str | None = None
    track_info: _17TrackInfo


class _17Push(_Loose):
    event: str
    data: _17Data


def read_17track(payload: Any) -> TrackingUpdate | None:
    """A 17TRACK push (`TRACKING_UPDATED`). It names no event id, so the id is derived from what
    makes an update distinct: the number, the status and the latest event's time and text."""
    if not isinstance(payload, dict) or payload.get("event") != "TRACKING_UPDATED":
        return None
    push = _17Push.model_validate(payload)
    info = push.data.track_info
    status = SEVENTEEN_TRACK_STATUSES.get(info.latest_status.status, T.UNKNOWN)
    sub = info.latest_status.sub_status or ""
    if status is T.EXCEPTION and sub.startswith("Exception_Return"):
        status = T.RETURN_TO_SENDER
    latest = info.latest_event or _17Event()
    at = latest.time_utc or latest.time_iso
    identity = "|".join(
        [push.data.number, info.latest_status.status, sub, at or "", latest.description or ""]
    )
    return TrackingUpdate(
        "17track",
        "17t_" + hashlib.sha256(identity.encode()).hexdigest()[:32],
        push.data.number,
        str(push.data.carrier or ""),
        status,
        latest.description or sub or info.latest_status.status,
        _time(at),
    )


@dataclass(frozen=True)
class Provider:
    name: str
    verify: Callable[[bytes, Mapping[str, str], str], None]
    read: Callable[[Any], TrackingUpdate | None]


PROVIDERS: dict[str, Provider] = {
    "easypost": Provider("easypost", verify_easypost, read_easypost),
    "aftership": Provider("aftership", verify_aftership, read_aftership),
    "17track": Provider("17track", verify_17track, read_17track),
}


def parse(provider: Provider, body: bytes, headers: Mapping[str, str], secret: str) -> TrackingUpdate | None:
    """Verify the signature on the raw body, then read it. None: a signed event that carries no
    tracking news (another event type), acknowledged and ignored."""
    provider.verify(body, headers, secret)
    try:
        return provider.read(json.loads(body))
    except (ValueError, ValidationError, RecursionError) as exc:  # RecursionError: absurd nesting
        raise MalformedWebhook(f"Not a {provider.name} tracking event.") from exc
