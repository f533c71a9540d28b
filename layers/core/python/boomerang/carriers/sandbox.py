"""A carrier that issues labels without calling anyone: for local runs, tests and shops explicitly
in test mode (never a live shop's fallback: boomerang.carriers.factory).

Tracking numbers are deterministic per RMA, so a retried step issues the same label. With a label
store it renders the PDF (hub address, Code 128 and QR code of the RMA) and stores it there; the
PDF reads "SPECIMEN — NOT VALID FOR POSTAGE", and the label says `specimen`. A cross-border
request also gets its commercial invoice (CN23 data) rendered beside it, as a real carrier's would.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from boomerang.carriers.customs_invoice import render_invoice
from boomerang.carriers.label_pdf import render_label
from boomerang.carriers.labels import LabelStore
from boomerang.domain.labels import LabelRequest
from boomerang.domain.models import Hub, Label, Return


def sandbox_tracking_number(rma: str) -> str:
    digits = int(hashlib.sha256(rma.encode()).hexdigest()[:12], 16) % 10**12
    return f"SBX{digits:012d}"


class SandboxCarrier:
    # A specimen shows the hub and the RMA only: it can be issued without the customer's address.
    needs_address = False

    def __init__(self, labels: LabelStore | None = None):
        self.labels = labels

    def buy_return_label(self, ret: Return, hub: Hub, valid_until: datetime, now: datetime) -> Label:
        label = Label(
            carrier=(hub.carriers or ["SANDBOX"])[0],
            tracking_number=sandbox_tracking_number(ret.rma),
            cost=hub.cost_per_parcel,
            issued_at=now,
            valid_until=valid_until,
            specimen=True,
        )
        if self.labels is None:
            return label
        key = self.labels.put(ret.shop, ret.rma, render_label(ret.rma, hub, label, specimen=True))
        return label.model_copy(update={"document_key": key})

    def buy(self, request: LabelRequest) -> Label:
        label = self.buy_return_label(request.ret, request.hub, request.valid_until, request.now)
        if request.customs is None or self.labels is None:
            return label
        invoice = render_invoice(request, label.carrier, label.tracking_number, specimen=True)
        key = self.labels.put_document(request.ret.shop, request.ret.rma, "customs", invoice)
        return label.model_copy(update={"customs_document_key": key})
