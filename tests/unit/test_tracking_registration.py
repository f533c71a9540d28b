"""Registering parcels with 17TRACK and AfterShip: the request each provider documents, and their
answers (accepted, already registered, refused, down) read right. Replies are constructed from the
providers' documented shapes; nothing leaves the machine."""

from __future__ import annotations

import json
from typing import Any

from boomerang.carriers.tracking_providers import (
    AFTERSHIP_URL,
    SEVENTEEN_TRACK_URL,
    AfterShip,
    Registrars,
    SandboxRegistrar,
    SeventeenTrack,
    Unregistrable,
)
from boomerang.credentials import CredentialsError
from boomerang.domain.providers import Mode, ProviderSettings, TrackingSettings

YT = "YT2433512345678901"


class Replies:
    """A transport answering each call with the next constructed reply, keeping what was sent."""

    def __init__(self, *replies: tuple[int, Any]) -> None:
        self.replies = list(replies)
        self.sent: list[tuple[str, str, dict[str, str], Any, float]] = []

    def __call__(
        self, method: str, url: str, headers: dict[str, str], body: bytes, timeout: float
    ) -> tuple[int, bytes]:
        self.sent.append((method, url, headers, json.loads(body), timeout))
        status, reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return status, json.dumps(reply).encode()


def test_17track_register_sends_its_documented_request_and_reads_accepted() -> None:
    replies = Replies(
        (
            200,
            {
                "code": 0,
                "data": {"accepted": [{"origin": 1, "number": YT, "carrier": 190008}], "rejected": []},
            },
        )
    )
    got = SeventeenTrack("17-key-000000", replies).register(YT, "YunExpress", "5001", "pcl_1")
    assert got.registered and got.provider == "17track" and got.error is None
    method, url, headers, body, timeout = replies.sent[0]
    assert (method, url) == ("POST", SEVENTEEN_TRACK_URL)
    assert headers["17token"] == "17-key-000000"
    assert body == [{"number": YT, "tag": "pcl_1", "order_no": "5001", "carrier": 190008}]
    assert 0 < timeout <= 5


def test_17track_already_registered_counts_and_a_refusal_says_why() -> None:
    already = {
        "code": 0,
        "data": {
            "accepted": [],
            "rejected": [
                {
                    "number": YT,
                    "error": {"code": -18019901, "message": "The tracking number is already registered."},
                }
            ],
        },
    }
    assert SeventeenTrack("k" * 10, Replies((200, already))).register(YT, "yunexpress", "1", "p").registered
    refused = {
        "code": 0,
        "data": {
            "accepted": [],
            "rejected": [
                {
                    "number": YT,
                    "error": {"code": -18010012, "message": "The format of the number is invalid."},
                }
            ],
        },
    }
    got = SeventeenTrack("k" * 10, Replies((200, refused))).register(YT, "Mystery Post", "1", "p")
    assert not got.registered and "invalid" in (got.error or "")
    down = SeventeenTrack("k" * 10, Replies((503, {"code": -1}))).register(YT, "x", "1", "p")
    assert not down.registered and "503" in (down.error or "")
    unreachable = SeventeenTrack("k" * 10, Replies((0, TimeoutError("timed out")))).register(
        YT, "x", "1", "p"
    )
    assert not unreachable.registered and "unreachable" in (unreachable.error or "")


def test_aftership_register_created_exists_and_refused() -> None:
    created = {
        "meta": {"code": 201, "message": "Created", "type": "Created"},
        "data": {"id": "t1", "tracking_number": YT, "slug": "yunexpress"},
    }
    replies = Replies((201, created))
    assert AfterShip("as-key-000000", replies).register(YT, "YunExpress", "5001", "pcl_1").registered
    method, url, headers, body, _ = replies.sent[0]
    assert (method, url, headers["as-api-key"]) == ("POST", AFTERSHIP_URL, "as-key-000000")
    assert body == {"tracking_number": YT, "order_id": "5001", "title": "pcl_1", "slug": "yunexpress"}
    exists = {"meta": {"code": 4003, "message": "Tracking already exists.", "type": "BadRequest"}, "data": {}}
    assert AfterShip("k" * 10, Replies((400, exists))).register(YT, "", "1", "p").registered
    bad_key = {"meta": {"code": 401, "message": "Invalid API key.", "type": "Unauthorized"}, "data": {}}
    got = AfterShip("k" * 10, Replies((401, bad_key))).register(YT, "", "1", "p")
    assert not got.registered and "Invalid API key" in (got.error or "")


class Keys:
    def __init__(self, missing: bool = False) -> None:
        self.missing = missing
        self.read_names: list[str] = []

    def read(self, shop: str, provider: str, model: Any) -> Any:
        self.read_names.append(f"boomerang/{shop}/{provider}")
        if self.missing:
            raise CredentialsError(f"The secret boomerang/{shop}/{provider} does not exist", "n", True)
        return model(api_key="key-0000000000")


def test_registrars_by_shop_settings() -> None:
    keys = Keys()
    registrars = Registrars(keys)  # type: ignore[arg-type]
    live = ProviderSettings(tracking=TrackingSettings(provider="17track"))
    assert isinstance(registrars("acme", live), SeventeenTrack)
    assert keys.read_names == ["boomerang/acme/17track"]
    assert isinstance(
        registrars("acme", ProviderSettings(tracking=TrackingSettings(provider="aftership"))), AfterShip
    )
    # The sandbox only for a shop in test mode, explicitly; a live shop with nothing: none.
    assert isinstance(registrars("acme", ProviderSettings(mode=Mode.TEST)), SandboxRegistrar)
    assert registrars("acme", ProviderSettings()) is None
    live_sandbox = registrars("acme", ProviderSettings(tracking=TrackingSettings(provider="sandbox")))
    assert isinstance(live_sandbox, Unregistrable) and not live_sandbox.register(YT, "x", "1", "p").registered
    missing = Registrars(Keys(missing=True))("acme", live)  # type: ignore[arg-type]
    assert isinstance(missing, Unregistrable)
    got = missing.register(YT, "x", "1", "p")
    assert not got.registered and "does not exist" in (got.error or "")
