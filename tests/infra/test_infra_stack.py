"""The synthesized template: tables, layer, function, its permissions, and the REST API."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from boomerang.api.gateway_errors import GATEWAY_ERRORS
from boomerang.api.routes import DOCS_ROUTES, SHOPIFY_WEBHOOK_ROUTES
from infra.cdk.constructs.storefront_api import ACCESS_LOG_FORMAT, CORS_ALLOW_HEADERS
from tests.infra.conftest import Synthesized, synthesize
from tests.infra.test_admin_api_infra import EXPECTED_ADMIN_ROUTES
from tests.infra.test_carrier_infra import EXPECTED_CARRIER_WEBHOOK_ROUTES
from tests.infra.test_tickets_infra import EXPECTED_TICKET_ROUTES

pytestmark = pytest.mark.infra

SESSION_KEY_DESCRIPTION = "Boomerang: HMAC key signing customer session tokens"
EXPECTED_ROUTES = {
    ("POST", "/v1/orders"),
    ("POST", "/v1/products"),
    ("POST", "/v1/sessions"),
    ("POST", "/v1/sessions/revoke"),
    ("GET", "/v1/orders/{order_id}/eligibility"),
    ("POST", "/v1/returns"),
    ("GET", "/v1/returns/{rma}"),
    ("POST", "/v1/returns/{rma}/cancel"),
    ("GET", "/v1/returns/{rma}/label"),
    ("POST", "/v1/returns/{rma}/evidence"),
    ("POST", "/v1/returns/{rma}/exchange-fulfilment"),
    ("GET", "/v1/store-credit"),
    ("POST", "/v1/store-credit/spend"),
    ("GET", "/v1/policy"),
    ("GET", "/v1/openapi.json"),
    ("POST", "/v1/orders/{order_id}/fulfillments"),
    ("GET", "/v1/orders/{order_id}/tracking"),
}


def _ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def _arn(logical_id: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


@pytest.fixture(scope="module")
def table_id(synthesized: Synthesized) -> str:
    tables = [
        key
        for key, r in synthesized.of_type("AWS::DynamoDB::Table").items()
        if "GlobalSecondaryIndexes" in r["Properties"]
    ]
    assert len(tables) == 1
    return tables[0]


@pytest.fixture(scope="module")
def idempotency_table_id(synthesized: Synthesized, table_id: str) -> str:
    others = [key for key in synthesized.of_type("AWS::DynamoDB::Table") if key != table_id]
    assert len(others) == 1
    return others[0]


@pytest.fixture(scope="module")
def function(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    """The storefront function (the staff API's function is tested in test_admin_api_infra.py)."""
    logical_id, props = synthesized.function("storefront_api")
    assert props["Handler"] == "handler.handler"
    return logical_id, props


@pytest.fixture(scope="module")
def function_statements(
    synthesized: Synthesized, function: tuple[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Every policy statement the function's role carries (inline and attached policies)."""
    return synthesized.role_statements(function[1])


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else actions


def _resources(statement: dict[str, Any]) -> list[Any]:
    resources = statement["Resource"]
    return resources if isinstance(resources, list) else [resources]


# --- tables -------------------------------------------------------------------------------------


def test_single_table_keys_indexes_and_protection(synthesized: Synthesized, table_id: str) -> None:
    table = synthesized.resources[table_id]
    props = table["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert {d["AttributeName"]: d["AttributeType"] for d in props["AttributeDefinitions"]} == {
        name: "S" for name in ("pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk")
    }
    assert props["GlobalSecondaryIndexes"] == [
        {
            "IndexName": index,
            "KeySchema": [
                {"AttributeName": f"{index}pk", "KeyType": "HASH"},
                {"AttributeName": f"{index}sk", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
        for index in ("gsi1", "gsi2", "gsi3")
    ]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert props["SSESpecification"] == {"SSEEnabled": True}  # KMS with the AWS managed key
    assert props["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"


def test_table_matches_the_library_key_design(synthesized: Synthesized, table_id: str) -> None:
    from boomerang.store import keys

    props = synthesized.resources[table_id]["Properties"]
    assert [k["AttributeName"] for k in props["KeySchema"]] == [keys.PK, keys.SK]
    assert tuple(i["IndexName"] for i in props["GlobalSecondaryIndexes"]) == keys.INDEXES
    assert props["TimeToLiveSpecification"]["AttributeName"] == keys.TTL_ATTRIBUTE


def test_local_tables_are_the_deployed_tables(
    synthesized: Synthesized, table_id: str, idempotency_table_id: str
) -> None:
    """`make local` and the integration tests create their tables from local/tables.py."""
    from local.tables import idempotency_table, main_table

    fields = ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "BillingMode")
    for logical_id, local in ((table_id, main_table("t")), (idempotency_table_id, idempotency_table("i"))):
        deployed = synthesized.resources[logical_id]["Properties"]
        for name in fields:
            if name in local or name in deployed:
                assert local.get(name) == deployed.get(name), name


def test_idempotency_table(synthesized: Synthesized, idempotency_table_id: str) -> None:
    props = synthesized.resources[idempotency_table_id]["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert props["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}


def test_only_plain_dynamodb_tables(synthesized: Synthesized) -> None:
    # The local stack runs this template on moto's CloudFormation, which has no GlobalTable.
    assert not synthesized.of_type("AWS::DynamoDB::GlobalTable")


# --- layer and function ---------------------------------------------------------------------------


def test_layers(synthesized: Synthesized) -> None:
    layers = synthesized.of_type("AWS::Lambda::LayerVersion")
    assert sorted(r["Properties"]["LayerName"] for r in layers.values()) == [
        "boomerang-base",
        "boomerang-easypost",
        "boomerang-klaviyo",
        "boomerang-labels",
        "boomerang-media",
        "boomerang-payments",
        "boomerang-web",
    ]
    for layer in layers.values():
        assert layer["Properties"]["CompatibleRuntimes"] == ["python3.11"]
        assert layer["Properties"]["CompatibleArchitectures"] == ["x86_64"]


def test_function_configuration(synthesized: Synthesized, function: tuple[str, dict[str, Any]]) -> None:
    _, props = function
    layer_id, _ = synthesized.one("AWS::Lambda::LayerVersion", LayerName="boomerang-base")
    assert props["Runtime"] == "python3.11"
    assert props["Architectures"] == ["x86_64"]
    assert props["MemorySize"] == 512
    assert props["Timeout"] == 10
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["Layers"] == [_ref(layer_id)]


def test_function_environment(
    synthesized: Synthesized, function: tuple[str, dict[str, Any]], table_id: str, idempotency_table_id: str
) -> None:
    secret_id, _ = synthesized.one("AWS::SecretsManager::Secret", Description=SESSION_KEY_DESCRIPTION)
    env = function[1]["Environment"]["Variables"]
    assert set(env) == {
        "TABLE_NAME",
        "IDEMPOTENCY_TABLE_NAME",
        "SESSION_SECRET_NAME",
        "SESSION_TTL_SECONDS",
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
        "LOG_LEVEL",
        "STATE_MACHINE_ARN",
        "LABEL_BUCKET_NAME",
        "EVIDENCE_BUCKET",
        "EVIDENCE_QUARANTINE_BUCKET",
        "CORS_ALLOW_ORIGINS",
        "SHOP_SECRETS_PREFIX",  # tracking providers' keys, for fulfilments (issue 21)
        "TRACKING_LINK_TEMPLATE",  # the fulfilment's tracking_link: the tracking page on this API
    }
    assert env["CORS_ALLOW_ORIGINS"] == "*"  # the default; -c cors_origins=... narrows it
    state_machine_id, _ = synthesized.one("AWS::StepFunctions::StateMachine")
    assert env["STATE_MACHINE_ARN"] == _ref(state_machine_id)
    assert env["TABLE_NAME"] == _ref(table_id)
    assert env["IDEMPOTENCY_TABLE_NAME"] == _ref(idempotency_table_id)
    # The secret's name, derived from its ARN: no secret value ever sits in the environment.
    assert json.dumps(_ref(secret_id)) in json.dumps(env["SESSION_SECRET_NAME"])
    assert env["SESSION_TTL_SECONDS"] == "3600"
    assert env["POWERTOOLS_SERVICE_NAME"] == "storefront_api"
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "Boomerang"
    assert env["LOG_LEVEL"] == "INFO"


def test_session_signing_key_is_generated_by_secrets_manager(synthesized: Synthesized) -> None:
    _, secret = synthesized.one("AWS::SecretsManager::Secret", Description=SESSION_KEY_DESCRIPTION)
    assert secret["GenerateSecretString"] == {"ExcludePunctuation": True, "PasswordLength": 64}
    assert "SecretString" not in secret


def test_function_logs_to_its_own_log_group(
    synthesized: Synthesized, function: tuple[str, dict[str, Any]], function_statements: list[dict[str, Any]]
) -> None:
    log_group_id = function[1]["LoggingConfig"]["LogGroup"]["Ref"]
    assert synthesized.resources[log_group_id]["Properties"]["RetentionInDays"] == 30
    logs = [st for st in function_statements if any(a.startswith("logs:") for a in _actions(st))]
    assert logs == [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": _arn(log_group_id),
        }
    ]


# --- least privilege ------------------------------------------------------------------------------


def test_role_has_no_managed_policies(synthesized: Synthesized, function: tuple[str, dict[str, Any]]) -> None:
    role_id = function[1]["Role"]["Fn::GetAtt"][0]
    assert "ManagedPolicyArns" not in synthesized.resources[role_id]["Properties"]


def test_role_grants_no_scan_and_no_wildcard_action(function_statements: list[dict[str, Any]]) -> None:
    actions = [a for st in function_statements for a in _actions(st)]
    assert all(st["Effect"] == "Allow" for st in function_statements)
    assert "dynamodb:Scan" not in actions
    assert not [a for a in actions if "*" in a], "an action with a wildcard"


def test_role_grants_exactly_what_the_function_does(
    synthesized: Synthesized,
    function_statements: list[dict[str, Any]],
    table_id: str,
    idempotency_table_id: str,
) -> None:
    secret_id, _ = synthesized.one("AWS::SecretsManager::Secret", Description=SESSION_KEY_DESCRIPTION)
    granted: dict[str, set[str]] = {}
    for st in function_statements:
        for resource in _resources(st):
            granted.setdefault(json.dumps(resource, sort_keys=True), set()).update(_actions(st))

    def on(resource: Any) -> set[str]:
        return granted.get(json.dumps(resource, sort_keys=True), set())

    assert on(_arn(table_id)) == {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:ConditionCheckItem",
    }
    for index in ("gsi1", "gsi2", "gsi3"):
        index_arn = {"Fn::Join": ["", [_arn(table_id), f"/index/{index}"]]}
        assert on(index_arn) == {"dynamodb:Query"}
    assert on(_arn(idempotency_table_id)) == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    }
    assert on(_ref(secret_id)) == {"secretsmanager:GetSecretValue"}
    # X-Ray's two actions are the only ones that need "*" (they take no resource).
    assert on("*") == {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


# --- REST API -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api_methods(synthesized: Synthesized) -> dict[tuple[str, str], dict[str, Any]]:
    """(HTTP method, full path) -> method properties, rebuilt from the Resource parent chain."""
    return synthesized.api_methods()


def test_every_route_exists_with_lambda_proxy_integration(
    api_methods: dict[tuple[str, str], dict[str, Any]], function: tuple[str, dict[str, Any]]
) -> None:
    routes = {route for route in api_methods if route[0] != "OPTIONS"}
    # The storefront's routes, the staff API's (test_admin_api_infra.py), the ticket API's
    # (test_tickets_infra.py), the inbound webhooks (carriers, Shopify, Stripe) and the staff webhook
    # routes (test_events_infra.py), nothing else.
    from infra.cdk.constructs.outbound_webhooks import ROUTES as WEBHOOK_ROUTES

    assert routes == (
        EXPECTED_ROUTES
        | EXPECTED_ADMIN_ROUTES
        | EXPECTED_TICKET_ROUTES
        | EXPECTED_CARRIER_WEBHOOK_ROUTES
        | set(SHOPIFY_WEBHOOK_ROUTES)
        | set(DOCS_ROUTES)
        | {("POST", "/webhooks/stripe")}
        | {(r.method, r.path) for r in WEBHOOK_ROUTES}
    )
    assert not EXPECTED_ROUTES & EXPECTED_ADMIN_ROUTES
    function_id = function[0]
    for route in EXPECTED_ROUTES:
        integration = api_methods[route]["Integration"]
        assert integration["Type"] == "AWS_PROXY"
        assert integration["IntegrationHttpMethod"] == "POST"
        assert json.dumps(_arn(function_id)) in json.dumps(integration["Uri"])
        assert api_methods[route]["AuthorizationType"] == "NONE"


def test_routes_match_the_library_route_table() -> None:
    routes = pytest.importorskip("boomerang.api.routes")
    assert set(routes.STOREFRONT_ROUTES) == EXPECTED_ROUTES


def test_idempotency_key_is_required_on_post_returns(
    api_methods: dict[tuple[str, str], dict[str, Any]],
) -> None:
    assert api_methods[("POST", "/v1/returns")]["RequestParameters"] == {
        "method.request.header.Idempotency-Key": True
    }
    assert api_methods[("GET", "/v1/returns/{rma}")]["RequestParameters"] == {"method.request.path.rma": True}
    assert api_methods[("POST", "/v1/store-credit/spend")]["RequestParameters"] == {
        "method.request.header.Idempotency-Key": True
    }


def test_requests_are_validated(
    synthesized: Synthesized, api_methods: dict[tuple[str, str], dict[str, Any]]
) -> None:
    validator_id, _ = synthesized.one(
        "AWS::ApiGateway::RequestValidator", ValidateRequestBody=True, ValidateRequestParameters=True
    )
    for route in EXPECTED_ROUTES:
        assert api_methods[route]["RequestValidatorId"] == _ref(validator_id)


def test_cors_preflight_on_every_route(api_methods: dict[tuple[str, str], dict[str, Any]]) -> None:
    for _, path in EXPECTED_ROUTES:
        preflight = api_methods[("OPTIONS", path)]
        headers = preflight["Integration"]["IntegrationResponses"][0]["ResponseParameters"]
        allowed = headers["method.response.header.Access-Control-Allow-Headers"].strip("'").split(",")
        assert set(allowed) == set(CORS_ALLOW_HEADERS)


def test_stage_logs_traces_and_throttles(synthesized: Synthesized) -> None:
    _, stage = synthesized.one("AWS::ApiGateway::Stage", StageName="prod")
    assert stage["TracingEnabled"] is True
    assert stage["MethodSettings"] == [
        {
            "HttpMethod": "*",
            "ResourcePath": "/*",
            "LoggingLevel": "ERROR",
            "DataTraceEnabled": False,
            "ThrottlingRateLimit": 50,
            "ThrottlingBurstLimit": 100,
        }
    ]
    access_log = stage["AccessLogSetting"]
    assert json.loads(access_log["Format"]) == ACCESS_LOG_FORMAT
    assert {"request_id", "ip", "method", "resource_path", "status", "latency_ms"} <= set(ACCESS_LOG_FORMAT)
    # Never the request path: /admin/v1/customers/{email}/... carries an email.
    assert "$context.path" not in json.dumps(ACCESS_LOG_FORMAT)
    access_log_group = re.search(r'"Ref": "(\w+)"', json.dumps(access_log["DestinationArn"]))
    assert access_log_group
    props = synthesized.resources[access_log_group.group(1)]
    assert props["Type"] == "AWS::Logs::LogGroup"
    assert props["Properties"]["RetentionInDays"] == 30


def test_rest_api_settings(synthesized: Synthesized) -> None:
    _, api = synthesized.one("AWS::ApiGateway::RestApi")
    assert api["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    assert api["MinimumCompressionSize"] == 1024
    assert "BinaryMediaTypes" not in api
    # Execution logging needs API Gateway's account-level CloudWatch role.
    synthesized.one("AWS::ApiGateway::Account")


def test_gateway_errors_use_the_api_error_body(synthesized: Synthesized) -> None:
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in synthesized.of_type("AWS::ApiGateway::GatewayResponse").values()
    }
    assert set(responses) == {e.response_type for e in GATEWAY_ERRORS}
    assert len(responses) == len(GATEWAY_ERRORS)
    for response in responses.values():
        template = response["ResponseTemplates"]["application/json"]
        # What API Gateway renders: $context variables replaced by a quoted message and an id.
        rendered = template.replace("$context.error.messageString", '"Some message"').replace(
            "$context.requestId", "abc-123"
        )
        error = json.loads(rendered)["error"]
        assert set(error) == {"code", "message", "details", "request_id"}
        assert error["request_id"] == "abc-123"
        assert response["ResponseParameters"]["gatewayresponse.header.Access-Control-Allow-Origin"] == "'*'"
        assert response["ResponseParameters"]["gatewayresponse.header.X-Content-Type-Options"] == "'nosniff'"
    missing_key = responses["BAD_REQUEST_PARAMETERS"]
    assert missing_key["StatusCode"] == "400"
    assert '"idempotency_key_required"' in missing_key["ResponseTemplates"]["application/json"]
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"
    assert responses["THROTTLED"]["StatusCode"] == "429"
    # The staff routes' Cognito authorizer refusing a token: the function's code for the same case.
    assert responses["UNAUTHORIZED"]["StatusCode"] == "401"
    assert '"unauthenticated"' in responses["UNAUTHORIZED"]["ResponseTemplates"]["application/json"]
    # What parsers choke on, and the rest of issue 13's list, in the same body.
    expected = {"REQUEST_TOO_LARGE": "413", "BAD_REQUEST_BODY": "400", "UNSUPPORTED_MEDIA_TYPE": "415",
                "ACCESS_DENIED": "403", "INTEGRATION_TIMEOUT": "504"}  # fmt: skip
    for kind, status in expected.items():
        assert responses[kind]["StatusCode"] == status
    assert "StatusCode" not in responses["DEFAULT_5XX"] and "StatusCode" not in responses["DEFAULT_4XX"]


def test_outputs(synthesized: Synthesized, table_id: str) -> None:
    outputs = synthesized.template.to_json()["Outputs"]
    assert {
        "ApiUrl",
        "ApiGatewayUrl",
        "ApiDocsUrl",
        "TableName",
        "StateMachineArn",
        "UserPoolId",
        "UserPoolClientId",
        "EvidenceBucket",
        "ConsoleUrl",
        "AlarmTopicArn",
        "DashboardName",
    } <= set(outputs)
    assert outputs["TableName"]["Value"] == _ref(table_id)
    assert "execute-api" in json.dumps(outputs["ApiUrl"]["Value"])
    assert outputs["ApiUrl"]["Value"] == outputs["ApiGatewayUrl"]["Value"]  # no custom domain
    for name in ("WebhookUrlStripe", "WebhookUrlShopify", "WebhookUrlCarriersEasypost"):
        assert name in outputs


def test_waf_web_acl_from_context_is_attached_to_the_stage() -> None:
    from aws_cdk.assertions import Annotations, Match

    web_acl_arn = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/merchant/0000-1111"
    with_waf = synthesize(web_acl_arn=web_acl_arn)
    stage_id, _ = with_waf.one("AWS::ApiGateway::Stage", StageName="prod")
    _, association = with_waf.one("AWS::WAFv2::WebACLAssociation")
    assert association["WebACLArn"] == web_acl_arn
    assert json.dumps(_ref(stage_id)) in json.dumps(association["ResourceArn"])
    assert not with_waf.of_type("AWS::WAFv2::WebACL")  # the merchant's instead of Boomerang's
    # APIG3 is then satisfied, not acknowledged.
    assert "AwsSolutions-APIG3" not in json.dumps(with_waf.resources[stage_id].get("Metadata", {}))
    assert not Annotations.from_stack(with_waf.stack).find_error(
        "*", Match.string_like_regexp("(AwsSolutions|Serverless)-.*")
    )
