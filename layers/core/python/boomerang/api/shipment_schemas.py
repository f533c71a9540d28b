"""Bodies of the outbound-parcel routes: fulfilments in, parcels and the tracking view out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from boomerang.api.schemas import Body, Quantity, utc
from boomerang.api.text import PLAIN, PlainText
from boomerang.domain.models import Country, Identifier, UtcDatetime
from boomerang.domain.shipments import Parcel

TrackingNumberIn = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{3,63}$"),
    PLAIN,
    Field(examples=["YT2433512345678901"]),
]


class FulfilmentLineIn(Body):
    line_id: Identifier
    quantity: Quantity


class FulfilmentIn(Body):
    tracking_number: TrackingNumberIn
    carrier: PlainText = Field(min_length=1, max_length=64, examples=["YunExpress"])
    lines: list[FulfilmentLineIn] = Field(min_length=1, max_length=250)
    origin_country: Country | None = Field(
        default=None,
        description="Where the parcel leaves from (ISO 3166-1); absent: the shop's tracking settings",
    )
    shipped_at: UtcDatetime | None = Field(default=None, description="Absent: now")


class ParcelLineOut(BaseModel):
    line_id: str
    quantity: int


class LastMileOut(BaseModel):
    carrier: str
    tracking_number: str


class ParcelOut(BaseModel):
    parcel_id: str
    order_id: str
    tracking_number: str
    carrier: str
    status: str
    exception: str | None
    lines: list[ParcelLineOut]
    registered: bool = Field(description="Registered with the shop's tracking provider")
    provider: str | None
    registration_error: str | None
    last_mile: LastMileOut | None
    shipped_at: str
    delivered_at: str | None
    tracking_link: str = Field(
        description="The customer's link to the order's tracking (signed; for the shipping email)"
    )

    @classmethod
    def of(cls, parcel: Parcel, link: str) -> ParcelOut:
        return cls(
            parcel_id=parcel.parcel_id,
            order_id=parcel.order_id,
            tracking_number=parcel.tracking_number,
            carrier=parcel.carrier,
            status=parcel.status.value,
            exception=parcel.exception.value if parcel.exception else None,
            lines=[ParcelLineOut(line_id=line.line_id, quantity=line.quantity) for line in parcel.lines],
            registered=parcel.registered,
            provider=parcel.provider,
            registration_error=parcel.registration_error,
            last_mile=_last_mile(parcel),
            shipped_at=utc(parcel.shipped_at),
            delivered_at=utc(parcel.delivered_at) if parcel.delivered_at else None,
            tracking_link=link,
        )


def _last_mile(parcel: Parcel) -> LastMileOut | None:
    if not parcel.last_mile_tracking_number:
        return None
    return LastMileOut(
        carrier=parcel.last_mile_carrier or "", tracking_number=parcel.last_mile_tracking_number
    )


class CheckpointOut(BaseModel):
    at: str
    status: str
    status_label: str = Field(description="The status in the customer's language")
    message: str = Field(description="As the carrier wrote it")
    location: str | None
    carrier: str
    tracking_number: str


class EstimateOut(BaseModel):
    expected_at: str | None = Field(description="The lane's median transit time after shipping (p50)")
    latest_at: str | None = Field(description="Nine in ten of the lane's parcels arrived by then (p90)")
    basis: str = Field(description="delivered | lane (the shop's measured times) | unknown (too few yet)")
    text: str = Field(description="The estimate in the customer's language")


class ParcelTrackingOut(BaseModel):
    parcel_id: str
    carrier: str
    tracking_number: str
    status: str
    status_label: str
    exception: str | None
    exception_label: str | None
    delayed: bool
    last_mile: LastMileOut | None
    shipped_at: str
    delivered_at: str | None
    estimated_delivery: EstimateOut
    lines: list[ParcelLineOut]
    checkpoints: list[CheckpointOut] = Field(description="Newest first")


class TrackingOut(BaseModel):
    shop: str
    order_id: str
    order_number: str
    language: str
    parcels: list[ParcelTrackingOut]
    returns_path: str | None = Field(
        description="Once a parcel is delivered: the returns portal's path, for a 'Start a return' link"
    )


def at(value: datetime | None) -> str | None:
    return utc(value) if value else None
