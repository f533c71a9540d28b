"""The analytics lake, in a nested stack of its own (the main stack is near CloudFormation's
resource limit): every domain event on the bus -> an EventBridge rule -> Amazon Data Firehose, whose
record transformation (functions/lake_records) turns it into the lake's row and names its partition
-> Parquet in S3 under events/shop=<id>/dt=<yyyy-mm-dd>/ -> the Glue table `events` (partition
projection: no crawler, no partitions to add) -> Athena, through a workgroup that caps the bytes a
query may scan. The admin API runs the reports there (`grant_reports`).

The lake holds no personal data (boomerang/analytics/lake.py), and moves to Glacier after a year.
"""

from __future__ import annotations

from pathlib import Path

import jsii
from aws_cdk import Aws, Duration, NestedStack, RemovalPolicy
from aws_cdk import aws_athena as athena
from aws_cdk import aws_events as events
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from cdk_nag import NagPackSuppression, NagSuppressions, RegexAppliesTo
from constructs import Construct

from boomerang.analytics.lake import COLUMNS, PARTITIONS
from infra.cdk.constructs.data_table import DataTables
from infra.cdk.constructs.event_bus import SOURCE, dead_letter_queue
from infra.cdk.constructs.lambda_function import BoomerangFunction, LayerSource

EVENTS_PREFIX = "events/"
ERRORS_PREFIX = "errors/"
RESULTS_PREFIX = "query-results/"
TABLE_NAME = "events"
# After a year the events move to Glacier (Athena then no longer reads them: reports cover a year).
GLACIER_AFTER_DAYS = 365
RESULTS_DAYS = 7
ERRORS_DAYS = 30
ACCESS_LOG_DAYS = 400
# Athena cancels a query past this many bytes scanned (billing is per byte): 10 GB is some 20 years
# of a busy shop's events, so only a runaway query meets it.
BYTES_SCANNED_CUTOFF = 10 * 1024**3
# Firehose's Parquet conversion needs a buffer of at least 64 MB; it writes at least every 5 minutes.
BUFFER_MB = 64
BUFFER_SECONDS = 300
PROJECTION_START = "2024-01-01"


