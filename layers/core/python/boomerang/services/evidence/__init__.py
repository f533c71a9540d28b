"""Evidence uploads: offers, the check of what arrived, the lock, and staff viewing.

offer      POST .../evidence -> an offer recorded on the return (offers.py rules, service.py),
           answered with a presigned POST into the quarantine bucket under offers/<rma>/...
quarantine the file lands in a bucket without Object Lock; S3's "Object Created" event runs
           the upload check (functions/evidence_uploaded)
check      the key must name an open offer of that return, redeemed once (else: deleted and
           counted as an attack); size and type as offered; the bytes a real video or photo
           (intake.py, boomerang.media); refused files are deleted and the customer told
lock       a checked file is copied (a photo: its copy without GPS) into the locked bucket
           with an explicit retention, its still frames beside it; then recorded on the return
           and the workflow's evidence wait resumes
view       staff get short-lived URLs (the file and its stills); a view or listing that finds a
           file gone puts it on the timeline once and raises an alarm
"""

from boomerang.services.evidence.service import (
    CUSTOMER_UPLOAD_STATUSES,
    EvidenceService,
    PresignedUpload,
    StillUrl,
    UploadOutcome,
    ViewUrl,
)
from boomerang.services.evidence.storage import S3Clients, buckets_from

__all__ = [
    "CUSTOMER_UPLOAD_STATUSES",
    "EvidenceService",
    "PresignedUpload",
    "S3Clients",
    "StillUrl",
    "UploadOutcome",
    "ViewUrl",
    "buckets_from",
]
