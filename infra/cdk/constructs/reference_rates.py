"""Reference exchange rates: a function that fetches the ECB's daily euro rates each working day
(EventBridge schedule, after the ECB publishes at about 16:00 CET) and stores them with their date
in the table (FX#ECB items only). Decisions convert policy thresholds at the latest stored day.

Two alarms: the fetch failed (any error, after Lambda's own retries of the scheduled invocation),
and no table was stored for three days running (a weekend is two).
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.cdk.constructs.data_table import DataTables
from infra.cdk.constructs.lambda_function import BoomerangFunction, LayerSource

SERVICE_NAME = "fx_rates"
# What the function may touch: the rates items, nothing else of the table.
RATES_PARTITION = "FX#ECB"


class ReferenceRates(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code_dir: Path,
        layer: LayerSource,
        tables: DataTables,
    ) -> None:
        super().__init__(scope, construct_id)
        made = BoomerangFunction(
            self,
            "Function",
            code_dir=code_dir,
            handler="handler.handler",
            description="Boomerang: the ECB's daily reference exchange rates, fetched and stored",
            layer=layer,
            environment={"TABLE_NAME": tables.table.table_name, "POWERTOOLS_SERVICE_NAME": SERVICE_NAME},
            timeout_seconds=30,
        )
        self.function = made.function
        made.role.add_to_policy(
            iam.PolicyStatement(
                actions=["dynamodb:GetItem", "dynamodb:PutItem"],
                resources=[tables.table.table_arn],
                conditions={"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [RATES_PARTITION]}},
            )
        )
        self.rule = events.Rule(
            self,
            "EachWorkingDay",
            description="Fetch the ECB's reference rates after their publication (about 16:00 CET)",
            schedule=events.Schedule.cron(minute="30", hour="16", week_day="MON-FRI"),
            targets=[
                targets.LambdaFunction(self.function, retry_attempts=2, max_event_age=Duration.hours(6))
            ],
        )
        self.fetch_failed = cloudwatch.Alarm(
            self,
            "FetchFailed",
            alarm_description=(
                "The ECB reference rates could not be fetched or read; decisions keep using the latest "
                "stored day (they name its date). See the fx_rates function's logs."
            ),
            metric=self.function.metric_errors(period=Duration.hours(1)),
            threshold=1,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.stale = cloudwatch.Alarm(
            self,
            "RatesStale",
            alarm_description="No reference rates were stored for three days running.",
            metric=cloudwatch.Metric(
                namespace="Boomerang",
                metric_name="ReferenceRatesStored",
                dimensions_map={"service": SERVICE_NAME},
                statistic="Sum",
                period=Duration.days(1),
            ),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=3,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )
