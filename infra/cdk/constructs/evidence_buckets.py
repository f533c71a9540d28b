"""Evidence storage: unboxing and inspection videos kept safe for disputes.

Each evidence bucket: Block Public Access, TLS only, versioning, a customer managed KMS key,
Object Lock in governance mode with a default retention (180 days; a shop's policy may keep an
object longer, set per object by the upload function), lifecycle to Glacier Instant Retrieval after
30 days, expiry after the retention plus a margin, noncurrent versions expired (a version still
locked is deleted only once its lock ends), browser POST uploads (CORS), and S3 events to
EventBridge. A server access log bucket records every request.

Regional buckets (context `evidence_regions`, e.g. `{"eu-central-1": ["eu-pl-gls"]}`: region -> the hub
ids whose returns keep their evidence there) are made by `RegionalEvidenceStack`, one stack per
region, named deterministically so the home stack's functions can reach them without cross-region
references; their S3 events are forwarded to the home region's default event bus.

`EvidenceStore` composes the home bucket and the upload function (functions/evidence_uploaded) fed
by an EventBridge rule on "Object Created" in any evidence bucket, and grants the API functions
what they need: presigning uploads (PutObject + the key's GenerateDataKey) and viewing (GetObject +
Decrypt).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from infra.cdk.constructs.data_table import DataTables
from infra.cdk.constructs.lambda_function import BoomerangFunction

SERVICE_NAME = "evidence_uploaded"
DEFAULT_RETENTION_DAYS = 180
GLACIER_IR_AFTER_DAYS = 30
EXPIRY_MARGIN_DAYS = 30
# Evidence keys are never overwritten (one key per upload): a noncurrent version is one the lifecycle
# expired, so its data goes the next day, once its lock has ended.
NONCURRENT_EXPIRY_DAYS = 1
ACCESS_LOG_DAYS = 400
KEY_PREFIX = "returns/"


def regional_bucket_name(stack_name: str, region: str) -> str:
    """A regional bucket's name, known to the home stack without a cross-region reference."""
    return f"{stack_name.lower()}-evidence-{region}-{Aws.ACCOUNT_ID}"


