"""The staff (admin) API in the synthesized template: the user pool and its groups, the /admin routes
with their Cognito authorizer on the storefront's REST API, the function and its least privilege."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk.assertions import Annotations, Match

from tests.infra.conftest import Synthesized, synthesize

pytestmark = pytest.mark.infra

EXPECTED_ADMIN_ROUTES = {
    ("GET", "/admin/v1/returns"),
    ("GET", "/admin/v1/returns/{rma}"),
    ("POST", "/admin/v1/returns/{rma}/approve"),
    ("POST", "/admin/v1/returns/{rma}/reject"),
    ("POST", "/admin/v1/warehouse/scans"),
    ("POST", "/admin/v1/returns/{rma}/inspection"),
    ("POST", "/admin/v1/returns/{rma}/evidence"),
    ("GET", "/admin/v1/returns/{rma}/evidence"),
    ("GET", "/admin/v1/returns/{rma}/evidence/{evidence_id}"),
    ("GET", "/admin/v1/customers/{email}/export"),
    ("POST", "/admin/v1/customers/{email}/erase"),
    ("POST", "/admin/v1/returns/{rma}/refund"),
    ("GET", "/admin/v1/shops/{shop}/policy"),
    ("PATCH", "/admin/v1/shops/{shop}/policy"),
    ("GET", "/admin/v1/shops/{shop}/policy/versions"),
    ("POST", "/admin/v1/shops/{shop}/policy/simulate"),
    ("GET", "/admin/v1/reports/{name}"),
    ("GET", "/admin/v1/openapi.json"),
}
GROUPS = {"support", "warehouse", "finance", "admin"}


def _ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def _arn(logical_id: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else actions


def _resources(statement: dict[str, Any]) -> list[Any]:
    resources = statement["Resource"]
    return resources if isinstance(resources, list) else [resources]


@pytest.fixture(scope="module")
def admin_function(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    return synthesized.function("admin_api")


@pytest.fixture(scope="module")
def admin_statements(
    synthesized: Synthesized, admin_function: tuple[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    return synthesized.role_statements(admin_function[1])


@pytest.fixture(scope="module")
def user_pool(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    return synthesized.one("AWS::Cognito::UserPool")


@pytest.fixture(scope="module")
def api_methods(synthesized: Synthesized) -> dict[tuple[str, str], dict[str, Any]]:
    return synthesized.api_methods()


# --- routes ---------------------------------------------------------------------------------------


def test_admin_routes_match_the_library_and_the_construct() -> None:
    from boomerang.api.routes import ADMIN_ROUTES
    from boomerang.auth.staff import ADMIN_PERMISSIONS
    from infra.cdk.constructs.admin_api import ROUTES

    assert set(ADMIN_ROUTES) == EXPECTED_ADMIN_ROUTES
    assert {(r.method, r.path) for r in ROUTES} == EXPECTED_ADMIN_ROUTES
    assert set(ADMIN_PERMISSIONS) == EXPECTED_ADMIN_ROUTES


def test_every_admin_route_has_the_cognito_authorizer_and_proxies_to_the_admin_function(
    synthesized: Synthesized,
    api_methods: dict[tuple[str, str], dict[str, Any]],
    admin_function: tuple[str, dict[str, Any]],
    user_pool: tuple[str, dict[str, Any]],
) -> None:
    authorizer_id, authorizer = synthesized.one("AWS::ApiGateway::Authorizer")
    assert authorizer["Type"] == "COGNITO_USER_POOLS"
    assert authorizer["ProviderARNs"] == [_arn(user_pool[0])]
    assert authorizer["IdentitySource"] == "method.request.header.Authorization"
    rest_api_id, _ = synthesized.one("AWS::ApiGateway::RestApi")
    assert authorizer["RestApiId"] == _ref(rest_api_id)  # the storefront's API: one API, one stage
    validator_id, _ = synthesized.one(
        "AWS::ApiGateway::RequestValidator", ValidateRequestBody=True, ValidateRequestParameters=True
    )

    # /admin/v1/webhooks routes go to their own function (tests/infra/test_events_infra.py); the
    # ticket API's staff routes share the authorizer (test_tickets_infra.py).
    admin_routes = {
        route
        for route in api_methods
        if route[1].startswith("/admin")
        and not route[1].startswith(("/admin/v1/webhooks", "/admin/v1/tickets"))
        and route[0] != "OPTIONS"
    }
    assert admin_routes == EXPECTED_ADMIN_ROUTES
    for route in EXPECTED_ADMIN_ROUTES:
        method = api_methods[route]
        assert method["AuthorizationType"] == "COGNITO_USER_POOLS", route
        assert method["AuthorizerId"] == _ref(authorizer_id), route
        assert method["RestApiId"] == _ref(rest_api_id)
        integration = method["Integration"]
        assert integration["Type"] == "AWS_PROXY"
        assert json.dumps(_arn(admin_function[0])) in json.dumps(integration["Uri"])
        assert method["RequestValidatorId"] == _ref(validator_id)
        parameters = {f"method.request.path.{name}": True for name in re.findall(r"{(\w+)}", route[1])}
        if parameters:
            assert method["RequestParameters"] == parameters
        else:
            assert "RequestParameters" not in method
    # And no storefront route goes to the admin function or has the staff authorizer.
    for route, method in api_methods.items():
        if not route[1].startswith("/admin"):
            assert json.dumps(_arn(admin_function[0])) not in json.dumps(method.get("Integration", {}))
            assert "AuthorizerId" not in method


def test_admin_methods_are_not_exempted_from_the_authorizer_rules(synthesized: Synthesized) -> None:
    for logical_id, resource in synthesized.of_type("AWS::ApiGateway::Method").items():
        if resource["Properties"]["AuthorizationType"] != "COGNITO_USER_POOLS":
            continue
        suppressed = resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
        assert not suppressed, f"{logical_id}: {suppressed}"


def test_cors_preflight_on_admin_routes_allows_the_authorization_header(
    api_methods: dict[tuple[str, str], dict[str, Any]],
) -> None:
    for _, path in EXPECTED_ADMIN_ROUTES:
        preflight = api_methods[("OPTIONS", path)]
        assert preflight["AuthorizationType"] == "NONE"  # browsers send no token on a preflight
        headers = preflight["Integration"]["IntegrationResponses"][0]["ResponseParameters"]
        allowed = headers["method.response.header.Access-Control-Allow-Headers"].strip("'").split(",")
        assert "Authorization" in allowed


def test_api_gateway_invokes_the_admin_function_only_for_admin_routes(
    synthesized: Synthesized, admin_function: tuple[str, dict[str, Any]]
) -> None:
    permissions = [
        p["Properties"]
        for p in synthesized.of_type("AWS::Lambda::Permission").values()
        if p["Properties"]["FunctionName"] == _arn(admin_function[0])
    ]
    # One permission for every admin route (not one per method: the main stack is near the limit),
    # scoped to this API's stage and its /admin/v1/ paths.
    assert len(permissions) == 1
    (permission,) = permissions
    rest_api_id, _ = synthesized.one("AWS::ApiGateway::RestApi")
    stage_id, _ = synthesized.one("AWS::ApiGateway::Stage", StageName="prod")
    parts = permission["SourceArn"]["Fn::Join"][1]
    assert parts[-4:] == [_ref(rest_api_id), "/", _ref(stage_id), "/*/admin/v1/*"]
    assert ":execute-api:" in parts
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert permission["Action"] == "lambda:InvokeFunction"


# --- user pool ------------------------------------------------------------------------------------


def test_user_pool_staff_are_invited_and_passwords_are_strong(user_pool: tuple[str, dict[str, Any]]) -> None:
    _, pool = user_pool
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["AliasAttributes"] == ["email"]  # sign in by username or email; usernames never emails
    assert pool["UsernameConfiguration"] == {"CaseSensitive": False}
    policy = pool["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    assert all(
        policy[k] is True
        for k in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols")
    )
    assert policy["TemporaryPasswordValidityDays"] == 3
    assert pool["MfaConfiguration"] == "OPTIONAL"
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]  # TOTP; no SMS, so no SNS role
    assert "SmsConfiguration" not in pool
    assert pool["UserPoolTier"] == "PLUS"
    assert pool["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}
    assert pool["AccountRecoverySetting"] == {
        "RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]
    }
    assert pool["DeletionProtection"] == "ACTIVE"


def test_user_pool_is_kept_on_destroy(
    synthesized: Synthesized, user_pool: tuple[str, dict[str, Any]]
) -> None:
    resource = synthesized.resources[user_pool[0]]
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["UpdateReplacePolicy"] == "Retain"


def test_the_four_staff_groups(synthesized: Synthesized, user_pool: tuple[str, dict[str, Any]]) -> None:
    from boomerang.auth.staff import STAFF_GROUPS

    groups = [g["Properties"] for g in synthesized.of_type("AWS::Cognito::UserPoolGroup").values()]
    assert {g["GroupName"] for g in groups} == GROUPS == set(STAFF_GROUPS)
    assert len(groups) == 4
    assert all(g["UserPoolId"] == _ref(user_pool[0]) for g in groups)
    assert all(g.get("Description") for g in groups)


def test_console_client_has_no_secret_and_signs_in_with_srp_or_password(
    synthesized: Synthesized, user_pool: tuple[str, dict[str, Any]]
) -> None:
    _, client = synthesized.one("AWS::Cognito::UserPoolClient")
    assert client["UserPoolId"] == _ref(user_pool[0])
    assert client.get("GenerateSecret", False) is False
    assert set(client["ExplicitAuthFlows"]) == {
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert client["AllowedOAuthFlowsUserPoolClient"] is False


def test_staff_shops_are_an_attribute_only_administrators_write(
    synthesized: Synthesized, user_pool: tuple[str, dict[str, Any]]
) -> None:
    """`custom:shops` (set by `boomerang staff invite`) is in the ID token, and the console's client
    cannot write it: a staff member cannot widen their own reach."""
    shops = next(a for a in user_pool[1]["Schema"] if a["Name"] == "shops")
    assert shops["AttributeDataType"] == "String" and shops["Mutable"] is True
    _, client = synthesized.one("AWS::Cognito::UserPoolClient")
    assert client["WriteAttributes"] == ["email"]
    assert "ReadAttributes" not in client  # every attribute readable, so in the ID token


def test_outputs_name_the_pool_and_the_client(
    synthesized: Synthesized, user_pool: tuple[str, dict[str, Any]]
) -> None:
    client_id, _ = synthesized.one("AWS::Cognito::UserPoolClient")
    outputs = synthesized.template.to_json()["Outputs"]
    assert outputs["UserPoolId"]["Value"] == _ref(user_pool[0])
    assert outputs["UserPoolClientId"]["Value"] == _ref(client_id)


def test_mfa_can_be_required_and_then_needs_no_acknowledgement() -> None:
    required = synthesize(admin_mfa_required="true")
    pool_id, pool = required.one("AWS::Cognito::UserPool")
    assert pool["MfaConfiguration"] == "ON"
    assert "cdk_nag" not in required.resources[pool_id].get("Metadata", {})
    annotations = Annotations.from_stack(required.stack)
    assert not annotations.find_warning("*", Match.string_like_regexp("AwsSolutions-.*"))
    assert not annotations.find_error("*", Match.string_like_regexp("AwsSolutions-.*"))


def test_mfa_acknowledgement_is_only_the_one_rule(
    synthesized: Synthesized, user_pool: tuple[str, dict[str, Any]]
) -> None:
    rules = synthesized.resources[user_pool[0]]["Metadata"]["cdk_nag"]["rules_to_suppress"]
    assert [r["id"] for r in rules] == ["AwsSolutions-COG2"]


# --- the function ---------------------------------------------------------------------------------


def test_admin_function_environment(
    synthesized: Synthesized,
    admin_function: tuple[str, dict[str, Any]],
    admin_statements: list[dict[str, Any]],
) -> None:
    _, props = admin_function
    table_id = next(
        key
        for key, r in synthesized.of_type("AWS::DynamoDB::Table").items()
        if "GlobalSecondaryIndexes" in r["Properties"]
    )
    layer_ids = [
        synthesized.one("AWS::Lambda::LayerVersion", LayerName=f"boomerang-{name}")[0]
        for name in ("base", "labels", "payments")
    ]
    env = props["Environment"]["Variables"]
    assert set(env) == {
        "TABLE_NAME",
        "EVIDENCE_BUCKET",
        "EVIDENCE_QUARANTINE_BUCKET",
        "STATE_MACHINE_ARN",
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
        "LOG_LEVEL",
        "STRIPE_SECRET_NAME",  # finance's card retry asks Stripe
        "SHOP_SECRETS_PREFIX",  # each shop's payment credentials (issue 14)
        "REPORTS_WORKGROUP",  # the reports run on Athena (infra/cdk/constructs/analytics_lake.py)
        "REPORTS_DATABASE",
    }
    assert env["TABLE_NAME"] == _ref(table_id)
    assert env["POWERTOOLS_SERVICE_NAME"] == "admin_api"
    assert "-returns" in json.dumps(env["STATE_MACHINE_ARN"])
    states = [st for st in admin_statements if any(a.startswith("states:") for a in _actions(st))]
    assert [_resources(st) for st in states] == [[env["STATE_MACHINE_ARN"]]]
    assert props["Handler"] == "handler.handler"
    assert props["Runtime"] == "python3.11"
    assert sorted(props["Layers"], key=str) == sorted((_ref(layer_id) for layer_id in layer_ids), key=str)
    assert props["TracingConfig"] == {"Mode": "Active"}


def test_admin_role_has_no_scan_and_no_wildcard_action(admin_statements: list[dict[str, Any]]) -> None:
    actions = [a for st in admin_statements for a in _actions(st)]
    assert all(st["Effect"] == "Allow" for st in admin_statements)
    assert "dynamodb:Scan" not in actions
    assert not [a for a in actions if "*" in a], "an action with a wildcard"


def test_admin_role_grants_exactly_what_the_function_does(
    synthesized: Synthesized,
    admin_function: tuple[str, dict[str, Any]],
    admin_statements: list[dict[str, Any]],
) -> None:
    granted: dict[str, set[str]] = {}
    for st in admin_statements:
        for resource in _resources(st):
            granted.setdefault(json.dumps(resource, sort_keys=True), set()).update(_actions(st))
    table_id = next(
        key
        for key, r in synthesized.of_type("AWS::DynamoDB::Table").items()
        if "GlobalSecondaryIndexes" in r["Properties"]
    )
    state_machine_arn = admin_function[1]["Environment"]["Variables"]["STATE_MACHINE_ARN"]
    log_group_id = admin_function[1]["LoggingConfig"]["LogGroup"]["Ref"]
    expected = {
        json.dumps(_arn(table_id), sort_keys=True): {
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "dynamodb:Query",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:ConditionCheckItem",
        },
        json.dumps(state_machine_arn, sort_keys=True): {"states:SendTaskSuccess", "states:SendTaskFailure"},
        json.dumps(_arn(log_group_id), sort_keys=True): {"logs:CreateLogStream", "logs:PutLogEvents"},
        json.dumps("*"): {"xray:PutTraceSegments", "xray:PutTelemetryRecords"},
    }
    for index in ("gsi1", "gsi2", "gsi3"):
        index_arn = {"Fn::Join": ["", [_arn(table_id), f"/index/{index}"]]}
        expected[json.dumps(index_arn, sort_keys=True)] = {"dynamodb:Query"}
    # Evidence: viewing URLs under returns/ (and listing, so a missing file answers 404), presigned
    # uploads (warehouse) under the staff offer prefix of the quarantine bucket only.
    bucket_id = admin_function[1]["Environment"]["Variables"]["EVIDENCE_BUCKET"]["Ref"]
    quarantine_id = admin_function[1]["Environment"]["Variables"]["EVIDENCE_QUARANTINE_BUCKET"]["Ref"]
    evidence_objects = {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/returns/*"]]}
    expected[json.dumps(evidence_objects, sort_keys=True)] = {"s3:GetObject", "s3:GetObjectVersion"}
    expected[json.dumps({"Fn::GetAtt": [bucket_id, "Arn"]}, sort_keys=True)] = {
        "s3:ListBucket",
        "s3:ListBucketVersions",
    }
    staff_offers = {"Fn::Join": ["", [{"Fn::GetAtt": [quarantine_id, "Arn"]}, "/offers/*/staff/*"]]}
    expected[json.dumps(staff_offers, sort_keys=True)] = {"s3:PutObject"}
    key_id = synthesized.resources[bucket_id]["Properties"]["BucketEncryption"][
        "ServerSideEncryptionConfiguration"
    ][0]["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]["Fn::GetAtt"][0]
    expected[json.dumps(_arn(key_id), sort_keys=True)] = {"kms:GenerateDataKey", "kms:Decrypt"}
    # The Stripe secret, for finance's card retry (tests/infra/test_stripe_infra.py).
    stripe_secret = next(
        key
        for key, r in synthesized.of_type("AWS::SecretsManager::Secret").items()
        if "api_key" in json.dumps(r["Properties"].get("GenerateSecretString"))
    )
    expected[json.dumps(_ref(stripe_secret), sort_keys=True)] = {"secretsmanager:GetSecretValue"}
    # Each shop's own payment credentials, by provider (infra/cdk/constructs/shop_secrets.py).
    for provider in ("stripe", "shopify-admin", "paypal"):
        shop_secret = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":secretsmanager:",
                       {"Ref": "AWS::Region"}, ":", {"Ref": "AWS::AccountId"},
                       f":secret:boomerang/*/{provider}-??????"]]}  # fmt: skip
        expected[json.dumps(shop_secret, sort_keys=True)] = {"secretsmanager:GetSecretValue"}
    # The reports on Athena (tests/infra/test_analytics_infra.py): the workgroup, the lake's catalog,
    # its events read and its query results written; nothing else of the lake's bucket.
    lake = {
        k: granted.pop(k) for k in list(granted) if "athena" in k or ":glue:" in k or "AnalyticsLake" in k
    }
    by_kind = {
        (
            "workgroup/Boomerang-reports" in k,
            ":glue:" in k,
            k.endswith('/events/*"]]}'),
            "query-results" in k,
        ): v
        for k, v in lake.items()
    }
    assert len(lake) == 7
    assert by_kind[(True, False, False, False)] == {
        "athena:StartQueryExecution",
        "athena:GetQueryExecution",
        "athena:GetQueryResults",
        "athena:StopQueryExecution",
    }
    assert by_kind[(False, True, False, False)] == {"glue:GetDatabase", "glue:GetTable", "glue:GetPartitions"}
    assert by_kind[(False, False, True, False)] == {"s3:GetObject"}
    assert by_kind[(False, False, False, True)] == {"s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"}
    assert by_kind[(False, False, False, False)] == {"s3:GetBucketLocation", "s3:ListBucket"}
    assert granted == expected
