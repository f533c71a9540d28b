"""Carrier webhooks and the label bucket in the synthesized template."""

from __future__ import annotations

import json
from typing import Any

from boomerang.api.routes import CARRIER_WEBHOOK_ROUTES
from tests.infra.conftest import Synthesized

SESSION_KEY_DESCRIPTION = "Boomerang: HMAC key signing customer session tokens"

EXPECTED_CARRIER_WEBHOOK_ROUTES = {
    ("POST", "/webhooks/carriers/easypost"),
    ("POST", "/webhooks/carriers/aftership"),
    ("POST", "/webhooks/carriers/17track"),
}


def _statements_by_action(synthesized: Synthesized, props: dict[str, Any]) -> dict[str, list[Any]]:
    granted: dict[str, list[Any]] = {}
    for st in synthesized.role_statements(props):
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        for action in actions:
            granted.setdefault(action, []).extend(resources)
    return granted


def test_the_route_table_names_the_same_routes() -> None:
    assert set(CARRIER_WEBHOOK_ROUTES) == EXPECTED_CARRIER_WEBHOOK_ROUTES


def test_webhook_routes_go_to_the_carrier_function_without_an_authorizer(synthesized: Synthesized) -> None:
    function_id, _ = synthesized.function("webhooks_carriers")
    methods = synthesized.api_methods()
    for route in EXPECTED_CARRIER_WEBHOOK_ROUTES:
        method = methods[route]
        assert method["AuthorizationType"] == "NONE"
        assert method["Integration"]["Type"] == "AWS_PROXY"
        assert f"'{function_id}'" in str(method["Integration"]["Uri"]).replace('"', "'")


def test_webhook_function_reads_its_three_secrets_by_name_and_nothing_is_in_its_environment(
    synthesized: Synthesized,
) -> None:
    _, props = synthesized.function("webhooks_carriers")
    env = props["Environment"]["Variables"]
    secrets = {
        lid: r
        for lid, r in synthesized.of_type("AWS::SecretsManager::Secret").items()
        if lid.startswith("CarrierWebhooks")
    }
    assert len(secrets) == 3
    for variable in ("EASYPOST_WEBHOOK_SECRET_NAME", "AFTERSHIP_WEBHOOK_SECRET_NAME",
                     "SEVENTEENTRACK_WEBHOOK_SECRET_NAME"):  # fmt: skip
        assert any(f"'{lid}'" in str(env[variable]) for lid in secrets), variable
    for secret in secrets.values():
        assert "SecretString" not in secret["Properties"]
    granted = _statements_by_action(synthesized, props)
    # Its three webhook secrets, and the session key that signs customers' tracking links (issue 21).
    session_key, _ = synthesized.one("AWS::SecretsManager::Secret", Description=SESSION_KEY_DESCRIPTION)
    assert session_key in json.dumps(env["SESSION_SECRET_NAME"])
    assert sorted(json.dumps(r) for r in granted["secretsmanager:GetSecretValue"]) == sorted(
        json.dumps({"Ref": lid}) for lid in [*secrets, session_key]
    )
    assert "states:SendTaskSuccess" in granted
    assert "dynamodb:PutItem" in granted  # the idempotency records


def test_label_bucket_is_private_tls_only_encrypted_and_expires_labels(synthesized: Synthesized) -> None:
    buckets = {
        lid: r["Properties"]
        for lid, r in synthesized.of_type("AWS::S3::Bucket").items()
        if "expire-labels" in json.dumps(r)
    }
    assert len(buckets) == 1
    bucket_id, bucket = next(iter(buckets.items()))
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    sse = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert (rule["Prefix"], rule["ExpirationInDays"], rule["Status"]) == ("labels/", 180, "Enabled")
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in synthesized.of_type("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    (statements,) = policies
    deny = [s for s in statements if s["Effect"] == "Deny"]
    assert deny and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def _label_bucket_id(synthesized: Synthesized) -> str:
    (bucket_id,) = [
        lid for lid, r in synthesized.of_type("AWS::S3::Bucket").items() if "expire-labels" in json.dumps(r)
    ]
    return bucket_id


def _on_labels(synthesized: Synthesized, props: dict[str, Any], action: str) -> bool:
    """Whether the function's role may do `action` on the label bucket (other buckets aside: the
    storefront also presigns evidence uploads)."""
    bucket_id = _label_bucket_id(synthesized)
    return any(bucket_id in json.dumps(r) for r in _statements_by_action(synthesized, props).get(action, []))


def test_only_the_label_step_writes_labels_and_the_storefront_reads_them(synthesized: Synthesized) -> None:
    _, storefront = synthesized.function("storefront_api")
    assert _on_labels(synthesized, storefront, "s3:GetObject")
    assert not _on_labels(synthesized, storefront, "s3:PutObject")
    writers = [
        props["Handler"]
        for props in (r["Properties"] for r in synthesized.of_type("AWS::Lambda::Function").values())
        if "Role" in props and _on_labels(synthesized, props, "s3:PutObject")
    ]
    assert writers == ["handler.issue_label"]
