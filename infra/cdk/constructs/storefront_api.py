"""The public storefront API: one Lambda function behind an API Gateway REST API.

Every route is declared here (no greedy proxy), so the template documents the API surface and API
Gateway answers unknown routes itself without invoking the function.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration, Size, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from boomerang.api.gateway_errors import GATEWAY_ERRORS, GatewayError
from infra.cdk.constructs.data_table import DataTables
from infra.cdk.constructs.lambda_function import BoomerangFunction, LayerSource
from infra.cdk.constructs.session_key import SessionSigningKey

STAGE_NAME = "prod"
SERVICE_NAME = "storefront_api"
METRICS_NAMESPACE = "Boomerang"
SESSION_TTL_SECONDS = 3600
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
# If-Match: a policy change names the version it was made from (PATCH /admin/v1/shops/{shop}/policy).
CORS_ALLOW_HEADERS = ("Content-Type", "Authorization", IDEMPOTENCY_KEY_HEADER, "x-api-key", "If-Match")
# PATCH: a policy change; DELETE: a webhook subscription's removal.
CORS_ALLOW_METHODS = ("GET", "POST", "PATCH", "DELETE", "OPTIONS")


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    operation_name: str
    required_headers: tuple[str, ...] = ()

    @property
    def path_parameters(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)


ROUTES = (
    Route("POST", "/v1/orders", "upsertOrder"),
    Route("POST", "/v1/products", "upsertProduct"),
    Route("POST", "/v1/sessions", "createSession"),
    Route("POST", "/v1/sessions/revoke", "revokeSessions"),
    Route("GET", "/v1/orders/{order_id}/eligibility", "getOrderEligibility"),
    Route("POST", "/v1/returns", "createReturn", required_headers=(IDEMPOTENCY_KEY_HEADER,)),
    Route("GET", "/v1/returns/{rma}", "getReturn"),
    Route("POST", "/v1/returns/{rma}/cancel", "cancelReturn"),
    Route("GET", "/v1/returns/{rma}/label", "getReturnLabel"),
    Route("POST", "/v1/returns/{rma}/evidence", "requestEvidenceUpload"),
    Route("POST", "/v1/returns/{rma}/exchange-fulfilment", "reportExchangeFulfilment"),
    Route("GET", "/v1/store-credit", "getStoreCredit"),
    Route("POST", "/v1/store-credit/spend", "spendStoreCredit", required_headers=(IDEMPOTENCY_KEY_HEADER,)),
    Route(
        "POST",
        "/v1/orders/{order_id}/fulfillments",
        "reportFulfillment",
        required_headers=(IDEMPOTENCY_KEY_HEADER,),
    ),
    Route("GET", "/v1/orders/{order_id}/tracking", "getOrderTracking"),
    Route("GET", "/v1/policy", "getPolicy"),
    Route("GET", "/v1/openapi.json", "getOpenApi"),
)

# One JSON object per request. All values quoted: API Gateway writes "-" for a missing value, which
# would make an unquoted number invalid JSON.
ACCESS_LOG_FORMAT = {
    "request_id": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "user_agent": "$context.identity.userAgent",
    "request_time": "$context.requestTime",
    "method": "$context.httpMethod",
    "resource_path": "$context.resourcePath",
    "protocol": "$context.protocol",
    "status": "$context.status",
    "response_length": "$context.responseLength",
    "latency_ms": "$context.responseLatency",
    "integration_latency_ms": "$context.integrationLatency",
    "integration_status": "$context.integration.status",
    "error_type": "$context.error.responseType",
    "error_message": "$context.error.message",
    "xray_trace_id": "$context.xrayTraceId",
}


def gateway_response_template(error: GatewayError) -> str:
    """The error body of boomerang.api.errors, rendered by API Gateway with its request id (and its
    own message where the table names none)."""
    body = {
        "code": error.code,
        "message": "MESSAGE",
        "details": list(error.details),
        "request_id": "REQUEST_ID",
    }
    text = json.dumps({"error": body}).replace('"REQUEST_ID"', '"$context.requestId"')
    if error.message is None:
        # $context.error.messageString is API Gateway's message, already quoted as a JSON string.
        return text.replace('"MESSAGE"', "$context.error.messageString")
    return text.replace('"MESSAGE"', json.dumps(error.message))


class StorefrontApi(Construct):
    """`function`: the storefront Lambda; `api`: the REST API in front of it (stage `prod`), which
    the staff API shares (`request_validator`, `add_gateway_error`)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code_dir: Path,
        layer: LayerSource,
        tables: DataTables,
        session_key: SessionSigningKey,
        memory_size: int = 512,
        throttling_rate_limit: float = 50,
        throttling_burst_limit: int = 100,
        cors_allow_origins: Sequence[str] = apigw.Cors.ALL_ORIGINS,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = self._function(code_dir, layer, tables, session_key, memory_size, log_retention)
        self.api = self._rest_api(
            throttling_rate_limit, throttling_burst_limit, list(cors_allow_origins), log_retention
        )
        methods = self._routes()
        self._gateway_errors(list(cors_allow_origins))
        # The function answers browsers from the same origins (boomerang.api.resolver.STOREFRONT_CORS).
        self.function.add_environment("CORS_ALLOW_ORIGINS", ",".join(cors_allow_origins))
        self._acknowledge_findings(methods)

    def _function(
        self,
        code_dir: Path,
        layer: LayerSource,
        tables: DataTables,
        session_key: SessionSigningKey,
        memory_size: int,
        log_retention: logs.RetentionDays,
    ) -> lambda_.Function:
        made = BoomerangFunction(
            self,
            "Api",
            code_dir=code_dir,
            handler="handler.handler",
            description="Boomerang storefront API (orders, sessions, eligibility, returns, policy)",
            layer=layer,
            memory_size=memory_size,
            log_retention=log_retention,
            environment={
                "TABLE_NAME": tables.table.table_name,
                "IDEMPOTENCY_TABLE_NAME": tables.idempotency_table.table_name,
                "SESSION_SECRET_NAME": session_key.secret.secret_name,
                "SESSION_TTL_SECONDS": str(SESSION_TTL_SECONDS),
                "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            },
        )
        tables.grant_request_path_access(made.role)
        tables.grant_idempotency_access(made.role)
        session_key.grant_read_value(made.role)
        return made.function

    def _rest_api(
        self,
        throttling_rate_limit: float,
        throttling_burst_limit: int,
        cors_allow_origins: list[str],
        log_retention: logs.RetentionDays,
    ) -> apigw.RestApi:
        access_logs = logs.LogGroup(self, "AccessLogs", retention=log_retention)
        api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=f"{Stack.of(self).stack_name}-storefront",
            description="Boomerang storefront API",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # Execution logging needs the account-level CloudWatch role of API Gateway.
            cloud_watch_role=True,
            min_compression_size=Size.kibibytes(1),
            deploy_options=apigw.StageOptions(
                stage_name=STAGE_NAME,
                tracing_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                # Request and response bodies carry customer emails: never logged.
                data_trace_enabled=False,
                throttling_rate_limit=throttling_rate_limit,
                throttling_burst_limit=throttling_burst_limit,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FORMAT)),
            ),
            default_cors_preflight_options=apigw.CorsOptions(
                allow_origins=cors_allow_origins,
                allow_methods=list(CORS_ALLOW_METHODS),
                allow_headers=list(CORS_ALLOW_HEADERS),
                max_age=Duration.hours(1),
            ),
        )
        # The stack outputs the URL under a stable name (ApiUrl) instead.
        api.node.try_remove_child("Endpoint")
        return api

    def _routes(self) -> list[apigw.Method]:
        # Body schemas live in the function (pydantic, served as OpenAPI); the validator checks the
        # required parameters declared here before the function is invoked.
        validator = self.api.add_request_validator(
            "RequestValidator", validate_request_body=True, validate_request_parameters=True
        )
        # Shared with the other functions' routes on this API (the staff API).
        self.request_validator = validator
        integration = apigw.LambdaIntegration(
            self.function, proxy=True, allow_test_invoke=False, scope_permission_to_method=False
        )
        methods = []
        for route in ROUTES:
            parameters = {f"method.request.path.{name}": True for name in route.path_parameters}
            parameters |= {f"method.request.header.{name}": True for name in route.required_headers}
            method = self.api.root.resource_for_path(route.path).add_method(
                route.method,
                integration,
                operation_name=route.operation_name,
                # Authenticated in the function: see _acknowledge_findings.
                authorization_type=apigw.AuthorizationType.NONE,
                request_validator=validator,
                request_parameters=parameters or None,
            )
            methods.append(method)
        return methods

    def _gateway_errors(self, cors_allow_origins: list[str]) -> None:
        required_parameters = {header for route in ROUTES for header in route.required_headers}
        if required_parameters != {IDEMPOTENCY_KEY_HEADER}:
            raise ValueError(
                f"BAD_REQUEST_PARAMETERS answers for Idempotency-Key only, not {required_parameters}"
            )
        # As the functions' own answers (boomerang.api.headers): never sniffed into another type.
        headers = {"Content-Type": "'application/json'", "X-Content-Type-Options": "'nosniff'"}
        # A browser discards an error without this header. A gateway response cannot pick one origin
        # of several per request, so it only carries a single configured origin or '*'.
        if len(cors_allow_origins) == 1:
            headers["Access-Control-Allow-Origin"] = f"'{cors_allow_origins[0]}'"
        self._gateway_response_headers = headers
        for error in GATEWAY_ERRORS:
            self.add_gateway_error(error)

    def add_gateway_error(self, error: GatewayError) -> apigw.GatewayResponse:
        """An error API Gateway answers itself (for any route of this API, the staff routes' Cognito
        authorizer included), in the API's error body (boomerang.api.gateway_errors)."""
        return self.api.add_gateway_response(
            f"{error.response_type.title().replace('_', '')}Response",
            type=apigw.ResponseType.of(error.response_type),
            status_code=str(error.status) if error.status else None,
            response_headers=self._gateway_response_headers,
            templates={"application/json": gateway_response_template(error)},
        )

    def _acknowledge_findings(self, methods: list[apigw.Method]) -> None:
        NagSuppressions.add_resource_suppressions(
            methods,
            [
                NagPackSuppression(
                    id="AwsSolutions-APIG4",
                    reason=(
                        "Authentication happens in the function: the customer routes accept either a "
                        "storefront API key (x-api-key, hashed and looked up per shop) or a signed customer "
                        "token, which no single API Gateway authorizer covers; /v1/openapi.json is public."
                    ),
                ),
                NagPackSuppression(
                    id="AwsSolutions-COG4",
                    reason=(
                        "Storefront callers are not Cognito users: they present a per-shop API key or a "
                        "customer session token, both verified in the function."
                    ),
                ),
            ],
        )
        cloud_watch_role = self.api.node.find_child("CloudWatchRole")
        NagSuppressions.add_resource_suppressions(
            cloud_watch_role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM4",
                    reason=(
                        "API Gateway's account-level CloudWatch role uses the AWS managed policy made for "
                        "it (AmazonAPIGatewayPushToCloudWatchLogs); execution logging requires that role."
                    ),
                    applies_to=[
                        "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
                    ],
                )
            ],
        )
