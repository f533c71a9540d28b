"""`GET /v1/returns/{rma}/label`: the customer's return label, as a short-lived link."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from boomerang.api.schemas import HubOut, MoneyIO, utc
from boomerang.carriers.labels import URL_SECONDS, LabelStore
from boomerang.domain.errors import NotFound
from boomerang.domain.models import Return


class LabelOut(BaseModel):
    rma: str
    carrier: str
    tracking_number: str
    url: str = Field(description="The label PDF (or the carrier's label); a presigned link, short-lived")
    url_expires_at: str | None = Field(description="When `url` stops working; null for a carrier's own link")
    qr_code_url: str | None = Field(
        default=None,
        description="The carrier's QR code for printer-free drop-off, where the carrier gives one",
    )
    customs_invoice_url: str | None = Field(
        default=None,
        description=(
            "A cross-border parcel's commercial invoice (CN23 data) to print and attach: the carrier's, "
            "or the one Boomerang rendered (a presigned link, short-lived like `url`)"
        ),
    )
    specimen: bool = Field(default=False, description="A test-mode label: no postage, its PDF says SPECIMEN")
    valid_until: str = Field(description="The last day the carrier accepts the parcel with this label")
    cost: MoneyIO
    hub: HubOut

    @classmethod
    def of(cls, ret: Return, labels: LabelStore | None, now: datetime) -> LabelOut:
        label = ret.label
        if label is None:
            raise NotFound(
                f"Return {ret.rma} has no label yet (it is {ret.status.value}).",
                code="label_not_issued",
                details=[{"rma": ret.rma, "status": ret.status.value}],
            )
        if label.document_key and labels is not None:
            url, expires = labels.url(label.document_key), utc(now + timedelta(seconds=URL_SECONDS))
        elif label.url:
            url, expires = label.url, None
        else:
            raise NotFound(f"Return {ret.rma}'s label has no document.", code="label_not_issued")
        invoice = label.customs_invoice_url
        if invoice is None and label.customs_document_key and labels is not None:
            invoice = labels.url(label.customs_document_key)
        return cls(
            rma=ret.rma,
            carrier=label.carrier,
            tracking_number=label.tracking_number,
            url=url,
            url_expires_at=expires,
            qr_code_url=label.qr_code_url,
            customs_invoice_url=invoice,
            specimen=label.specimen,
            valid_until=utc(label.valid_until),
            cost=MoneyIO.of(label.cost),
            hub=HubOut(
                hub_id=ret.hub.hub_id,
                name=ret.hub.name,
                country=ret.hub.country,
                cost=MoneyIO.of(ret.hub.cost),
            ),
        )
