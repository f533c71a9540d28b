"""AWS::S3::Bucket -> a bucket on moto's server, as CloudFormation would make it: its BucketName,
else `<stack>-<logical id>-<suffix>` in lower case; versioning, Object Lock (with its default
retention) and CORS as the template says. Encryption with the template's KMS key is left out
locally (moto stores the bytes either way). Every bucket's name is recorded in `physical`, so each
Ref and GetAtt to it resolves to the local bucket.
"""

from __future__ import annotations

import hashlib
from typing import Any

from local.from_template import of_type

STACK_NAME = "Boomerang"


def bucket_name(logical_id: str, resource: dict[str, Any], stack_name: str = STACK_NAME) -> str:
    """The BucketName if the template gives one, else `<stack>-<logical id>-<suffix>` in lower case
    within S3's 63 characters, as CloudFormation generates it (the suffix is stable here, so a
    restarted local stack finds the same names)."""
    given = (resource.get("Properties") or {}).get("BucketName")
    if isinstance(given, str):
        return given
    suffix = hashlib.sha256(f"{stack_name}/{logical_id}".encode()).hexdigest()[:12]
    prefix = f"{stack_name}-{logical_id}".lower()[: 63 - len(suffix) - 1]
    return f"{prefix}-{suffix}"


def create_buckets(template: dict[str, Any], physical: dict[str, str], s3: Any) -> None:
    for logical_id, resource in of_type(template, "AWS::S3::Bucket").items():
        props = resource.get("Properties") or {}
        name = bucket_name(logical_id, resource)
        locked = props.get("ObjectLockEnabled") in (True, "true", "Enabled")
        s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=locked)
        # Object Lock turns versioning on by itself.
        if (props.get("VersioningConfiguration") or {}).get("Status") == "Enabled" and not locked:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        lock = props.get("ObjectLockConfiguration")
        if locked and lock:
            s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration=lock)
        if props.get("CorsConfiguration"):
            rules = [
                {
                    "AllowedMethods": rule["AllowedMethods"],
                    "AllowedOrigins": rule["AllowedOrigins"],
                    "AllowedHeaders": rule.get("AllowedHeaders", []),
                    "MaxAgeSeconds": int(rule.get("MaxAge", 0)),
                }
                for rule in props["CorsConfiguration"]["CorsRules"]
            ]
            s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
        physical[logical_id] = name
