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
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# The normalized news, re-exported: what every reader of tracking news imports (no SDK behind it).
from boomerang.carriers.news import EXCEPTIONS as EXCEPTIONS
from boomerang.carriers.news import MOVING as MOVING
from boomerang.carriers.news import Scan as Scan
from boomerang.carriers.news import TrackingStatus as TrackingStatus
from boomerang.carriers.news import TrackingUpdate as TrackingUpdate
from boomerang.carriers.news import update_as_dict as update_as_dict
from boomerang.carriers.news import update_from_dict as update_from_dict

T = TrackingStatus


class SignatureMissing(Exception):
    """The request carries no signature header."""


class SignatureInvalid(Exception):
    """The signature does not match the body and the shared secret."""


class MalformedWebhook(Exception):
    """The body is signed but is not the provider's event shape."""


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
    tag: str | None = None
    subtag: str | None = None
    slug: str | None = None
    location: str | None = None
    city: str | None = None


class _AfterShipLastMile(_Loose):
    tracking_number: str | None = Field(default=None, max_length=64)
    slug: str | None = None


class _AfterShipTracking(_Loose):
    tracking_number: str = Field(min_length=1, max_length=64)
    slug: str = ""
    tag: str
    subtag: str | None = None
    subtag_message: str | None = None
    checkpoints: list[_AfterShipCheckpoint] = Field(default_factory=list, max_length=1000)
    last_mile: _AfterShipLastMile | None = None


def _aftership_status(tag: str | None, subtag: str | None, text: str) -> TrackingStatus:
    status = AFTERSHIP_TAGS.get(tag or "", T.UNKNOWN)
    if status is T.EXCEPTION and ("sender" in text.lower() or subtag in ("Exception_010", "Exception_011")):
        return T.RETURN_TO_SENDER
    return status


def _aftership_scans(msg: _AfterShipTracking) -> tuple[Scan, ...]:
    last_mile = msg.last_mile.tracking_number if msg.last_mile else None
    last_slug = msg.last_mile.slug if msg.last_mile else None
    scans = []
    for c in msg.checkpoints:
        at = _time(c.checkpoint_time)
        if at is None:
            continue
        # A checkpoint of the last-mile carrier is under the last mile's number.
        leg = last_mile if (last_mile and c.slug and c.slug == last_slug and c.slug != msg.slug) else ""
        scans.append(
            Scan(
                at=at,
                status=_aftership_status(c.tag, c.subtag, c.message or ""),
                message=(c.message or "")[:500],
                location=(c.location or c.city or None),
                carrier=c.slug or msg.slug,
                tracking_number=leg or msg.tracking_number,
                sub_status=c.subtag,
            )
        )
    return tuple(scans)


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
    subtag = msg.subtag_message or ""
    status = _aftership_status(msg.tag, msg.subtag, subtag)
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
        scans=_aftership_scans(msg),
        sub_status=msg.subtag,
        last_mile_carrier=msg.last_mile.slug if msg.last_mile else None,
        last_mile_number=msg.last_mile.tracking_number if msg.last_mile else None,
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


class _17Address(_Loose):
    country: str | None = None
    city: str | None = None


class _17Event(_Loose):
    time_iso: str | None = None
    time_utc: str | None = None
    description: str | None = None
    location: str | None = None
    stage: str | None = None
    sub_status: str | None = None
    address: _17Address | None = None


class _17ProviderName(_Loose):
    key: int | str | None = None
    name: str | None = None


class _17Provider(_Loose):
    provider: _17ProviderName | None = None
    events: list[_17Event] = Field(default_factory=list, max_length=1000)


class _17Tracking(_Loose):
    providers: list[_17Provider] = Field(default_factory=list, max_length=10)


class _17Misc(_Loose):
    # The last-mile carrier's own number once a cross-border line hands the parcel over.
    local_number: str | None = Field(default=None, max_length=64)
    local_provider: str | None = None
    local_key: int | str | None = None


class _17TrackInfo(_Loose):
    latest_status: _17Status
    latest_event: _17Event | None = None
    tracking: _17Tracking | None = None
    misc_info: _17Misc | None = None


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
    misc = info.misc_info or _17Misc()
    return TrackingUpdate(
        "17track",
        "17t_" + hashlib.sha256(identity.encode()).hexdigest()[:32],
        push.data.number,
        str(push.data.carrier or ""),
        status,
        latest.description or sub or info.latest_status.status,
        _time(at),
        scans=_17track_scans(push.data.number, str(push.data.carrier or ""), info, misc),
        sub_status=sub or None,
        last_mile_carrier=misc.local_provider or None,
        last_mile_number=misc.local_number or None,
    )


# 17TRACK's stages (its event `stage`, else the sub-status's prefix) onto the normalized statuses.
SEVENTEEN_TRACK_STAGES = {
    "InfoReceived": T.PRE_TRANSIT,
    "PickedUp": T.IN_TRANSIT,
    "Departure": T.IN_TRANSIT,
    "Arrival": T.IN_TRANSIT,
    "AvailableForPickup": T.AVAILABLE_FOR_PICKUP,
    "OutForDelivery": T.OUT_FOR_DELIVERY,
    "Delivered": T.DELIVERED,
    "Returning": T.RETURN_TO_SENDER,
    "Returned": T.RETURN_TO_SENDER,
}


def _17track_event_status(event: _17Event) -> TrackingStatus:
    sub = event.sub_status or ""
    if sub.startswith("Exception_Return"):
        return T.RETURN_TO_SENDER
    prefix = sub.split("_", 1)[0]
    if prefix in SEVENTEEN_TRACK_STATUSES:
        return SEVENTEEN_TRACK_STATUSES[prefix]
    return SEVENTEEN_TRACK_STAGES.get(event.stage or "", T.UNKNOWN)


def _17track_scans(number: str, carrier: str, info: _17TrackInfo, misc: _17Misc) -> tuple[Scan, ...]:
    """Every provider's events (17TRACK lists the last-mile carrier first once it took over)."""
    providers = info.tracking.providers if info.tracking else []
    scans = []
    for index, provider in enumerate(providers):
        name = provider.provider.name if provider.provider and provider.provider.name else carrier
        # The first of two providers is the last mile: its events are under its own number.
        leg = misc.local_number if (misc.local_number and len(providers) > 1 and index == 0) else number
        for event in provider.events:
            at = _time(event.time_utc or event.time_iso)
            if at is None:
                continue
            country = (event.address.country if event.address else None) or None
            scans.append(
                Scan(
                    at=at,
                    status=_17track_event_status(event),
                    message=(event.description or "")[:500],
                    location=event.location or (event.address.city if event.address else None),
                    country=country if country and len(country) == 2 else None,
                    carrier=name,
                    tracking_number=leg,
                    sub_status=event.sub_status,
                )
            )
    return tuple(sorted(scans, key=lambda s: s.at))


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
