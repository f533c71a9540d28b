"""The single table that holds every Boomerang record, and the table Powertools idempotency writes to.

Key design: layers/core/python/boomerang/store/keys.py.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

PARTITION_KEY = "pk"
SORT_KEY = "sk"
TTL_ATTRIBUTE = "expires_at"
GLOBAL_INDEXES = ("gsi1", "gsi2", "gsi3")

IDEMPOTENCY_PARTITION_KEY = "id"
IDEMPOTENCY_TTL_ATTRIBUTE = "expiration"

# IAM has no TransactWriteItems action: each item of a transaction is authorized as the PutItem,
# UpdateItem or ConditionCheckItem it contains. Scan and DeleteItem are left out on purpose.
ITEM_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:ConditionCheckItem",
)
INDEX_ACTIONS = ("dynamodb:Query",)
# What Powertools' DynamoDBPersistenceLayer calls.
IDEMPOTENCY_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
)


class DataTables(Construct):
    """`table`: orders, returns, timelines, outbox (single-table design). `idempotency_table`: records
    of requests already served under an Idempotency-Key."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)

        # AWS::DynamoDB::Table (not TableV2): the local stack feeds this template to moto's
        # CloudFormation, which does not know GlobalTable.
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=SORT_KEY, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=TTL_ATTRIBUTE,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            # The outbox publisher reads new outbox items from the stream.
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
            # Merchant data: survives `cdk destroy` and an accidental replacement.
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for index_name in GLOBAL_INDEXES:
            self.table.add_global_secondary_index(
                index_name=index_name,
                partition_key=dynamodb.Attribute(name=f"{index_name}pk", type=dynamodb.AttributeType.STRING),
                sort_key=dynamodb.Attribute(name=f"{index_name}sk", type=dynamodb.AttributeType.STRING),
                projection_type=dynamodb.ProjectionType.ALL,
            )

        # Idempotency records expire within hours and can be rebuilt by retrying: no retention needed.
        self.idempotency_table = dynamodb.Table(
            self,
            "IdempotencyTable",
            partition_key=dynamodb.Attribute(
                name=IDEMPOTENCY_PARTITION_KEY, type=dynamodb.AttributeType.STRING
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=IDEMPOTENCY_TTL_ATTRIBUTE,
            removal_policy=RemovalPolicy.DESTROY,
        )

    def grant_request_path_access(self, grantee: iam.IGrantable) -> None:
        """Item reads and conditional writes on the table, Query on its indexes; never Scan."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=list(ITEM_ACTIONS), resources=[self.table.table_arn])
        )
        # Index ARNs named one by one, so the policy carries no wildcard.
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=list(INDEX_ACTIONS),
                resources=[f"{self.table.table_arn}/index/{name}" for name in GLOBAL_INDEXES],
            )
        )

    def grant_idempotency_access(self, grantee: iam.IGrantable) -> None:
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=list(IDEMPOTENCY_ACTIONS), resources=[self.idempotency_table.table_arn]
            )
        )