class AnalyticsLake(Construct):
    """`stack` (nested), `bucket`, `database_name`, `table_name`, `workgroup_name`, `function`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code_dir: Path,
        layer: LayerSource,
        tables: DataTables,
        bus: events.IEventBus,
        name_prefix: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.stack = NestedStack(
            self, "Lake", description="Boomerang analytics lake: Firehose, S3, Glue, Athena"
        )
        s = self.stack
        self.database_name = f"{name_prefix.lower().replace('-', '_')}_lake"
        self.table_name = TABLE_NAME
        self.workgroup_name = f"{name_prefix}-reports"

        self.access_logs = s3.Bucket(
            s,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,  # server access log delivery supports SSE-S3 only
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
                    id="AwsSolutions-S1", reason="The lake's access log bucket: logging it would loop."
                )
            ],
        )
        self.bucket = s3.Bucket(
            s,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="lake/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="events-to-glacier-after-a-year",
                    prefix=EVENTS_PREFIX,
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.GLACIER,
                            transition_after=Duration.days(GLACIER_AFTER_DAYS),
                        )
                    ],
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
                s3.LifecycleRule(
                    id="expire-query-results", prefix=RESULTS_PREFIX, expiration=Duration.days(RESULTS_DAYS)
                ),
                s3.LifecycleRule(
                    id="expire-failed-records", prefix=ERRORS_PREFIX, expiration=Duration.days(ERRORS_DAYS)
                ),
            ],
            # The merchant's history: kept when the stack goes.
            removal_policy=RemovalPolicy.RETAIN,
        )

        self._catalog(s)
        self.workgroup = athena.CfnWorkGroup(
            s,
            "WorkGroup",
            name=self.workgroup_name,
            description="Boomerang reports (GET /admin/v1/reports/{name})",
            recursive_delete_option=True,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                bytes_scanned_cutoff_per_query=BYTES_SCANNED_CUTOFF,
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(
                    selected_engine_version="Athena engine version 3"
                ),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{self.bucket.bucket_name}/{RESULTS_PREFIX}",
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_S3"
                    ),
                ),
            ),
        )

        made = BoomerangFunction(
            s,
            "Records",
            code_dir=code_dir,
            handler="handler.handler",
            description="Boomerang lake: domain events -> the lake's rows (Firehose record transformation)",
            layer=layer,
            environment={"TABLE_NAME": tables.table.table_name, "POWERTOOLS_SERVICE_NAME": "lake_records"},
            memory_size=256,
            timeout_seconds=60,
        )
        self.function = made.function
        # Reads the return or order an event is about: one Query or GetItem on the table, nothing else.
        made.role.add_to_policy(
            iam.PolicyStatement(
                actions=["dynamodb:GetItem", "dynamodb:Query"], resources=[tables.table.table_arn]
            )
        )
        self.stream = self._firehose(s, made.function)
        self._rule(s, bus)

    def _catalog(self, s: Construct) -> None:
        self.database = glue.CfnDatabase(
            s,
            "Database",
            catalog_id=Aws.ACCOUNT_ID,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=self.database_name,
                description="Boomerang analytics lake (ids and codes, no personal data)",
            ),
        )
        location = f"s3://{self.bucket.bucket_name}/{EVENTS_PREFIX}"
        self.table = glue.CfnTable(
            s,
            "Table",
            catalog_id=Aws.ACCOUNT_ID,
            database_name=self.database_name,
            table_input=glue.CfnTable.TableInputProperty(
                name=TABLE_NAME,
                description="One row per domain event (boomerang/analytics/lake.py COLUMNS)",
                table_type="EXTERNAL_TABLE",
                partition_keys=[glue.CfnTable.ColumnProperty(name=n, type=t) for n, t in PARTITIONS],
                parameters={
                    "classification": "parquet",
                    "EXTERNAL": "TRUE",
                    # Partition projection: Athena computes the partitions from the query, so none
                    # are registered. Every report names its shop (`injected`) and a day range.
                    "projection.enabled": "true",
                    "projection.shop.type": "injected",
                    "projection.dt.type": "date",
                    "projection.dt.format": "yyyy-MM-dd",
                    "projection.dt.range": f"{PROJECTION_START},NOW",
                    "projection.dt.interval": "1",
                    "projection.dt.interval.unit": "DAYS",
                    "storage.location.template": location + "shop=${shop}/dt=${dt}/",
                },
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    columns=[glue.CfnTable.ColumnProperty(name=n, type=t) for n, t in COLUMNS],
                    location=location,
                    input_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                    output_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        serialization_library="org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
                    ),
                ),
            ),
        )
        self.table.node.add_dependency(self.database)

    def _firehose(self, s: Construct, transform: lambda_.IFunction) -> firehose.CfnDeliveryStream:
        log_group = logs.LogGroup(s, "DeliveryLogs", retention=logs.RetentionDays.ONE_MONTH)
        log_stream = logs.LogStream(s, "DeliveryLogStream", log_group=log_group, log_stream_name="S3Delivery")
        role = iam.Role(
            s,
            "DeliveryRole",
            assumed_by=iam.ServicePrincipal("firehose.amazonaws.com"),
            description="Boomerang lake: Firehose writes the lake",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "s3:AbortMultipartUpload",
                    "s3:GetBucketLocation",
                    "s3:ListBucket",
                    "s3:ListBucketMultipartUploads",
                    "s3:PutObject",
                    "s3:GetObject",
                ],
                resources=[
                    self.bucket.bucket_arn,
                    self.bucket.arn_for_objects(f"{EVENTS_PREFIX}*"),
                    self.bucket.arn_for_objects(f"{ERRORS_PREFIX}*"),
                ],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"],
                resources=self._catalog_arns(),
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"],
                resources=[transform.function_arn],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(actions=["logs:PutLogEvents"], resources=[log_group.log_group_arn])
        )
        self._suppress_prefix_grants(
            role, "Firehose writes objects named at run time under events/ and errors/"
        )
        cfn = firehose.CfnDeliveryStream
        stream = cfn(
            s,
            "Stream",
            delivery_stream_type="DirectPut",
            delivery_stream_encryption_configuration_input=cfn.DeliveryStreamEncryptionConfigurationInputProperty(
                key_type="AWS_OWNED_CMK"
            ),
            extended_s3_destination_configuration=cfn.ExtendedS3DestinationConfigurationProperty(
                bucket_arn=self.bucket.bucket_arn,
                role_arn=role.role_arn,
                prefix=EVENTS_PREFIX + "shop=!{partitionKeyFromLambda:shop}/dt=!{partitionKeyFromLambda:dt}/",
                error_output_prefix=ERRORS_PREFIX
                + "!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/",
                buffering_hints=cfn.BufferingHintsProperty(
                    interval_in_seconds=BUFFER_SECONDS, size_in_m_bs=BUFFER_MB
                ),
                compression_format="UNCOMPRESSED",  # Parquet compresses its own pages (Snappy)
                cloud_watch_logging_options=cfn.CloudWatchLoggingOptionsProperty(
                    enabled=True,
                    log_group_name=log_group.log_group_name,
                    log_stream_name=log_stream.log_stream_name,
                ),
                dynamic_partitioning_configuration=cfn.DynamicPartitioningConfigurationProperty(
                    enabled=True, retry_options=cfn.RetryOptionsProperty(duration_in_seconds=300)
                ),
                processing_configuration=cfn.ProcessingConfigurationProperty(
                    enabled=True,
                    processors=[
                        cfn.ProcessorProperty(
                            type="Lambda",
                            parameters=[
                                cfn.ProcessorParameterProperty(
                                    parameter_name="LambdaArn", parameter_value=transform.function_arn
                                ),
                                cfn.ProcessorParameterProperty(
                                    parameter_name="BufferSizeInMBs", parameter_value="1"
                                ),
                                cfn.ProcessorParameterProperty(
                                    parameter_name="BufferIntervalInSeconds", parameter_value="60"
                                ),
                            ],
                        )
                    ],
                ),
                data_format_conversion_configuration=cfn.DataFormatConversionConfigurationProperty(
                    enabled=True,
                    input_format_configuration=cfn.InputFormatConfigurationProperty(
                        deserializer=cfn.DeserializerProperty(open_x_json_ser_de=cfn.OpenXJsonSerDeProperty())
                    ),
                    output_format_configuration=cfn.OutputFormatConfigurationProperty(
                        serializer=cfn.SerializerProperty(
                            parquet_ser_de=cfn.ParquetSerDeProperty(compression="SNAPPY")
                        )
                    ),
                    schema_configuration=cfn.SchemaConfigurationProperty(
                        catalog_id=Aws.ACCOUNT_ID,
                        database_name=self.database_name,
                        table_name=TABLE_NAME,
                        region=Aws.REGION,
                        role_arn=role.role_arn,
                        version_id="LATEST",
                    ),
                ),
            ),
        )
        stream.node.add_dependency(role)
        stream.node.add_dependency(self.table)
        return stream

    def _rule(self, s: Construct, bus: events.IEventBus) -> None:
        """Every Boomerang event to Firehose; what EventBridge cannot deliver goes to a queue."""
        undelivered = dead_letter_queue(s, "Undelivered", "of the lake's rule: events Firehose did not take")
        rule = events.Rule(
            s,
            "AllEvents",
            event_bus=bus,
            description="Every Boomerang domain event -> the analytics lake",
            event_pattern=events.EventPattern(source=[SOURCE]),
        )
        role = iam.Role(
            s,
            "RuleRole",
            assumed_by=iam.ServicePrincipal("events.amazonaws.com"),
            description="Boomerang lake: EventBridge puts events into Firehose",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["firehose:PutRecord", "firehose:PutRecordBatch"], resources=[self.stream.attr_arn]
            )
        )
        rule.add_target(_FirehoseTarget(self.stream, role, undelivered))
        undelivered.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[undelivered.queue_arn],
                conditions={"ArnEquals": {"aws:SourceArn": rule.rule_arn}},
            )
        )

    def _catalog_arns(self) -> list[str]:
        region, account = Aws.REGION, Aws.ACCOUNT_ID
        return [
            f"arn:aws:glue:{region}:{account}:catalog",
            f"arn:aws:glue:{region}:{account}:database/{self.database_name}",
            f"arn:aws:glue:{region}:{account}:table/{self.database_name}/{TABLE_NAME}",
        ]

    def grant_reports(self, function: lambda_.Function, role: iam.IRole) -> None:
        """Run the reports on Athena: this workgroup, this database's table, the events it reads and
        the query results it writes; and tell the function where."""
        function.add_environment("REPORTS_WORKGROUP", self.workgroup_name)
        function.add_environment("REPORTS_DATABASE", self.database_name)
        region, account = Aws.REGION, Aws.ACCOUNT_ID
        statements = [
            iam.PolicyStatement(
                actions=[
                    "athena:StartQueryExecution",
                    "athena:GetQueryExecution",
                    "athena:GetQueryResults",
                    "athena:StopQueryExecution",
                ],
                resources=[f"arn:aws:athena:{region}:{account}:workgroup/{self.workgroup_name}"],
            ),
            iam.PolicyStatement(
                actions=["glue:GetDatabase", "glue:GetTable", "glue:GetPartitions"],
                resources=self._catalog_arns(),
            ),
            # Athena reads the events and writes the results with the caller's permissions.
            iam.PolicyStatement(
                actions=["s3:GetBucketLocation", "s3:ListBucket"], resources=[self.bucket.bucket_arn]
            ),
            iam.PolicyStatement(
                actions=["s3:GetObject"], resources=[self.bucket.arn_for_objects(f"{EVENTS_PREFIX}*")]
            ),
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
                resources=[self.bucket.arn_for_objects(f"{RESULTS_PREFIX}*")],
            ),
        ]
        for statement in statements:
            function.add_to_role_policy(statement)
        self._suppress_prefix_grants(
            role, "The reports read the lake's events and write Athena's results, objects named at run time"
        )

    @staticmethod
    def _suppress_prefix_grants(role: iam.IRole, why: str) -> None:
        NagSuppressions.add_resource_suppressions(
            role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason=f"{why}: each grant covers one prefix of the lake bucket (events/, errors/ or "
                    "query-results/), never the whole bucket or another.",
                    applies_to=[
                        RegexAppliesTo(
                            regex=r"/^Resource::<.*Bucket.*\.Arn>\/(events|errors|query-results)\/\*$/"
                        ),
                        RegexAppliesTo(regex=r"/^Resource::.*\/(events|errors|query-results)\/\*$/"),
                    ],
                )
            ],
            apply_to_children=True,
        )


@jsii.implements(events.IRuleTarget)
class _FirehoseTarget:
    """A Firehose stream (L1) as a rule's target, with a role, retries and a dead-letter queue."""

    def __init__(self, stream: firehose.CfnDeliveryStream, role: iam.IRole, dead_letters: sqs.IQueue) -> None:
        self.stream, self.role, self.dead_letters = stream, role, dead_letters

    def bind(self, rule: events.IRule, id: str | None = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(
            arn=self.stream.attr_arn,
            role=self.role,
            dead_letter_config=events.CfnRule.DeadLetterConfigProperty(arn=self.dead_letters.queue_arn),
            retry_policy=events.CfnRule.RetryPolicyProperty(
                maximum_event_age_in_seconds=86400, maximum_retry_attempts=185
            ),
        )
