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

`EvidenceStore` composes the home buckets and the upload check (functions/evidence_uploaded, with
the media layer: PyAV) fed by an EventBridge rule on "Object Created" in any quarantine bucket, its
alarms, and grants the API functions what they need: presigning uploads (PutObject under the offer
prefix + the key's GenerateDataKey) and viewing (GetObject + Decrypt, ListBucket so a missing file
answers 404 rather than 403).
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import Aws, BundlingOptions, DockerImage, Duration, ILocalBundling, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from infra.cdk.constructs.core_layer import ARCHITECTURE, RUNTIME, PipLayerBundling, distribution_name
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
OFFER_PREFIX = "offers/"
# An upload is checked within minutes; what is left in quarantine after a day goes.
QUARANTINE_DAYS = 1
LOCK_MODES = {"governance": "GOVERNANCE", "compliance": "COMPLIANCE"}
# The upload check's working space: the largest video a policy may allow (5 GiB) and its stills.
EPHEMERAL_STORAGE_MB = 6144
REPO_ROOT = Path(__file__).resolve().parents[3]


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


def media_requirements(pyproject: Path) -> list[str]:
    """What the media layer adds to the core layer: PyAV from the `media` extra (Pillow, also in
    that extra, ships in the core layer with reportlab)."""
    extra: list[str] = tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"]["media"]
    return [dep for dep in extra if distribution_name(dep) == "av"]


@jsii.implements(ILocalBundling)
class MediaLayerBundling(PipLayerBundling):
    """pip, as for the core layer, without the library (the core layer has it)."""

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_options: Any) -> bool:
        site_dir = Path(output_dir) / "python"
        self._pip_install(site_dir)
        shutil.rmtree(site_dir / "bin", ignore_errors=True)
        return True


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
            event_pattern=_uploads_pattern([made.quarantine.bucket_name]),
            targets=[targets.EventBus(home_bus)],
        )


def _uploads_pattern(bucket_names: list[str]) -> events.EventPattern:
    return events.EventPattern(
        source=["aws.s3"],
        detail_type=["Object Created"],
        detail={"bucket": {"name": bucket_names}, "object": {"key": [{"prefix": OFFER_PREFIX}]}},
    )


