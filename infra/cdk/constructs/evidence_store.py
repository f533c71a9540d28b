"""The evidence upload check and who may do what with evidence (buckets: evidence_buckets.py).

`EvidenceStore` composes the home buckets and the upload check (functions/evidence_uploaded, with
the media layer: PyAV) fed by an EventBridge rule on "Object Created" in any quarantine bucket, its
alarms, and grants the API functions what they need: presigning uploads (PutObject under the offer
prefix + the key's GenerateDataKey) and viewing (GetObject + Decrypt, ListBucket so a missing file
answers 404 rather than 403).
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Aws, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from infra.cdk.constructs.data_table import DataTables
from infra.cdk.constructs.evidence_buckets import (
    DEFAULT_RETENTION_DAYS,
    KEY_PREFIX,
    OFFER_PREFIX,
    EvidenceBucket,
    regional_bucket_name,
    regional_quarantine_name,
    uploads_pattern,
)
from infra.cdk.constructs.lambda_function import BoomerangFunction, LayerSource

SERVICE_NAME = "evidence_uploaded"
# The upload check's working space: the largest video a policy may allow (5 GiB) and its stills.
EPHEMERAL_STORAGE_MB = 6144
REPO_ROOT = Path(__file__).resolve().parents[3]


class EvidenceStore(Construct):
    """The home evidence and quarantine buckets, the regional buckets' names, the upload check and
    its alarms."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code_dir: Path,
        layer: LayerSource,
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
            event_pattern=uploads_pattern([self.quarantine.bucket_name, *quarantines.values()]),
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
