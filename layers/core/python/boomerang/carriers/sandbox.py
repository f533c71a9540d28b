"""A carrier that issues labels without calling anyone: for local runs and tests.

Tracking numbers are deterministic per RMA, so a retried step issues the same label.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from boomerang.domain.models import Hub, Label, Return


class SandboxCarrier:
    def buy_return_label(self, ret: Return, hub: Hub, valid_until: datetime, now: datetime) -> Label:
        digits = int(hashlib.sha256(ret.rma.encode()).hexdigest()[:12], 16) % 10**12
        return Label(
            carrier=(hub.carriers or ["SANDBOX"])[0],
            tracking_number=f"SBX{digits:012d}",
            cost=hub.cost_per_parcel,
            issued_at=now,
            valid_until=valid_until,
        )
