"""EvidenceService: offers and presigned POSTs and staff viewing with the missing-file watch, what
the API functions use; EvidenceChecker adds the upload check (redeem, check, lock, record or
refuse), which only the upload function loads (with the media layer: PyAV, Pillow). See the
package docstring for the flow.

Every change to a return (an offer made, evidence recorded or refused, a view, a file found missing)
is one conditional write with its timeline entry and outbox event. Each step of the upload check is
idempotent: a redelivered S3 event finds its offer redeemed by that very object version and changes
nothing; a file from anywhere else is deleted and counted as an attack.
"""

from __future__ import annotations

from boomerang.services.evidence.base import (
    CUSTOMER_UPLOAD_STATUSES,
    PresignedUpload,
    StillUrl,
    UploadOutcome,
    ViewUrl,
    count,
)
from boomerang.services.evidence.offers import Offers
from boomerang.services.evidence.viewing import Viewing


class EvidenceService(Offers, Viewing):
    """Offers (offers.py) and staff viewing (viewing.py) over one repository, policy source, set of
    buckets and S3 clients (base.py)."""


__all__ = [
    "CUSTOMER_UPLOAD_STATUSES",
    "EvidenceService",
    "PresignedUpload",
    "StillUrl",
    "UploadOutcome",
    "ViewUrl",
    "count",
]