class EvidenceBucket(Construct):
    """One evidence bucket with its key and its access log bucket."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        cors_allow_origins: list[str] | None = None,
        bucket_name: str | None = None,
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
            object_lock_default_retention=s3.ObjectLockRetention.governance(Duration.days(retention_days)),
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="evidence/",
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
        # S3 events to EventBridge, set on the resource itself: the L2 `event_bridge_enabled` would add
        # a custom-resource Lambda to do what CloudFormation does natively.
        cfn_bucket = self.bucket.node.default_child
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
        self, scope: Construct, construct_id: str, *, home_stack_name: str, home_region: str, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        made = EvidenceBucket(
            self, "Evidence", bucket_name=regional_bucket_name(home_stack_name, self.region)
        )
        home_bus = events.EventBus.from_event_bus_arn(
            self, "HomeBus", f"arn:{Aws.PARTITION}:events:{home_region}:{Aws.ACCOUNT_ID}:event-bus/default"
        )
        events.Rule(
            self,
            "ForwardUploads",
            description="Evidence uploads in this region, to the home region's upload function",
            event_pattern=_uploads_pattern([made.bucket.bucket_name]),
            targets=[targets.EventBus(home_bus)],
        )


def _uploads_pattern(bucket_names: list[str]) -> events.EventPattern:
    return events.EventPattern(
        source=["aws.s3"],
        detail_type=["Object Created"],
        detail={"bucket": {"name": bucket_names}, "object": {"key": [{"prefix": KEY_PREFIX}]}},
    )


class EvidenceStore(Construct):
    """The home evidence bucket, the regional buckets' names, and the upload function."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code_dir: Path,
        layer: lambda_.ILayerVersion,
        tables: DataTables,
        state_machine_arn: str,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        regions: dict[str, list[str]] | None = None,
        cors_allow_origins: list[str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.home = EvidenceBucket(
            self, "Home", retention_days=retention_days, cors_allow_origins=cors_allow_origins
        )
        self.bucket = self.home.bucket
        self.regions = dict(regions or {})
        regional = {region: regional_bucket_name(stack.stack_name, region) for region in self.regions}
        # What every evidence function reads: the home bucket and, per hub, a regional one.
        self.environment: dict[str, str] = {"EVIDENCE_BUCKET": self.bucket.bucket_name}
        if regional:
            self.environment["EVIDENCE_REGIONAL_BUCKETS"] = stack.to_json_string(
                {
                    hub: {"bucket": regional[region], "region": region}
                    for region, hubs in self.regions.items()
                    for hub in hubs
                }
            )

        made = BoomerangFunction(
            self,
            "Uploaded",
            code_dir=code_dir,
            handler="handler.handler",
            description="Boomerang evidence upload check: records evidence on its return, resumes the wait",
            layer=layer,
            memory_size=1024,
            # Reading a 500 MB video back for its SHA-256 takes a while.
            timeout_seconds=300,
            environment={
                "TABLE_NAME": tables.table.table_name,
                "STATE_MACHINE_ARN": state_machine_arn,
                "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
                **self.environment,
            },
        )
        self.function = made.function
        tables.grant_request_path_access(made.role)
        made.role.add_to_policy(
            iam.PolicyStatement(
                actions=["states:SendTaskSuccess", "states:SendTaskFailure"], resources=[state_machine_arn]
            )
        )
        self._grant(
            made.role,
            [
                "s3:GetObject",
                "s3:GetObjectVersion",
                "s3:PutObjectRetention",
                "s3:DeleteObjectVersion",
                # Refused uploads only: the default retention locked them on arrival.
                "s3:BypassGovernanceRetention",
            ],
            ["kms:Decrypt"],
        )
        events.Rule(
            self,
            "Uploads",
            description="An evidence upload arrived: check and record it",
            event_pattern=_uploads_pattern([self.bucket.bucket_name, *regional.values()]),
            targets=[
                targets.LambdaFunction(self.function, retry_attempts=8, max_event_age=Duration.hours(6))
            ],
        )

    def bucket_arns(self) -> list[str]:
        stack = Stack.of(self)
        return [
            self.bucket.bucket_arn,
            *[f"arn:{Aws.PARTITION}:s3:::{regional_bucket_name(stack.stack_name, r)}" for r in self.regions],
        ]

    def _grant(self, role: iam.IRole, s3_actions: list[str], kms_actions: list[str]) -> None:
        NagSuppressions.add_resource_suppressions(
            role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason=(
                        "Evidence objects are keyed returns/<rma>/...: the policy names each evidence "
                        "bucket and the returns/ prefix; the RMA is known only per request. KMS on a "
                        "regional key is limited to S3's use of it (kms:ViaService)."
                    ),
                    applies_to=[{"regex": "/^Resource::.*/returns/\\*$/g"}, "Resource::*"],
                )
            ],
            apply_to_children=True,
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=s3_actions, resources=[f"{arn}/{KEY_PREFIX}*" for arn in self.bucket_arns()]
            )
        )
        # Regional keys are in other stacks: S3 uses them on the caller's behalf, so the grant is by
        # service (kms:ViaService) rather than by key ARN.
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=kms_actions, resources=[self.home.key.key_arn])
        )
        if self.regions:
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=kms_actions,
                    resources=["*"],
                    conditions={
                        "StringEquals": {"kms:ViaService": [f"s3.{r}.amazonaws.com" for r in self.regions]}
                    },
                )
            )

    def grant_upload(self, function: lambda_.Function) -> None:
        """Presigned POSTs for evidence uploads (storefront: customers; admin: the warehouse)."""
        assert function.role is not None
        self._grant(function.role, ["s3:PutObject"], ["kms:GenerateDataKey"])
        for name, value in self.environment.items():
            function.add_environment(name, value)

    def grant_view(self, role: iam.IRole) -> None:
        """Short-lived viewing URLs for staff."""
        self._grant(role, ["s3:GetObject", "s3:GetObjectVersion"], ["kms:Decrypt"])


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
