"""Evidence storage: unboxing and inspection videos kept safe for disputes.

Two buckets per region (docs/EVIDENCE.md):
- the quarantine bucket, where presigned POSTs land (`offers/<rma>/<customer|staff>/<offer id>`): no
  Object Lock, versioned (each upload is its own version, checked by version), every object expired
  after a day; S3 events to EventBridge run the upload check;
- the evidence bucket, where the check writes what passed (`returns/...`) with an explicit retention:
  Object Lock in the deployment's mode (context `evidence_lock_mode`: governance, the default, or
  compliance) with a default retention (180 days) besides, lifecycle to Glacier Instant Retrieval
  after 30 days, expiry after the retention plus a margin, noncurrent versions expired (a version
  still locked is deleted only once its lock ends). Its bucket policy denies
  s3:BypassGovernanceRetention to every principal, so in governance mode too no one lifts a lock
  without first changing the bucket policy (a CloudTrail-visible act).
Both: Block Public Access, TLS only, the region's customer managed KMS key, server access logs.

No function can lift a lock: the upload check may write into the evidence bucket only with Object
Lock headers of the deployment's mode and at least the default retention (IAM conditions), holds
no bypass, no delete and no version delete there; the API functions may only sign uploads under
their uploader's offer prefix of the quarantine bucket (storefront `offers/*/customer/*`, admin
`offers/*/staff/*`) and staff read evidence. A file found gone raises `EvidenceMissing` (alarm here).

Regional buckets (context `evidence_regions`, e.g. `{"eu-central-1": ["eu-pl-gls"]}`: region -> the hub
ids whose returns keep their evidence there) are made by `RegionalEvidenceStack`, one stack per
region, named deterministically so the home stack's functions can reach them without cross-region
references; their S3 events are forwarded to the home region's default event bus.

The upload check, its grants and alarms: infra/cdk/constructs/evidence_store.py.
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

DEFAULT_RETENTION_DAYS = 180
GLACIER_IR_AFTER_DAYS = 30
EXPIRY_MARGIN_DAYS = 30
# Evidence keys are never overwritten (one key per upload): a noncurrent version is one the lifecycle
# expired, so its data goes the next day, once its lock has ended.
NONCURRENT_EXPIRY_DAYS = 1
ACCESS_LOG_DAYS = 400
KEY_PREFIX = "returns/"
OFFER_PREFIX = "offers/"
# An upload is checked within minutes; what is left in quarantine after a day goes.
QUARANTINE_DAYS = 1
LOCK_MODES = {"governance": "GOVERNANCE", "compliance": "COMPLIANCE"}


def regional_bucket_name(stack_name: str, region: str) -> str:
    """A regional bucket's name, known to the home stack without a cross-region reference."""
    return f"{stack_name.lower()}-evidence-{region}-{Aws.ACCOUNT_ID}"


def regional_quarantine_name(stack_name: str, region: str) -> str:
    return f"{stack_name.lower()}-quarantine-{region}-{Aws.ACCOUNT_ID}"


def lock_mode(raw: Any) -> str:
    """The `evidence_lock_mode` context value: governance (default) or compliance."""
    value = str(raw or "governance").lower()
    if value not in LOCK_MODES:
        raise ValueError("evidence_lock_mode: governance or compliance")
    return LOCK_MODES[value]


class EvidenceBucket(Construct):
    """One evidence bucket with its key and its access log bucket."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        mode: str = "GOVERNANCE",
        cors_allow_origins: list[str] | None = None,
        bucket_name: str | None = None,
        quarantine_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description="Boomerang evidence bucket encryption",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            # Server access log delivery supports SSE-S3 only.
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-access-logs", expiration=Duration.days(ACCESS_LOG_DAYS))
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        NagSuppressions.add_resource_suppressions(
            self.access_logs,
            [
                NagPackSuppression(
                    id="AwsSolutions-S1",
                    reason="The access log bucket of the evidence bucket: logging it again would loop.",
                )
            ],
        )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            object_lock_enabled=True,
            object_lock_default_retention=(
                s3.ObjectLockRetention.compliance(Duration.days(retention_days))
                if mode == "COMPLIANCE"
                else s3.ObjectLockRetention.governance(Duration.days(retention_days))
            ),
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="evidence/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="evidence-lifecycle",
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                            transition_after=Duration.days(GLACIER_IR_AFTER_DAYS),
                        )
                    ],
                    # Deleted once the lock has ended, with a margin for a lock the policy extended.
                    expiration=Duration.days(retention_days + EXPIRY_MARGIN_DAYS),
                    noncurrent_version_expiration=Duration.days(NONCURRENT_EXPIRY_DAYS),
                    expired_object_delete_marker=False,
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        # No one lifts a lock, in governance mode too: not a function, not an administrator, unless
        # this statement is first removed from the bucket policy.
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="NoGovernanceBypass",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:BypassGovernanceRetention"],
                resources=[self.bucket.arn_for_objects("*")],
            )
        )
        # Uploads land here, unlocked, until the upload check has read them: browsers POST (CORS).
        self.quarantine = s3.Bucket(
            self,
            "Quarantine",
            bucket_name=quarantine_name,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="quarantine/",
            cors=[
                s3.CorsRule(
                    allowed_methods=[s3.HttpMethods.POST],
                    allowed_origins=cors_allow_origins or ["*"],
                    allowed_headers=["*"],
                    max_age=3600,
                )
            ],
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="quarantine-expiry",
                    expiration=Duration.days(QUARANTINE_DAYS),
                    noncurrent_version_expiration=Duration.days(QUARANTINE_DAYS),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
                s3.LifecycleRule(id="quarantine-delete-markers", expired_object_delete_marker=True),
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        # S3 events to EventBridge, set on the resource itself: the L2 `event_bridge_enabled` would add
        # a custom-resource Lambda to do what CloudFormation does natively.
        cfn_bucket = self.quarantine.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        cfn_bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(
                event_bridge_enabled=True
            )
        )


class RegionalEvidenceStack(Stack):
    """An evidence bucket in another region (e.g. eu-central-1 for EU hubs), whose S3 events go to
    the home region's default event bus, where the upload function's rule picks them up."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        home_stack_name: str,
        home_region: str,
        mode: str = "GOVERNANCE",
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        made = EvidenceBucket(
            self,
            "Evidence",
            mode=mode,
            bucket_name=regional_bucket_name(home_stack_name, self.region),
            quarantine_name=regional_quarantine_name(home_stack_name, self.region),
        )
        home_bus = events.EventBus.from_event_bus_arn(
            self, "HomeBus", f"arn:{Aws.PARTITION}:events:{home_region}:{Aws.ACCOUNT_ID}:event-bus/default"
        )
        events.Rule(
            self,
            "ForwardUploads",
            description="Evidence uploads in this region, to the home region's upload function",
            event_pattern=uploads_pattern([made.quarantine.bucket_name]),
            targets=[targets.EventBus(home_bus)],
        )


def uploads_pattern(bucket_names: list[str]) -> events.EventPattern:
    return events.EventPattern(
        source=["aws.s3"],
        detail_type=["Object Created"],
        detail={"bucket": {"name": bucket_names}, "object": {"key": [{"prefix": OFFER_PREFIX}]}},
    )


def evidence_regions(raw: Any) -> dict[str, list[str]]:
    """The `evidence_regions` context value: a dict or its JSON text, region -> hub ids."""
    if not raw:
        return {}
    value = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(h, str) for h in v)
        for k, v in value.items()
    ):
        raise ValueError('evidence_regions: {"<region>": ["<hub id>", ...]}')
    return {k: list(v) for k, v in value.items()}
