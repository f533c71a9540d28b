"""The analytics lake's nested stack: bus -> Firehose (record transformation, dynamic partitioning by
shop and day, Parquet) -> S3 (Glacier after a year) -> Glue table (the lake's COLUMNS, partition
projection) -> Athena workgroup (bytes scanned capped); the admin API may run reports there only."""

from __future__ import annotations

from typing import Any

import pytest

from boomerang.analytics.lake import COLUMNS, PARTITIONS
from infra.cdk.constructs.analytics_lake import BYTES_SCANNED_CUTOFF, GLACIER_AFTER_DAYS
from tests.infra.conftest import Synthesized


@pytest.fixture(scope="module")
def lake(synthesized: Synthesized) -> dict[str, Any]:
    from aws_cdk import NestedStack
    from aws_cdk.assertions import Template

    (stack,) = [
        c for c in synthesized.stack.node.find_all() if isinstance(c, NestedStack) and c.node.id == "Lake"
    ]
    resources: dict[str, Any] = Template.from_stack(stack).to_json()["Resources"]
    return resources


def of_type(resources: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {key: r["Properties"] for key, r in resources.items() if r["Type"] == kind}


def only(resources: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    found = of_type(resources, kind)
    assert len(found) == 1, f"{len(found)} {kind}"
    return next(iter(found.items()))


def test_the_lake_is_a_nested_stack_the_main_stack_holds_as_one_resource(synthesized: Synthesized) -> None:
    stacks = [k for k in synthesized.of_type("AWS::CloudFormation::Stack") if "Analytics" in k]
    assert len(stacks) == 1
    assert not synthesized.of_type("AWS::KinesisFirehose::DeliveryStream")
    assert not synthesized.of_type("AWS::Glue::Table")


def test_firehose_partitions_by_shop_and_day_and_writes_parquet(lake: dict[str, Any]) -> None:
    _, stream = only(lake, "AWS::KinesisFirehose::DeliveryStream")
    s3 = stream["ExtendedS3DestinationConfiguration"]
    assert s3["Prefix"] == "events/shop=!{partitionKeyFromLambda:shop}/dt=!{partitionKeyFromLambda:dt}/"
    assert s3["ErrorOutputPrefix"].startswith("errors/")
    assert s3["DynamicPartitioningConfiguration"]["Enabled"] is True
    conversion = s3["DataFormatConversionConfiguration"]
    assert conversion["Enabled"] is True
    assert "ParquetSerDe" in conversion["OutputFormatConfiguration"]["Serializer"]
    assert conversion["SchemaConfiguration"]["TableName"] == "events"
    (processor,) = s3["ProcessingConfiguration"]["Processors"]
    assert processor["Type"] == "Lambda"
    arn = next(p["ParameterValue"] for p in processor["Parameters"] if p["ParameterName"] == "LambdaArn")
    function_id = arn["Fn::GetAtt"][0]
    assert lake[function_id]["Type"] == "AWS::Lambda::Function"
    env = lake[function_id]["Properties"]["Environment"]["Variables"]
    assert env["POWERTOOLS_SERVICE_NAME"] == "lake_records"
    assert stream["DeliveryStreamEncryptionConfigurationInput"]["KeyType"] == "AWS_OWNED_CMK"


def test_the_glue_table_is_the_lake_s_columns_with_partition_projection(lake: dict[str, Any]) -> None:
    _, table = only(lake, "AWS::Glue::Table")
    spec = table["TableInput"]
    assert [(c["Name"], c["Type"]) for c in spec["StorageDescriptor"]["Columns"]] == list(COLUMNS)
    assert [(c["Name"], c["Type"]) for c in spec["PartitionKeys"]] == list(PARTITIONS)
    params = spec["Parameters"]
    assert params["projection.enabled"] == "true"
    assert params["projection.shop.type"] == "injected"  # every report names its shop
    assert params["projection.dt.type"] == "date" and params["projection.dt.format"] == "yyyy-MM-dd"
    assert "ParquetHiveSerDe" in spec["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]


def test_the_workgroup_caps_bytes_scanned_and_enforces_its_settings(lake: dict[str, Any]) -> None:
    _, group = only(lake, "AWS::Athena::WorkGroup")
    config = group["WorkGroupConfiguration"]
    assert config["BytesScannedCutoffPerQuery"] == BYTES_SCANNED_CUTOFF
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["ResultConfiguration"]["EncryptionConfiguration"]["EncryptionOption"] == "SSE_S3"


def test_the_events_move_to_glacier_after_a_year(lake: dict[str, Any]) -> None:
    buckets = of_type(lake, "AWS::S3::Bucket")
    (bucket,) = [b for b in buckets.values() if "LoggingConfiguration" in b]
    rules = {r["Id"]: r for r in bucket["LifecycleConfiguration"]["Rules"]}
    to_glacier = rules["events-to-glacier-after-a-year"]
    assert to_glacier["Prefix"] == "events/"
    assert to_glacier["Transitions"] == [{"StorageClass": "GLACIER", "TransitionInDays": GLACIER_AFTER_DAYS}]
    assert rules["expire-query-results"]["ExpirationInDays"] <= 30
    assert bucket["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True


def test_every_event_goes_to_firehose_and_what_fails_to_a_queue(lake: dict[str, Any]) -> None:
    _, rule = only(lake, "AWS::Events::Rule")
    assert rule["EventPattern"] == {"source": ["boomerang"]}
    (target,) = rule["Targets"]
    stream_id, _ = only(lake, "AWS::KinesisFirehose::DeliveryStream")
    assert target["Arn"] == {"Fn::GetAtt": [stream_id, "Arn"]}
    assert lake[target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]]["Type"] == "AWS::SQS::Queue"


def _statements(resources: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    return [
        st
        for policy in of_type(resources, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Roles"]
        for st in policy["PolicyDocument"]["Statement"]
    ]


def test_the_transformation_only_reads_the_table(lake: dict[str, Any]) -> None:
    (function_id,) = [
        k
        for k, p in of_type(lake, "AWS::Lambda::Function").items()
        if p["Environment"]["Variables"].get("POWERTOOLS_SERVICE_NAME") == "lake_records"
    ]
    role_id = lake[function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    actions = {a for st in _statements(lake, role_id) for a in _list(st["Action"])}
    assert actions == {
        "dynamodb:GetItem",
        "dynamodb:Query",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    }


def test_the_admin_api_runs_reports_in_the_workgroup_only(synthesized: Synthesized) -> None:
    _, admin = synthesized.function("admin_api")
    env = admin["Environment"]["Variables"]
    assert env["REPORTS_WORKGROUP"] == "Boomerang-reports"
    assert env["REPORTS_DATABASE"] == "boomerang_lake"
    athena = [
        st for st in synthesized.role_statements(admin) if "athena:StartQueryExecution" in _list(st["Action"])
    ]
    assert len(athena) == 1
    assert "workgroup/Boomerang-reports" in str(athena[0]["Resource"])
    assert not any(
        "s3:PutObject" in _list(st["Action"]) and "events/" in str(st["Resource"])
        for st in synthesized.role_statements(admin)
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
