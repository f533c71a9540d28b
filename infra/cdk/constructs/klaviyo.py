"""Klaviyo: return and refund events to the customer's profile in the shop's Klaviyo account.

EventBridge rule (the forwarded event types) -> SQS -> functions/klaviyo_events. Each shop switches
it on with its private API key in Secrets Manager under boomerang/klaviyo/<shop> (see
`python -m scripts.klaviyo`); the function reads the order for the customer's email.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from boomerang.crm.klaviyo import FORWARDED
from boomerang.timeouts import KLAVIYO
from infra.cdk.constructs.data_table import DataTables
from infra.cdk.constructs.event_bus import SOURCE, EventBus, dead_letter_queue
from infra.cdk.constructs.lambda_function import BoomerangFunction, LayerSource

SERVICE_NAME = "klaviyo_events"
SECRETS_PREFIX = "boomerang/klaviyo/"
# Above the SDK's slowest forwarding (boomerang.timeouts.KLAVIYO), DynamoDB and the secret read.
TIMEOUT_SECONDS = int(KLAVIYO.worst_case_seconds()) + 10


class KlaviyoEvents(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code_dir: Path,
        layer: LayerSource,
        tables: DataTables,
        bus: EventBus,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letters = dead_letter_queue(
            self, "DeadLetters", "of the Klaviyo queue (calls refused for days)"
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            visibility_timeout=Duration.seconds(6 * TIMEOUT_SECONDS),
            retention_period=Duration.days(4),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            # About a day of retries at the visibility timeout, then kept 14 days for a redrive.
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letters, max_receive_count=480),
        )
        self.rule = events.Rule(
            self,
            "ReturnAndRefundEvents",
            event_bus=bus.bus,
            description="Return and refund events, to Klaviyo",
            event_pattern=events.EventPattern(source=[SOURCE], detail_type=sorted(FORWARDED)),
            targets=[targets.SqsQueue(self.queue, dead_letter_queue=self.dead_letters)],
        )
        made = BoomerangFunction(
            self,
            "Function",
            code_dir=code_dir,
            handler="handler.handler",
            description="Boomerang -> Klaviyo events on the customer's profile (per shop)",
            layer=layer,
            environment={"TABLE_NAME": tables.table.table_name, "POWERTOOLS_SERVICE_NAME": SERVICE_NAME},
            timeout_seconds=TIMEOUT_SECONDS,
        )
        self.function = made.function
        tables.grant_request_path_access(made.role)
        secrets_arn = Stack.of(self).format_arn(
            service="secretsmanager",
            resource="secret",
            resource_name=f"{SECRETS_PREFIX}*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        made.role.add_to_policy(
            iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[secrets_arn])
        )
        NagSuppressions.add_resource_suppressions(
            made.role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason="Each shop's Klaviyo key is its own secret; the grant is limited to the "
                    "boomerang/klaviyo/ name prefix.",
                    applies_to=[
                        "Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:"
                        f"{SECRETS_PREFIX}*"
                    ],
                )
            ],
            apply_to_children=True,
        )
        self.function.add_event_source(
            sources.SqsEventSource(
                self.queue,
                batch_size=10,
                max_batching_window=Duration.seconds(1),
                report_batch_item_failures=True,
            )
        )
