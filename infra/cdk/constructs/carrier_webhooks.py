"""Carrier tracking webhooks: POST /webhooks/carriers/{easypost,aftership,17track} on the
storefront's REST API, one Lambda function (functions/webhooks_carriers), one Secrets Manager
secret per provider for its webhook signing secret.

No API Gateway authorizer: carriers sign their bodies; the function verifies each signature on the
raw body before anything else.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from infra.cdk.constructs.data_table import DataTables
from infra.cdk.constructs.lambda_function import BoomerangFunction, LayerSource
from infra.cdk.constructs.storefront_api import StorefrontApi

SERVICE_NAME = "webhooks_carriers"
# Provider path segment -> the environment variable naming its secret.
PROVIDERS = {
    "easypost": "EASYPOST_WEBHOOK_SECRET_NAME",
    "aftership": "AFTERSHIP_WEBHOOK_SECRET_NAME",
    "17track": "SEVENTEENTRACK_WEBHOOK_SECRET_NAME",
}


class CarrierWebhooks(Construct):
    """`function`, `secrets` (provider -> secret; the merchant pastes each provider's webhook secret
    in) and the POST `methods`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storefront: StorefrontApi,
        code_dir: Path,
        layer: LayerSource,
        tables: DataTables,
        state_machine_arn: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.secrets = {
            provider: secretsmanager.Secret(
                self,
                f"{provider.title()}Secret",
                description=f"Boomerang: {provider} webhook signing secret (from {provider}'s dashboard)",
                # A random placeholder until the merchant sets the provider's value: nothing verifies.
                generate_secret_string=secretsmanager.SecretStringGenerator(
                    exclude_punctuation=True, password_length=48
                ),
            )
            for provider in PROVIDERS
        }
        made = BoomerangFunction(
            self,
            "Function",
            code_dir=code_dir,
            handler="handler.handler",
            description="Boomerang carrier tracking webhooks (EasyPost, AfterShip, 17TRACK)",
            layer=layer,
            environment={
                "TABLE_NAME": tables.table.table_name,
                "IDEMPOTENCY_TABLE_NAME": tables.idempotency_table.table_name,
                "STATE_MACHINE_ARN": state_machine_arn,
                "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
                **{variable: self.secrets[p].secret_name for p, variable in PROVIDERS.items()},
            },
        )
        self.function = made.function
        tables.grant_request_path_access(made.role)
        tables.grant_idempotency_access(made.role)
        # Delivery resumes the workflow's carrier wait by its task token.
        made.role.add_to_policy(
            iam.PolicyStatement(
                actions=["states:SendTaskSuccess", "states:SendTaskFailure"], resources=[state_machine_arn]
            )
        )
        made.role.add_to_policy(
            iam.PolicyStatement(
                actions=["secretsmanager:GetSecretValue"],
                resources=[secret.secret_arn for secret in self.secrets.values()],
            )
        )
        integration = apigw.LambdaIntegration(
            self.function, proxy=True, allow_test_invoke=False, scope_permission_to_method=False
        )
        carriers = storefront.api.root.resource_for_path("/webhooks/carriers")
        self.methods = [
            carriers.add_resource(provider).add_method(
                "POST",
                integration,
                operation_name=f"receive{provider.title()}Webhook",
                authorization_type=apigw.AuthorizationType.NONE,
            )
            for provider in PROVIDERS
        ]
        self._acknowledge_findings()

    def _acknowledge_findings(self) -> None:
        NagSuppressions.add_resource_suppressions(
            self.methods,
            [
                NagPackSuppression(
                    id="AwsSolutions-APIG4",
                    reason=(
                        "Carriers cannot present AWS or Cognito credentials; each signs its body (EasyPost "
                        "X-Hmac-Signature, AfterShip aftership-hmac-sha256, 17TRACK sign), verified by the "
                        "function on the raw body before anything is read or written."
                    ),
                ),
                NagPackSuppression(
                    id="AwsSolutions-COG4",
                    reason="Carrier webhooks are not Cognito users; the body's signature authenticates them.",
                ),
            ],
        )
        NagSuppressions.add_resource_suppressions(
            list(self.secrets.values()),
            [
                NagPackSuppression(
                    id="AwsSolutions-SMG4",
                    reason=(
                        "A webhook signing secret is issued by the provider (EasyPost, AfterShip, 17TRACK) "
                        "and rotated in its dashboard; the merchant then updates this secret by hand."
                    ),
                )
            ],
        )
