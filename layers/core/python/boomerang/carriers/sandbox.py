"""A carrier that issues labels without calling anyone: for local runs and tests.

Tracking numbers are deterministic per RMA, so a retried step issues the same label. With a label
store it renders the real PDF (hub address, Code 128 and QR code of the RMA) and stores it there.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from boomerang.carriers.label_pdf import render_label
from boomerang.carriers.labels import LabelStore
from boomerang.domain.models import Hub, Label, Return


def sandbox_tracking_number(rma: str) -> str:
    digits = int(hashlib.sha256(rma.encode()).hexdigest()[:12], 16) % 10**12
    return f"SBX{digits:012d}"


class SandboxCarrier:
    def __init__(self, labels: LabelStore | None = None):
        self.labels = labels

    def buy_return_label(self, ret: Return, hub: Hub, valid_until: datetime, now: datetime) -> Label:
        label = Label(
            carrier=(hub.carriers or ["SANDBOX"])[0],
            tracking_number=sandbox_tracking_number(ret.rma),
            cost=hub.cost_per_parcel,
            issued_at=now,
            valid_until=valid_until,
        )
        if self.labels is None:
            return label
        key = self.labels.put(ret.shop, ret.rma, render_label(ret.rma, hub, label))
        return label.model_copy(update={"document_key": key})