class EvidenceStore(Construct):
    """The home evidence and quarantine buckets, the regional buckets' names, the upload check and
    its alarms."""

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
        mode: str = "GOVERNANCE",
        regions: dict[str, list[str]] | None = None,
        cors_allow_origins: list[str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.mode = mode
        self.retention_days = retention_days
        self.home = EvidenceBucket(
            self, "Home", retention_days=retention_days, mode=mode, cors_allow_origins=cors_allow_origins
        )
        self.bucket = self.home.bucket
        self.quarantine = self.home.quarantine
        self.regions = dict(regions or {})
        regional = {region: regional_bucket_name(stack.stack_name, region) for region in self.regions}
        quarantines = {region: regional_quarantine_name(stack.stack_name, region) for region in self.regions}
        # What every evidence function reads: the home buckets and, per hub, a regional pair.
        self.environment: dict[str, str] = {
            "EVIDENCE_BUCKET": self.bucket.bucket_name,
            "EVIDENCE_QUARANTINE_BUCKET": self.quarantine.bucket_name,
        }
        if regional:
            self.environment["EVIDENCE_REGIONAL_BUCKETS"] = stack.to_json_string(
                {
                    hub: {"bucket": regional[region], "region": region, "quarantine": quarantines[region]}
                    for region, hubs in self.regions.items()
                    for hub in hubs
                }
            )

        # PyAV (FFmpeg) for the upload check only: no other function loads it.
        self.media_layer = lambda_.LayerVersion(
            self,
            "MediaLayer",
            layer_version_name="boomerang-media",
            description="PyAV (FFmpeg) for the evidence upload check",
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            code=lambda_.Code.from_asset(
                str(REPO_ROOT / "layers" / "core"),
                exclude=["**/*"],
                bundling=BundlingOptions(
                    local=MediaLayerBundling(
                        REPO_ROOT / "layers" / "core", media_requirements(REPO_ROOT / "pyproject.toml")
                    ),
                    image=RUNTIME.bundling_image,
                    command=[
                        "bash",
                        "-c",
                        "pip install --target /asset-output/python "
                        + " ".join(f"'{r}'" for r in media_requirements(REPO_ROOT / "pyproject.toml")),
                    ],
                ),
            ),
        )
        made = BoomerangFunction(
            self,
            "Uploaded",
            code_dir=code_dir,
            handler="handler.handler",
            description="Boomerang evidence upload check: redeems an offer, checks the file, locks it",
            layer=layer,
            # Decoding a 4K frame and hashing a 500 MB video: one full vCPU (1,769 MB) and some.
            memory_size=2048,
            timeout_seconds=300,
            environment={
                "TABLE_NAME": tables.table.table_name,
                "STATE_MACHINE_ARN": state_machine_arn,
                "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
                "EVIDENCE_LOCK_MODE": mode,
                **self.environment,
            },
        )
        self.function = made.function
        self.function.add_layers(self.media_layer)
        cfn_function = self.function.node.default_child
        assert isinstance(cfn_function, lambda_.CfnFunction)
        cfn_function.ephemeral_storage = lambda_.CfnFunction.EphemeralStorageProperty(
            size=EPHEMERAL_STORAGE_MB
        )
        tables.grant_request_path_access(made.role)
        made.role.add_to_policy(
            iam.PolicyStatement(
                actions=["states:SendTaskSuccess", "states:SendTaskFailure"], resources=[state_machine_arn]
            )
        )
        self._suppress(made.role)
        # Quarantine: read an upload, delete it once decided (never locked there).
        made.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObject", "s3:DeleteObjectVersion"],
                resources=[f"{arn}/{OFFER_PREFIX}*" for arn in self.quarantine_arns()],
            )
        )
        made.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket", "s3:ListBucketVersions"],
                resources=self.quarantine_arns(),
                conditions={"StringLike": {"s3:prefix": [f"{OFFER_PREFIX}*"]}},
            )
        )
        # Evidence: write only with Object Lock of the deployment's mode and at least the default
        # retention (a day's slack for S3's rounding of remaining days). No bypass, no delete, and
        # PutObjectRetention only under the same conditions: it can lengthen a lock, never shorten it.
        made.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:PutObjectRetention"],
                resources=[f"{arn}/{KEY_PREFIX}*" for arn in self.bucket_arns()],
                conditions={
                    "StringEquals": {"s3:object-lock-mode": mode},
                    "NumericGreaterThanEquals": {
                        "s3:object-lock-remaining-retention-days": retention_days - 1
                    },
                },
            )
        )
        self._grant_keys(made.role, ["kms:Decrypt", "kms:GenerateDataKey"])
        events.Rule(
            self,
            "Uploads",
            description="An evidence upload arrived in quarantine: check it, then lock or refuse it",
            event_pattern=_uploads_pattern([self.quarantine.bucket_name, *quarantines.values()]),
            targets=[
                targets.LambdaFunction(self.function, retry_attempts=8, max_event_age=Duration.hours(6))
            ],
        )
        # Alarms (actions are the monitoring construct's): recorded evidence found gone, and uploads
        # under no open offer (forged keys, reused or late POSTs).
        self.missing_alarm = cloudwatch.Alarm(
            self,
            "EvidenceMissing",
            alarm_description="Recorded evidence is gone from its bucket (found by a staff view or listing)",
            metric=cloudwatch.Metric(
                namespace="Boomerang",
                metric_name="EvidenceMissing",
                dimensions_map={"service": "evidence"},
                statistic="Sum",
                period=Duration.minutes(5),
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.attack_alarm = cloudwatch.Alarm(
            self,
            "EvidenceUploadAttacks",
            alarm_description="Uploads under no open offer were deleted (forged keys, reused or late POSTs)",
            metric=cloudwatch.Metric(
                namespace="Boomerang",
                metric_name="EvidenceUploadAttack",
                dimensions_map={"service": SERVICE_NAME},
                statistic="Sum",
                period=Duration.minutes(5),
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.alarms = [self.missing_alarm, self.attack_alarm]

    def bucket_arns(self) -> list[str]:
        stack = Stack.of(self)
        return [
            self.bucket.bucket_arn,
            *[f"arn:{Aws.PARTITION}:s3:::{regional_bucket_name(stack.stack_name, r)}" for r in self.regions],
        ]

    def quarantine_arns(self) -> list[str]:
        stack = Stack.of(self)
        return [
            self.quarantine.bucket_arn,
            *[
                f"arn:{Aws.PARTITION}:s3:::{regional_quarantine_name(stack.stack_name, r)}"
                for r in self.regions
            ],
        ]

    def _suppress(self, role: iam.IRole) -> None:
        NagSuppressions.add_resource_suppressions(
            role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason=(
                        "Evidence objects are keyed returns/<rma>/... and uploads offers/<rma>/<uploader>/"
                        "<offer id>: the policy names each bucket and the prefix (the uploader's, for "
                        "signing uploads); the RMA and offer are known only per request. KMS on a "
                        "regional key is limited to S3's use of it (kms:ViaService)."
                    ),
                    applies_to=[
                        {"regex": "/^Resource::.*/returns/\\*$/g"},
                        {"regex": "/^Resource::.*/offers/.*$/g"},
                        "Resource::*",
                    ],
                )
            ],
            apply_to_children=True,
        )

    def _grant_keys(self, role: iam.IRole, kms_actions: list[str]) -> None:
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

    def grant_upload(self, function: lambda_.Function, uploader: str = "customer") -> None:
        """Presigned POSTs for evidence uploads (storefront: customers; admin: the warehouse), under
        that uploader's offer prefix of the quarantine buckets only."""
        assert function.role is not None
        self._suppress(function.role)
        function.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject"],
                resources=[f"{arn}/{OFFER_PREFIX}*/{uploader}/*" for arn in self.quarantine_arns()],
            )
        )
        self._grant_keys(function.role, ["kms:GenerateDataKey"])
        for name, value in self.environment.items():
            function.add_environment(name, value)

    def grant_view(self, role: iam.IRole) -> None:
        """Short-lived viewing URLs for staff, and the presence check of a view or listing (with
        ListBucket, S3 answers a missing object 404, not 403)."""
        self._suppress(role)
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:GetObjectVersion"],
                resources=[f"{arn}/{KEY_PREFIX}*" for arn in self.bucket_arns()],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket", "s3:ListBucketVersions"],
                resources=self.bucket_arns(),
                conditions={"StringLike": {"s3:prefix": [f"{KEY_PREFIX}*"]}},
            )
        )
        self._grant_keys(role, ["kms:Decrypt"])


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
