"""The S3 side of evidence: clients per region, the buckets from the functions' environment, reading
an upload to a local file with its SHA-256, writing locked objects, and asking whether one exists."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from boomerang.domain.evidence import BucketChoice, EvidenceBuckets

CHUNK = 8 * 1024 * 1024
# What S3 answers for an object or version that is not there (with s3:ListBucket granted; without
# it S3 answers 403 for a missing key, which is never taken for "missing").
GONE = frozenset({"404", "NoSuchKey", "NoSuchVersion"})


@dataclass(frozen=True)
class Downloaded:
    path: str
    sha256: str  # base64, as S3's checksums and the evidence record give it
    size: int

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


def download(s3: Any, bucket: str, key: str, version_id: str | None) -> Downloaded:
    """The object version, read in chunks into a temporary file (a video may not fit in memory;
    PyAV seeks in it), hashed on the way: what was stored, not what was sent."""
    version = {"VersionId": version_id} if version_id else {}
    body = s3.get_object(Bucket=bucket, Key=key, **version)["Body"]
    digest = hashlib.sha256()
    size = 0
    handle, path = tempfile.mkstemp(prefix="evidence-")
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in iter(lambda: body.read(CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
    except BaseException:
        os.unlink(path)
        raise
    return Downloaded(path, base64.b64encode(digest.digest()).decode(), size)


def sha256_of(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def lock_headers(mode: str, until: datetime) -> dict[str, Any]:
    """Object Lock on the write itself: the IAM policy lets the upload check write only so."""
    return {"ObjectLockMode": mode, "ObjectLockRetainUntilDate": until}


def delete_quietly(s3: Any, bucket: str, key: str, version_id: str | None) -> None:
    """Remove a quarantined upload (never locked); gone already is fine."""
    version = {"VersionId": version_id} if version_id and version_id != "null" else {}
    try:
        s3.delete_object(Bucket=bucket, Key=key, **version)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in GONE:
            raise


def exists(s3: Any, bucket: str, key: str, version_id: str | None) -> bool:
    version = {"VersionId": version_id} if version_id else {}
    try:
        s3.head_object(Bucket=bucket, Key=key, **version)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in GONE:
            return False
        raise
    return True


def buckets_from(
    home_bucket: str, home_region: str, regional_json: str, quarantine_bucket: str | None = None
) -> EvidenceBuckets:
    """The buckets as the CDK stack describes them in the functions' environment. The home
    quarantine bucket comes from EVIDENCE_QUARANTINE_BUCKET (EvidenceConfig) unless given."""
    if quarantine_bucket is None:
        from boomerang.config import EvidenceConfig

        quarantine_bucket = EvidenceConfig.from_env().evidence_quarantine_bucket
    by_hub = {
        hub: BucketChoice(
            bucket=str(where["bucket"]),
            region=str(where["region"]),
            quarantine=str(where.get("quarantine", "")),
        )
        for hub, where in (json.loads(regional_json) if regional_json else {}).items()
    }
    return EvidenceBuckets(home=BucketChoice(home_bucket, home_region, quarantine_bucket), by_hub=by_hub)


class S3Clients:
    """One S3 client per region, made on first use (the storefront's cold start makes none)."""

    def __init__(self) -> None:
        self._clients: dict[str, Any] = {}

    def __call__(self, region: str) -> Any:
        if region not in self._clients:
            import boto3

            from boomerang.aws import aws_config

            self._clients[region] = boto3.client(
                "s3", region_name=region, config=aws_config(signature_version="s3v4")
            )
        return self._clients[region]
