"""Registering outbound parcels with the shop's tracking provider, so its pushes come to
/webhooks/carriers/<provider> (whose signatures boomerang.carriers.tracking verifies).

- 17TRACK (API v2.2): `POST https://api.17track.net/track/v2.2/register`, header `17token`, a list
  of `{number, carrier?, tag, order_no}`; the answer lists `accepted` and `rejected` numbers
  (a number already registered, error -18019901, counts as registered).
- AfterShip (Tracking API 2024-04): `POST https://api.aftership.com/tracking/2024-04/trackings`,
  header `as-api-key`, `{tracking_number, slug?, order_id, title}`; 201, or 4003 "already exists".
- sandbox: registers nothing and says so (shops in test mode, `make local`).

Plain HTTP through the standard library (no SDK, no layer); the transport is a parameter, so the
tests answer with constructed provider replies. Keys come from Secrets Manager per shop and are
never logged.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from boomerang.credentials import CredentialsError, ShopCredentials
from boomerang.domain.providers import ProviderSettings
from boomerang.domain.shipments import carrier_key
from boomerang.timeouts import TRACKING

# (method, url, headers, body, timeout) -> (status, body)
Transport = Callable[[str, str, dict[str, str], bytes, float], tuple[int, bytes]]

SEVENTEEN_TRACK_URL = "https://api.17track.net/track/v2.2/register"
AFTERSHIP_URL = "https://api.aftership.com/tracking/2024-04/trackings"
SEVENTEEN_TRACK_ALREADY = -18019901
AFTERSHIP_ALREADY = 4003

# Carrier names onto each provider's codes, where known; otherwise the provider detects it.
SEVENTEEN_TRACK_CARRIERS = {"chinapost": 3011, "chinaems": 3013, "usps": 21051, "yunexpress": 190008}
AFTERSHIP_SLUGS = {
    "yunexpress": "yunexpress",
    "yanwen": "yanwen",
    "4px": "4px",
    "cainiao": "cainiao",
    "chinapost": "china-post",
    "chinaems": "china-ems",
    "usps": "usps",
}


@dataclass(frozen=True)
class Registration:
    provider: str
    registered: bool
    error: str | None = None  # why not, in words (no secret, no personal data)


class TrackingRegistrar(Protocol):
    name: str

    def register(self, tracking_number: str, carrier: str, order_id: str, parcel_id: str) -> Registration: ...


def urllib_transport(
    method: str, url: str, headers: dict[str, str], body: bytes, timeout: float
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method=method)  # noqa: S310 - fixed https URLs
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            return int(answer.status), answer.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


class SeventeenTrack:
    name = "17track"

    def __init__(self, api_key: str, transport: Transport = urllib_transport):
        self.api_key = api_key
        self.transport = transport

    def register(self, tracking_number: str, carrier: str, order_id: str, parcel_id: str) -> Registration:
        entry: dict[str, Any] = {"number": tracking_number, "tag": parcel_id, "order_no": order_id}
        code = SEVENTEEN_TRACK_CARRIERS.get(carrier_key(carrier))
        if code is not None:
            entry["carrier"] = code
        try:
            status, body = self.transport(
                "POST",
                SEVENTEEN_TRACK_URL,
                {"17token": self.api_key, "Content-Type": "application/json"},
                json.dumps([entry]).encode(),
                TRACKING.timeout_seconds,
            )
        except OSError as exc:
            return Registration(self.name, False, f"17TRACK unreachable: {type(exc).__name__}")
        answer = _json(body)
        if status != 200 or not isinstance(answer, dict) or answer.get("code") != 0:
            return Registration(self.name, False, f"17TRACK answered {status}")
        data = answer.get("data") or {}
        if any(a.get("number") == tracking_number for a in data.get("accepted") or []):
            return Registration(self.name, True)
        for rejected in data.get("rejected") or []:
            error = rejected.get("error") or {}
            if error.get("code") == SEVENTEEN_TRACK_ALREADY:
                return Registration(self.name, True)
            return Registration(self.name, False, f"17TRACK refused it: {str(error.get('message'))[:200]}")
        return Registration(self.name, False, "17TRACK did not accept the number")


class AfterShip:
    name = "aftership"

    def __init__(self, api_key: str, transport: Transport = urllib_transport):
        self.api_key = api_key
        self.transport = transport

    def register(self, tracking_number: str, carrier: str, order_id: str, parcel_id: str) -> Registration:
        body: dict[str, Any] = {"tracking_number": tracking_number, "order_id": order_id, "title": parcel_id}
        slug = AFTERSHIP_SLUGS.get(carrier_key(carrier))
        if slug:
            body["slug"] = slug
        try:
            status, raw = self.transport(
                "POST",
                AFTERSHIP_URL,
                {"as-api-key": self.api_key, "Content-Type": "application/json"},
                json.dumps(body).encode(),
                TRACKING.timeout_seconds,
            )
        except OSError as exc:
            return Registration(self.name, False, f"AfterShip unreachable: {type(exc).__name__}")
        answer = _json(raw)
        meta = answer.get("meta") if isinstance(answer, dict) else None
        code = meta.get("code") if isinstance(meta, dict) else None
        if status in (200, 201) or code == AFTERSHIP_ALREADY:
            return Registration(self.name, True)
        message = meta.get("message") if isinstance(meta, dict) else None
        return Registration(self.name, False, f"AfterShip answered {status}: {str(message)[:200]}")


class SandboxRegistrar:
    """Registers nothing: a shop in test mode, or `make local`, whose pushes are simulated."""

    name = "sandbox"

    def __init__(self) -> None:
        self.registered: list[tuple[str, str]] = []

    def register(self, tracking_number: str, carrier: str, order_id: str, parcel_id: str) -> Registration:
        self.registered.append((tracking_number, carrier))
        return Registration(self.name, True)


class Unregistrable:
    """A provider that cannot be asked (its key missing or malformed): says why, registers nothing."""

    def __init__(self, name: str, reason: str):
        self.name = name
        self.reason = reason

    def register(self, tracking_number: str, carrier: str, order_id: str, parcel_id: str) -> Registration:
        return Registration(self.name, False, self.reason)


class TrackingKey(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    api_key: str = Field(min_length=8)


class Registrars:
    """The registrar for a shop's parcels, by its settings (boomerang.domain.providers): its
    provider with its key from `boomerang/<shop>/<provider>` ({"api_key": ...}); the sandbox for a
    shop in test mode (explicitly, never as a live shop's fallback); None where nothing is
    configured (the parcel is kept, unregistered, and says so)."""

    def __init__(self, credentials: ShopCredentials | None = None, transport: Transport = urllib_transport):
        self.credentials = credentials or ShopCredentials()
        self.transport = transport

    def __call__(self, shop: str, settings: ProviderSettings) -> TrackingRegistrar | None:
        tracking = settings.tracking
        provider = tracking.provider if tracking else None
        if settings.test_mode and provider in (None, "sandbox"):
            return SandboxRegistrar()
        if provider is None:
            return None
        if provider == "sandbox":
            return Unregistrable("sandbox", "The sandbox registers the parcels of a shop in test mode only.")
        try:
            key = self.credentials.read(shop, provider, TrackingKey).api_key
        except CredentialsError as exc:
            return Unregistrable(provider, str(exc))
        if provider == "17track":
            return SeventeenTrack(key, self.transport)
        return AfterShip(key, self.transport)
