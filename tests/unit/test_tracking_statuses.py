"""Each provider's statuses read into the one normalized set; signatures checked on the raw bytes."""

from __future__ import annotations

import json

import pytest

from boomerang.carriers.tracking import (
    PROVIDERS,
    MalformedWebhook,
    SignatureInvalid,
    SignatureMissing,
    TrackingStatus,
    parse,
    read_17track,
    read_aftership,
    read_easypost,
)
from local.carrier_signing import sample, signed_headers

T = TrackingStatus


def _easypost(status: str) -> dict[str, object]:
    body = json.loads(sample("easypost_in_transit", "TN1"))
    body["result"]["status"] = status
    return body


def _aftership(tag: str, subtag_message: str = "") -> dict[str, object]:
    body = json.loads(sample("aftership_in_transit", "TN1"))
    body["msg"]["tag"] = tag
    body["msg"]["subtag_message"] = subtag_message
    return body


def _17track(status: str, sub: str = "") -> dict[str, object]:
    body = json.loads(sample("17track_in_transit", "TN1"))
    body["data"]["track_info"]["latest_status"] = {"status": status, "sub_status": sub}
    return body


@pytest.mark.parametrize(
    ("status", "expected"),
    [("pre_transit", T.PRE_TRANSIT), ("in_transit", T.IN_TRANSIT), ("delivered", T.DELIVERED),
     ("return_to_sender", T.RETURN_TO_SENDER), ("failure", T.FAILURE), ("cancelled", T.UNKNOWN)],
)  # fmt: skip
def test_easypost_statuses(status: str, expected: TrackingStatus) -> None:
    update = read_easypost(_easypost(status))
    assert update is not None and update.status is expected and update.tracking_number == "TN1"


@pytest.mark.parametrize(
    ("tag", "sub", "expected"),
    [("Pending", "", T.PRE_TRANSIT), ("InTransit", "", T.IN_TRANSIT),
     ("OutForDelivery", "", T.OUT_FOR_DELIVERY), ("Delivered", "", T.DELIVERED),
     ("AttemptFail", "", T.FAILURE), ("Exception", "Damaged", T.EXCEPTION),
     ("Exception", "Returned to sender", T.RETURN_TO_SENDER), ("Expired", "", T.EXCEPTION),
     ("Nonsense", "", T.UNKNOWN)],
)  # fmt: skip
def test_aftership_tags(tag: str, sub: str, expected: TrackingStatus) -> None:
    update = read_aftership(_aftership(tag, sub))
    assert update is not None and update.status is expected


@pytest.mark.parametrize(
    ("status", "sub", "expected"),
    [("InfoReceived", "", T.PRE_TRANSIT), ("InTransit", "InTransit_Other", T.IN_TRANSIT),
     ("Delivered", "", T.DELIVERED), ("DeliveryFailure", "", T.FAILURE),
     ("Exception", "Exception_Returning", T.RETURN_TO_SENDER), ("Exception", "Exception_Lost", T.EXCEPTION),
     ("NotFound", "", T.UNKNOWN)],
)  # fmt: skip
def test_17track_statuses(status: str, sub: str, expected: TrackingStatus) -> None:
    update = read_17track(_17track(status, sub))
    assert update is not None and update.status is expected


def test_17track_event_id_is_the_same_for_the_same_news_and_differs_for_other_news() -> None:
    a = read_17track(_17track("InTransit", "InTransit_Other"))
    b = read_17track(_17track("InTransit", "InTransit_Other"))
    c = read_17track(_17track("Delivered", ""))
    assert a and b and c
    assert a.event_id == b.event_id != c.event_id


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_signatures_cover_every_byte(provider: str) -> None:
    body = sample(f"{provider}_in_transit", "TN1")
    headers = signed_headers(provider, body, "s3cret")
    assert parse(PROVIDERS[provider], body, headers, "s3cret") is not None
    with pytest.raises(SignatureInvalid):
        parse(PROVIDERS[provider], body + b" ", headers, "s3cret")
    with pytest.raises(SignatureInvalid):
        parse(PROVIDERS[provider], body, headers, "other")
    with pytest.raises(SignatureMissing):
        parse(PROVIDERS[provider], body, {}, "s3cret")
    # Header names are case-insensitive, as HTTP/2 proxies lower-case them.
    lowered = {k.lower(): v for k, v in headers.items()}
    assert parse(PROVIDERS[provider], body, lowered, "s3cret") is not None


def test_a_signed_body_of_the_wrong_shape_is_malformed() -> None:
    body = b'{"event": "TRACKING_UPDATED", "data": {}}'
    with pytest.raises(MalformedWebhook):
        parse(PROVIDERS["17track"], body, signed_headers("17track", body, "k"), "k")
