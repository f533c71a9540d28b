"""AWS::S3::Bucket -> a bucket on moto's server, as CloudFormation would make it: named
<stack>-<logical id>-<suffix> in lower case (or its BucketName), versioning and Object Lock (with
its default retention) as the template says. Encryption with the template's KMS key is left out
locally (moto stores the bytes either way); every bucket's name is recorded in `physical`.
"""

from __future__ import annotations

import secrets
from typing import Any

from local.from_template import of_type

STACK_NAME = "Boomerang"


def bucket_name(logical_id: str, stack_name: str = STACK_NAME) -> str:
    return f"{stack_name}-{logical_id}"[:50].lower() + "-" + secrets.token_hex(6)


def create_buckets(template: dict[str, Any], physical: dict[str, str], s3: Any) -> None:
    for logical_id, resource in of_type(template, "AWS::S3::Bucket").items():
        props = resource.get("Properties") or {}
        given = props.get("BucketName")
        name = given if isinstance(given, str) else bucket_name(logical_id)
        locked = bool(props.get("ObjectLockEnabled"))
        s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=locked)
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
