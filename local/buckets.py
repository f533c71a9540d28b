"""The template's S3 buckets on moto: named as CloudFormation names them, with their versioning and
Object Lock, recorded in `physical` so every Ref and GetAtt to them resolves to the local bucket."""

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
        create: dict[str, Any] = {"Bucket": name}
        if props.get("ObjectLockEnabled") in (True, "true", "Enabled"):
            create["ObjectLockEnabledForBucket"] = True
        s3.create_bucket(**create)
        versioning = (props.get("VersioningConfiguration") or {}).get("Status")
        if versioning:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning})
        lock = props.get("ObjectLockConfiguration")
        if lock and create.get("ObjectLockEnabledForBucket"):
            s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration=lock)
        physical[logical_id] = name
