"""What a customer reads about their parcels, in their language: status and exception labels for
the tracking endpoint, and the reply to "where is my order" quoting status and estimated delivery
(domain/shipment_texts.json, one block per language). Checkpoint messages stay as the carrier
wrote them; only what Boomerang says is translated."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from boomerang.carriers.news import EXCEPTIONS, TrackingStatus
from boomerang.domain.language import choose_language
from boomerang.domain.shipments import Estimate, ExceptionKind, Parcel

TEXTS_PATH = Path(__file__).with_name("shipment_texts.json")


@cache
def texts() -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = json.loads(TEXTS_PATH.read_text(encoding="utf-8"))
    return data


def language_of(*preferences: str | None) -> str:
    """The first language we have texts in (`es-MX` -> `es`), else English."""
    return choose_language(*preferences, supported=texts(), default="en")


def status_label(language: str, status: TrackingStatus) -> str:
    return str(texts()[language]["status"][status.value])


def exception_label(language: str, kind: ExceptionKind) -> str:
    return str(texts()[language]["exception"][kind.value])


def _day(at: datetime) -> str:
    return f"{at:%Y-%m-%d}"


def eta_sentence(language: str, est: Estimate) -> str:
    t = texts()[language]
    if est.expected_at is None or est.latest_at is None:
        return str(t["no_eta"])
    return str(t["eta"]).format(expected=_day(est.expected_at), latest=_day(est.latest_at))


@dataclass(frozen=True)
class TrackingReply:
    language: str
    text: str
    on_time: bool  # moving and not late: may be sent with no person (where the shop allows it)


def tracking_reply(
    order_number: str,
    parcels: list[tuple[Parcel, Estimate, bool]],  # (parcel, its estimate, late now)
    *preferences: str | None,
) -> TrackingReply:
    """The reply to "where is my order": one paragraph per parcel, in the first language of
    `preferences` we have texts in. A parcel in exception or late makes it one for a person."""
    language = language_of(*preferences)
    t = texts()[language]
    if not parcels:
        return TrackingReply(language, str(t["no_parcel"]).format(order_number=order_number), False)
    paragraphs = []
    on_time = True
    for parcel, est, late in parcels:
        last = parcel.checkpoints[-1] if parcel.checkpoints else None
        values = {
            "order_number": order_number,
            "carrier": parcel.last_mile_carrier or parcel.carrier,
            "tracking_number": parcel.last_mile_tracking_number or parcel.tracking_number,
            "status": status_label(language, parcel.status),
            "last": (
                f"{_day(last.at)}, {last.message}" + (f" ({last.location})" if last.location else "")
                if last
                else status_label(language, parcel.status)
            ),
            "eta_sentence": eta_sentence(language, est),
        }
        if parcel.status is TrackingStatus.DELIVERED and parcel.delivered_at:
            paragraphs.append(str(t["reply_delivered"]).format(**values, delivered=_day(parcel.delivered_at)))
        elif parcel.status in EXCEPTIONS:
            on_time = False
            kind = parcel.exception or ExceptionKind.OTHER
            paragraphs.append(
                str(t["reply_problem"]).format(**values, problem=exception_label(language, kind))
            )
        elif late:
            on_time = False
            paragraphs.append(str(t["reply_late"]).format(**values))
        else:
            paragraphs.append(str(t["reply_on_time"]).format(**values))
    return TrackingReply(language, "\n\n".join(paragraphs), on_time)
