"""Evidence buckets and the upload check in the synthesized template (CDK assertions), and the
regional buckets' stacks with cdk-nag: the quarantine bucket uploads land in, the locked bucket,
the IAM that lets no function lift or shorten a lock, the retention mode per deployment, and the
alarms."""

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


def _quarantine_bucket(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    found = [
        (lid, r["Properties"])
        for lid, r in synthesized.of_type("AWS::S3::Bucket").items()
        if any(rule.get("Id") == "quarantine-expiry" for rule in
               r["Properties"].get("LifecycleConfiguration", {}).get("Rules", []))
    ]  # fmt: skip
    assert len(found) == 1, found
    return found[0]


def _actions(statement: dict[str, Any]) -> list[str]:
    return [statement["Action"]] if isinstance(statement["Action"], str) else list(statement["Action"])


def _grants(action: str, pattern: str) -> bool:
    """Whether an IAM action pattern (with * wildcards) covers the action."""
    import fnmatch

    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def _all_allow_statements(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every Allow statement of every identity policy in the template (roles' inline policies and
    AWS::IAM::Policy), with the resource it belongs to."""
    found: list[tuple[str, dict[str, Any]]] = []
    for lid, resource in template["Resources"].items():
        documents = []
        if resource["Type"] == "AWS::IAM::Policy":
            documents.append(resource["Properties"]["PolicyDocument"])
        if resource["Type"] == "AWS::IAM::Role":
            documents += [p["PolicyDocument"] for p in resource["Properties"].get("Policies", [])]
        if resource["Type"] == "AWS::IAM::ManagedPolicy":
            documents.append(resource["Properties"]["PolicyDocument"])
        for document in documents:
            found += [(lid, st) for st in document["Statement"] if st["Effect"] == "Allow"]
    return found


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
    assert "NotificationConfiguration" not in props  # uploads land in quarantine, not here
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
    # No one may bypass governance retention: the bucket policy denies it to every principal.
    assert any(
        st["Effect"] == "Deny"
        and st["Principal"] == {"AWS": "*"}
        and st["Action"] == "s3:BypassGovernanceRetention"
        for statements in policies
        for st in statements
    )
    assert synthesized.resources[lid]["DeletionPolicy"] == "Retain"


def test_uploads_land_in_a_quarantine_bucket_without_object_lock(synthesized: Synthesized) -> None:
    _, props = _quarantine_bucket(synthesized)
    assert "ObjectLockEnabled" not in props and "ObjectLockConfiguration" not in props
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}  # each upload checked by version
    assert props["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
    [encryption] = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert props["NotificationConfiguration"] == {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}
    expiry, markers = props["LifecycleConfiguration"]["Rules"]
    assert expiry["ExpirationInDays"] == 1 and expiry["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    assert markers["ExpiredObjectDeleteMarker"] is True
    # Browsers upload with a form POST, nothing else.
    [cors] = props["CorsConfiguration"]["CorsRules"]
    assert cors["AllowedMethods"] == ["POST"]


def test_the_lifecycle_moves_to_glacier_ir_and_expires_after_retention(synthesized: Synthesized) -> None:
    _, props = _evidence_bucket(synthesized)
    [rule] = props["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["Transitions"] == [{"StorageClass": "GLACIER_IR", "TransitionInDays": 30}]
    assert rule["ExpirationInDays"] == 180 + 30 == LIFECYCLE_EXPIRY_DAYS  # retention plus a margin
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": NONCURRENT_EXPIRY_DAYS}
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert "CorsConfiguration" not in props  # no browser writes here


def test_uploads_reach_the_upload_check_through_eventbridge(synthesized: Synthesized) -> None:
    function_id, function = synthesized.function("evidence_uploaded")
    bucket_id, _ = _evidence_bucket(synthesized)
    quarantine_id, _ = _quarantine_bucket(synthesized)
    [rule] = [
        r["Properties"]
        for r in synthesized.of_type("AWS::Events::Rule").values()
        if r["Properties"]["Targets"][0]["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    ]
    pattern = rule["EventPattern"]
    assert pattern["source"] == ["aws.s3"] and pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["bucket"]["name"] == [{"Ref": quarantine_id}]
    assert pattern["detail"]["object"]["key"] == [{"prefix": "offers/"}]
    variables = function["Environment"]["Variables"]
    assert variables["EVIDENCE_BUCKET"] == {"Ref": bucket_id}
    assert variables["EVIDENCE_QUARANTINE_BUCKET"] == {"Ref": quarantine_id}
    assert variables["EVIDENCE_LOCK_MODE"] == "GOVERNANCE"
    # PyAV in a layer of its own (next to base, labels and the payments router it refunds through),
    # room on /tmp for the largest video a policy may allow.
    assert len(function["Layers"]) == 4 and function["EphemeralStorage"] == {"Size": 6144}
    statements = synthesized.role_statements(function)
    actions = {a for st in statements for a in _actions(st)}
    assert {"s3:PutObject", "s3:PutObjectRetention", "s3:GetObjectVersion", "kms:Decrypt"} <= actions
    assert "s3:BypassGovernanceRetention" not in actions
    # Writes into the evidence bucket only with Object Lock of the mode and the retention floor.
    [write] = [st for st in statements if "s3:PutObjectRetention" in _actions(st)]
    assert bucket_id in json.dumps(write["Resource"]) and quarantine_id not in json.dumps(write["Resource"])
    assert write["Condition"] == {
        "StringEquals": {"s3:object-lock-mode": "GOVERNANCE"},
        "NumericGreaterThanEquals": {"s3:object-lock-remaining-retention-days": 179},
    }
    # Deletes reach the quarantine bucket's offers only.
    for st in statements:
        if any(a.startswith("s3:Delete") for a in _actions(st)):
            assert quarantine_id in json.dumps(st["Resource"]) and bucket_id not in json.dumps(st["Resource"])
            resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
            assert all(r["Fn::Join"][1][-1] == "/offers/*" for r in resources)


def test_no_function_can_bypass_or_shorten_a_lock(synthesized: Synthesized) -> None:
    """Every identity policy of the template: no governance bypass (not even through a wildcard), no
    delete on the evidence bucket, and a retention write only with the mode and the floor."""
    bucket_id, _ = _evidence_bucket(synthesized)
    template = synthesized.template.to_json()
    for lid, st in _all_allow_statements(template):
        patterns = _actions(st)
        assert not any(_grants("s3:BypassGovernanceRetention", p) for p in patterns), (lid, st)
        on_evidence = bucket_id in json.dumps(st["Resource"]) or st["Resource"] == "*"
        if on_evidence:
            for action in ("s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutBucketObjectLockConfiguration",
                           "s3:PutBucketPolicy", "s3:PutLifecycleConfiguration"):  # fmt: skip
                assert not any(_grants(action, p) for p in patterns), (lid, action, st)
        if any(_grants("s3:PutObjectRetention", p) for p in patterns):
            condition = st.get("Condition", {})
            assert condition.get("StringEquals", {}).get("s3:object-lock-mode") == "GOVERNANCE", (lid, st)
            assert condition["NumericGreaterThanEquals"]["s3:object-lock-remaining-retention-days"] >= 179


def test_compliance_mode_is_a_deployment_choice() -> None:
    made = synthesize(evidence_lock_mode="compliance")
    _, props = _evidence_bucket(made)
    assert props["ObjectLockConfiguration"]["Rule"]["DefaultRetention"] == {"Mode": "COMPLIANCE", "Days": 180}
    _, function = made.function("evidence_uploaded")
    assert function["Environment"]["Variables"]["EVIDENCE_LOCK_MODE"] == "COMPLIANCE"
    [write] = [st for st in made.role_statements(function) if "s3:PutObjectRetention" in _actions(st)]
    assert write["Condition"]["StringEquals"] == {"s3:object-lock-mode": "COMPLIANCE"}
    with pytest.raises(ValueError, match="governance or compliance"):
        synthesize(evidence_lock_mode="legal-hold")


def test_missing_evidence_and_upload_attacks_raise_alarms(synthesized: Synthesized) -> None:
    alarms = {
        a["MetricName"]: a
        for a in (r["Properties"] for r in synthesized.of_type("AWS::CloudWatch::Alarm").values())
    }
    missing, attacks = alarms["EvidenceMissing"], alarms["EvidenceUploadAttack"]
    assert missing["Namespace"] == "Boomerang" and missing["Dimensions"] == [
        {"Name": "service", "Value": "evidence"}
    ]
    assert attacks["Dimensions"] == [{"Name": "service", "Value": "evidence_uploaded"}]
    for alarm in (missing, attacks):
        assert alarm["Threshold"] == 1 and alarm["Statistic"] == "Sum"
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


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
    assert {"kms:GenerateDataKey"} <= storefront and "s3:GetObject" not in storefront
    assert {"s3:GetObject", "kms:Decrypt", "s3:ListBucket"} <= admin
    assert "s3:PutObject" not in storefront | admin  # nothing written into the locked bucket
    quarantine_id, _ = _quarantine_bucket(synthesized)

    def signs_under(service: str) -> list[Any]:
        _, function = synthesized.function(service)
        return [
            r
            for st in synthesized.role_statements(function)
            if "s3:PutObject" in _actions(st)
            for r in (st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]])
        ]

    # Each API signs uploads only under its uploader's offer prefix of the quarantine bucket.
    assert signs_under("storefront_api") == [
        {"Fn::Join": ["", [{"Fn::GetAtt": [quarantine_id, "Arn"]}, "/offers/*/customer/*"]]}
    ]
    admin_writes = signs_under("admin_api")
    lake_results = [
        r for r in admin_writes if "AnalyticsLake" in json.dumps(r) and "/query-results/*" in json.dumps(r)
    ]
    # Besides staff uploads, the admin function writes only Athena's report results in the lake.
    assert len(lake_results) == 1
    assert [r for r in admin_writes if r not in lake_results] == [
        {"Fn::Join": ["", [{"Fn::GetAtt": [quarantine_id, "Arn"]}, "/offers/*/staff/*"]]}
    ]
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
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {"BucketName": {"Fn::Join": ["", ["boomerang-quarantine-eu-central-1-", {"Ref": "AWS::AccountId"}]]}},
    )
    # Its uploads go to the home region's bus, where the upload check's rule names this bucket too.
    [rule] = template.find_resources("AWS::Events::Rule").values()
    [target] = rule["Properties"]["Targets"]
    assert "us-east-1" in str(target["Arn"]) and "event-bus/default" in str(target["Arn"])
    _, function = made.function("evidence_uploaded")
    regional_env = function["Environment"]["Variables"]["EVIDENCE_REGIONAL_BUCKETS"]
    assert "eu-pl-gls" in str(regional_env) and "eu-central-1" in str(regional_env)
    assert "boomerang-quarantine-eu-central-1-" in str(regional_env)
    errors = Annotations.from_stack(regional).find_error("*", Match.string_like_regexp("AwsSolutions-.*"))
    warnings = Annotations.from_stack(regional).find_warning("*", Match.string_like_regexp("AwsSolutions-.*"))
    assert [str(m.entry.data)[:200] for m in errors + warnings] == []
