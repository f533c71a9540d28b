"""Evidence buckets and the upload check in the synthesized template (CDK assertions), and the
regional buckets' stacks with cdk-nag."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Annotations, Match, Template

from boomerang.domain.evidence import LIFECYCLE_EXPIRY_DAYS, NONCURRENT_EXPIRY_DAYS
from tests.infra.conftest import Synthesized, synthesize

pytestmark = pytest.mark.infra


def _evidence_bucket(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    found = [
        (lid, r["Properties"])
        for lid, r in synthesized.of_type("AWS::S3::Bucket").items()
        if r["Properties"].get("ObjectLockEnabled")
    ]
    assert len(found) == 1, found
    return found[0]


def test_the_evidence_bucket_is_private_encrypted_versioned_and_locked(synthesized: Synthesized) -> None:
    lid, props = _evidence_bucket(synthesized)
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    [encryption] = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    key_id = encryption["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]["Fn::GetAtt"][0]
    assert synthesized.resources[key_id]["Properties"]["EnableKeyRotation"] is True
    assert props["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 180}},
    }
    assert props["NotificationConfiguration"] == {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}
    assert props["LoggingConfiguration"]["DestinationBucketName"]["Ref"] in synthesized.resources
    # TLS only: the bucket policy denies any request without it.
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in synthesized.of_type("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": lid}
    ]
    assert any(
        st["Effect"] == "Deny" and st["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for statements in policies
        for st in statements
    )
    assert synthesized.resources[lid]["DeletionPolicy"] == "Retain"


def test_the_lifecycle_moves_to_glacier_ir_and_expires_after_retention(synthesized: Synthesized) -> None:
    _, props = _evidence_bucket(synthesized)
    [rule] = props["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["Transitions"] == [{"StorageClass": "GLACIER_IR", "TransitionInDays": 30}]
    assert rule["ExpirationInDays"] == 180 + 30 == LIFECYCLE_EXPIRY_DAYS  # retention plus a margin
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": NONCURRENT_EXPIRY_DAYS}
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    # Browsers upload with a form POST, nothing else.
    [cors] = props["CorsConfiguration"]["CorsRules"]
    assert cors["AllowedMethods"] == ["POST"]


def test_uploads_reach_the_upload_check_through_eventbridge(synthesized: Synthesized) -> None:
    function_id, function = synthesized.function("evidence_uploaded")
    bucket_id, _ = _evidence_bucket(synthesized)
    [rule] = [
        r["Properties"]
        for r in synthesized.of_type("AWS::Events::Rule").values()
        if r["Properties"]["Targets"][0]["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    ]
    pattern = rule["EventPattern"]
    assert pattern["source"] == ["aws.s3"] and pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["bucket"]["name"] == [{"Ref": bucket_id}]
    assert pattern["detail"]["object"]["key"] == [{"prefix": "returns/"}]
    assert function["Environment"]["Variables"]["EVIDENCE_BUCKET"] == {"Ref": bucket_id}
    actions = {
        a
        for st in synthesized.role_statements(function)
        for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])
    }
    assert {"s3:PutObjectRetention", "s3:BypassGovernanceRetention", "kms:Decrypt"} <= actions
    assert "s3:PutObject" not in actions


def test_the_apis_may_presign_and_only_staff_may_view(synthesized: Synthesized) -> None:
    bucket_id, _ = _evidence_bucket(synthesized)

    def actions(service: str) -> set[str]:
        """What the function may do on the evidence bucket or with keys (other buckets aside: the
        storefront also reads return labels)."""
        _, function = synthesized.function(service)
        assert function["Environment"]["Variables"]["EVIDENCE_BUCKET"] == {"Ref": bucket_id}
        return {
            a
            for st in synthesized.role_statements(function)
            if bucket_id in json.dumps(st["Resource"]) or "kms:" in json.dumps(st["Action"])
            for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])
        }

    storefront, admin = actions("storefront_api"), actions("admin_api")
    assert {"s3:PutObject", "kms:GenerateDataKey"} <= storefront
    assert "s3:GetObject" not in storefront
    assert {"s3:PutObject", "s3:GetObject", "kms:Decrypt"} <= admin
    methods = synthesized.api_methods()
    for route in [
        ("POST", "/v1/returns/{rma}/evidence"),
        ("POST", "/admin/v1/returns/{rma}/evidence"),
        ("GET", "/admin/v1/returns/{rma}/evidence/{evidence_id}"),
        ("GET", "/admin/v1/customers/{email}/export"),
        ("POST", "/admin/v1/customers/{email}/erase"),
    ]:
        assert route in methods, route
    assert methods[("POST", "/admin/v1/customers/{email}/erase")]["AuthorizationType"] == "COGNITO_USER_POOLS"


def test_regional_buckets_keep_eu_evidence_in_the_eu() -> None:
    made = synthesize(evidence_regions='{"eu-central-1": ["eu-pl-gls"]}', home_region="us-east-1")
    regional = next(
        s
        for s in made.app.node.children
        if isinstance(s, Stack) and s.stack_name == "Boomerang-evidence-eu-central-1"
    )
    assert regional.region == "eu-central-1"
    template = Template.from_stack(regional)
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketName": {"Fn::Join": ["", ["boomerang-evidence-eu-central-1-", {"Ref": "AWS::AccountId"}]]},
            "ObjectLockConfiguration": {
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 180}},
            },
        },
    )
    # Its uploads go to the home region's bus, where the upload check's rule names this bucket too.
    [rule] = template.find_resources("AWS::Events::Rule").values()
    [target] = rule["Properties"]["Targets"]
    assert "us-east-1" in str(target["Arn"]) and "event-bus/default" in str(target["Arn"])
    _, function = made.function("evidence_uploaded")
    regional_env = function["Environment"]["Variables"]["EVIDENCE_REGIONAL_BUCKETS"]
    assert "eu-pl-gls" in str(regional_env) and "eu-central-1" in str(regional_env)
    errors = Annotations.from_stack(regional).find_error("*", Match.string_like_regexp("AwsSolutions-.*"))
    warnings = Annotations.from_stack(regional).find_warning("*", Match.string_like_regexp("AwsSolutions-.*"))
    assert [str(m.entry.data)[:200] for m in errors + warnings] == []
