"""Domain events out: the EventBridge bus (with an archive to replay from), and the outbox
publisher that feeds it from the single table's stream.

The event source mapping reads only outbox items (a filter on pk), reports partial batch failures,
bisects a failing batch and, when a record keeps failing, sends its stream position to a queue
(the on-failure destination); scripts/redrive_outbox.py publishes those records again.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from infra.cdk.constructs.data_table import DataTables
from infra.cdk.constructs.lambda_function import BoomerangFunction, LayerSource

SERVICE_NAME = "outbox_publisher"
SOURCE = "boomerang"


def dead_letter_queue(scope: Construct, construct_id: str, why: str) -> sqs.Queue:
    """A queue that is itself the last stop: kept 14 days, encrypted, TLS only."""
    queue = sqs.Queue(
        scope,
        construct_id,
        retention_period=Duration.days(14),
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
    )
    NagSuppressions.add_resource_suppressions(
        queue,
        [
            NagPackSuppression(id=rule, reason=f"This queue is the dead-letter queue {why}.")
            for rule in ("AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy")
        ],
    )
    return queue


class EventBus(Construct):
    """`bus`, `archive`, the publisher `function` and its `dead_letters` queue."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code_dir: Path,
        layer: LayerSource,
        tables: DataTables,
        state_machine_arn: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(self, "Bus", description="Boomerang domain events (source 'boomerang')")
        # Everything published, kept a year: consumers added later, or recovering, replay from it.
        self.archive = self.bus.archive(
            "Archive",
            description="Every Boomerang domain event",
            event_pattern=events.EventPattern(source=[SOURCE]),
            retention=Duration.days(365),
        )
        self.dead_letters = dead_letter_queue(
            self, "DeadLetters", "of the outbox stream: positions of records that failed to publish"
        )
        made = BoomerangFunction(
            self,
            "Publisher",
            code_dir=code_dir,
            handler="handler.handler",
            description="Boomerang outbox publisher (table stream -> EventBridge)",
            layer=layer,
            environment={
                "EVENT_BUS_NAME": self.bus.event_bus_name,
                "STATE_MACHINE_ARN": state_machine_arn,
                "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
            },
            timeout_seconds=30,
        )
        self.function = made.function
        self.bus.grant_put_events_to(made.role)
        # A `return.requested` whose workflow did not start is started here (named by the RMA).
        made.role.add_to_policy(
            iam.PolicyStatement(actions=["states:StartExecution"], resources=[state_machine_arn])
        )
        self.function.add_event_source(
            sources.DynamoEventSource(
                tables.table,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=100,
                max_batching_window=Duration.seconds(1),
                bisect_batch_on_error=True,
                retry_attempts=10,
                max_record_age=Duration.days(1),
                report_batch_item_failures=True,
                on_failure=sources.SqsDlq(self.dead_letters),
                filters=[
                    lambda_.FilterCriteria.filter(
                        {
                            "eventName": ["INSERT"],
                            "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "OUTBOX#"}]}}},
                        }
                    )
                ],
            )
        )
        # Redrive reads the stream positions the dead-letter queue names.
        tables.table.grant_stream_read(made.role)
