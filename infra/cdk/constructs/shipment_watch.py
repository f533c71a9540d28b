"""Outbound parcels' delay watch: a function that looks at every parcel still on its way each hour
(EventBridge schedule) and tells a late one's customer once (boomerang.services.shipments.watch).

In a nested stack of its own: the main stack keeps its room under CloudFormation's 500 resources
(the API's routes fill it). An alarm on the function's errors follows a failed run.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration, NestedStack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.cdk.constructs.data_table import DataTables
from infra.cdk.constructs.lambda_function import BoomerangFunction, LayerSource
from infra.cdk.constructs.session_key import SessionSigningKey

SERVICE_NAME = "shipment_watch"


class ShipmentWatch(Construct):
    """`stack` (nested), `function`, `rule`, `failed` (alarm)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code_dir: Path,
        layer: LayerSource,
        tables: DataTables,
        session_key: SessionSigningKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self.stack = NestedStack(self, "Stack", description="Boomerang outbound parcels: the delay watch")
        made = BoomerangFunction(
            self.stack,
            "Function",
            code_dir=code_dir,
            handler="handler.handler",
            description="Boomerang: late outbound parcels, their customers told once",
            layer=layer,
            environment={
                "TABLE_NAME": tables.table.table_name,
                "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
                "SESSION_SECRET_NAME": session_key.secret.secret_name,
            },
            timeout_seconds=300,
        )
        self.function: lambda_.Function = made.function
        tables.grant_request_path_access(made.role)
        session_key.grant_read_value(made.role)
        self.rule = events.Rule(
            self.stack,
            "Hourly",
            description="Look for late outbound parcels",
            schedule=events.Schedule.rate(Duration.hours(1)),
            targets=[
                targets.LambdaFunction(self.function, retry_attempts=1, max_event_age=Duration.hours(1))
            ],
        )
        self.failed = cloudwatch.Alarm(
            self.stack,
            "WatchFailed",
            alarm_description="The delay watch for outbound parcels failed; see the shipment_watch logs.",
            metric=self.function.metric_errors(period=Duration.hours(1)),
            threshold=1,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
