"""Shopify webhooks in: `POST /webhooks/shopify` on the storefront's REST API, proxied to its own
Lambda (functions/webhooks_shopify).

No API Gateway authorizer: Shopify signs each delivery (X-Shopify-Hmac-Sha256 over the raw body
with the app's client secret) and the function verifies it before reading anything. Each shop's
app secret is a Secrets Manager secret under `secret_prefix` (`boomerang connect shopify`
creates it); the function may read those and no other secret.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from infra.cdk.constructs.data_table import DataTables
from infra.cdk.constructs.lambda_function import BoomerangFunction, LayerSource
from infra.cdk.constructs.storefront_api import StorefrontApi

SERVICE_NAME = "webhooks_shopify"
ROUTE = ("POST", "/webhooks/shopify")
# Where `boomerang connect shopify` keeps each shop's Shopify app secret: <prefix><shop>.
DEFAULT_SECRET_PREFIX = "boomerang/shopify/"  # noqa: S105 (a name prefix, not a secret)


class ShopifyWebhooks(Construct):
    """`function` and the `method` of POST /webhooks/shopify."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storefront: StorefrontApi,
        code_dir: Path,
        layer: LayerSource,
        tables: DataTables,
        secret_prefix: str = DEFAULT_SECRET_PREFIX,
        state_machine_arn: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        made = BoomerangFunction(
            self,
            "Function",
            code_dir=code_dir,
            handler="handler.handler",
            description="Boomerang Shopify webhooks (orders, refunds, products in)",
            layer=layer,
            environment={"TABLE_NAME": tables.table.table_name, "POWERTOOLS_SERVICE_NAME": SERVICE_NAME},
        )
        self.function = made.function
        tables.grant_request_path_access(made.role)
        if state_machine_arn:
            # draft_orders/update: a dearer replacement's invoice paid resumes the return's workflow.
            self.function.add_environment("STATE_MACHINE_ARN", state_machine_arn)
            made.role.add_to_policy(
                iam.PolicyStatement(
                    actions=["states:SendTaskSuccess", "states:SendTaskFailure"],
                    resources=[state_machine_arn],
                )
            )
        secrets_arn = Stack.of(self).format_arn(
            service="secretsmanager",
            resource="secret",
            resource_name=f"{secret_prefix}*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        made.role.add_to_policy(
            iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[secrets_arn])
        )
        NagSuppressions.add_resource_suppressions(
            made.role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason=(
                        "Each connected shop's Shopify app secret is its own secret, created by the operator "
                        f"under '{secret_prefix}' after deployment; the function reads only those."
                    ),
                    applies_to=[
                        f"Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:{secret_prefix}*"
                    ],
                )
            ],
            apply_to_children=True,
        )

        integration = apigw.LambdaIntegration(
            self.function, proxy=True, allow_test_invoke=False, scope_permission_to_method=False
        )
        self.method = storefront.api.root.resource_for_path(ROUTE[1]).add_method(
            ROUTE[0],
            integration,
            operation_name="receiveShopifyWebhook",
            authorization_type=apigw.AuthorizationType.NONE,
        )
        NagSuppressions.add_resource_suppressions(
            self.method,
            [
                NagPackSuppression(
                    id="AwsSolutions-APIG4",
                    reason=(
                        "Shopify cannot present AWS credentials or a Cognito token: every delivery is "
                        "authenticated by its X-Shopify-Hmac-Sha256 signature, verified in the function."
                    ),
                ),
                NagPackSuppression(
                    id="AwsSolutions-COG4",
                    reason="Shopify is not a Cognito user; its HMAC signature authenticates each delivery.",
                ),
            ],
        )
