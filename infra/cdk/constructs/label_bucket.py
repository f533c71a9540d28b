"""The label bucket: return label PDFs, private, handed to customers only through short-lived
presigned GET URLs (`GET /v1/returns/{rma}/label`)."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from cdk_nag import NagPackSuppression, NagSuppressions, RegexAppliesTo
from constructs import Construct

# A label is valid for 30 days by default policy; kept longer for disputes about the shipment.
LABEL_RETENTION_DAYS = 180
# Who fetched a label (its presigned link) and when: kept as long as the evidence's access logs.
ACCESS_LOG_DAYS = 400
LABEL_PREFIX = "labels/"


class LabelBucket(Construct):
    """`bucket`; `grant_write` for the label step, `grant_read` for whoever presigns URLs."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        # Labels carry the customer's name and address: every read through a presigned link is logged.
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
                    reason="The access log bucket of the label bucket: logging it again would loop.",
                )
            ],
        )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            encryption=s3.BucketEncryption.S3_MANAGED,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-labels",
                    prefix=LABEL_PREFIX,
                    expiration=Duration.days(LABEL_RETENTION_DAYS),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            # Labels can be rendered again from the return; they are not worth keeping past the stack.
            removal_policy=RemovalPolicy.DESTROY,
            auto_delete_objects=False,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="labels/",
        )

    def grant_write(self, grantee: iam.IGrantable, role: iam.IRole) -> None:
        self._grant(grantee, role, "s3:PutObject")

    def grant_read(self, grantee: iam.IGrantable, role: iam.IRole) -> None:
        """GetObject on labels only: what a presigned GET URL signed by the grantee may fetch."""
        self._grant(grantee, role, "s3:GetObject")

    def _grant(self, grantee: iam.IGrantable, role: iam.IRole, action: str) -> None:
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=[action], resources=[self.bucket.arn_for_objects(f"{LABEL_PREFIX}*")])
        )
        NagSuppressions.add_resource_suppressions(
            role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason=(
                        "Label objects are named per return (labels/<shop>/<rma>.pdf), created at run "
                        "time: the grant covers the label prefix of this one bucket and one action."
                    ),
                    # The bucket's ARN, or its reference from a nested stack (<referenceto...Arn>).
                    applies_to=[RegexAppliesTo(regex=r"/^Resource::<.*LabelsBucket.*Arn>\/labels\/\*$/")],
                )
            ],
            apply_to_children=True,
        )
