"""Stripe: the deployment's Stripe secret and `POST /webhooks/stripe` on the storefront's REST API,
proxied to its own Lambda function (functions/webhooks_stripe).

One secret per deployment (a self-hosted Boomerang refunds through the merchant's one Stripe
account, whatever the shop): JSON {"api_key": "sk_...", "webhook_secret": "whsec_..."}. It is
created holding {"api_key": "unset"} and a random webhook_secret; the merchant pastes their
restricted key (refunds: write) and the endpoint's signing secret after `cdk deploy`. Until then a
refund fails loudly as a configuration error (recorded on the return, alarmed), never silently.

`grant_refunds` gives another function (the workflow's resolve step, the staff API) the secret's
name and the right to read it.
"""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from infra.cdk.constructs.data_table import DataTables
from infra.cdk.constructs.lambda_function import BoomerangFunction, LayerSource
from infra.cdk.constructs.storefront_api import StorefrontApi

SERVICE_NAME = "webhooks_stripe"
WEBHOOK_PATH = "/webhooks/stripe"
SECRET_DESCRIPTION = "Boomerang: Stripe API key and webhook signing secret (JSON)"  # noqa: S105 (a description)


class StripeWebhooks(Construct):
    """`secret`, `function` and the `method` POST /webhooks/stripe."""

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
        self.secret = secretsmanager.Secret(
            self,
            "StripeSecret",
            description=SECRET_DESCRIPTION,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps({"api_key": "unset"}),
                generate_string_key="webhook_secret",
                exclude_punctuation=True,
                password_length=48,
            ),
        )
        NagSuppressions.add_resource_suppressions(
            self.secret,
            [
                NagPackSuppression(
                    id="AwsSolutions-SMG4",
                    reason=(
                        "Both values are issued by Stripe (a restricted API key, an endpoint's signing "
                        "secret) and rolled in Stripe's dashboard, then stored here by hand (docs/DEPLOY.md, "
                        "Secrets and rotation); a rotation Lambda cannot create them."
                    ),
                )
            ],
        )
        made = BoomerangFunction(
            self,
            "Function",
            code_dir=code_dir,
            handler="handler.handler",
            description="Boomerang Stripe webhooks (refund settlement, failures, disputes)",
            layer=layer,
            environment={
                "TABLE_NAME": tables.table.table_name,
                "IDEMPOTENCY_TABLE_NAME": tables.idempotency_table.table_name,
                "STRIPE_SECRET_NAME": self.secret.secret_name,
                "STATE_MACHINE_ARN": state_machine_arn,
                "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
            },
        )
        self.function = made.function
        tables.grant_request_path_access(made.role)
        tables.grant_idempotency_access(made.role)
        self._grant_read(made.role)
        # A settlement resumes the workflow's wait by its task token.
        made.role.add_to_policy(
            iam.PolicyStatement(
                actions=["states:SendTaskSuccess", "states:SendTaskFailure"], resources=[state_machine_arn]
            )
        )
        integration = apigw.LambdaIntegration(
            self.function, proxy=True, allow_test_invoke=False, scope_permission_to_method=False
        )
        self.method = storefront.api.root.resource_for_path(WEBHOOK_PATH).add_method(
            "POST",
            integration,
            operation_name="stripeWebhook",
            # Stripe signs every event; the function verifies the signature on the raw body.
            authorization_type=apigw.AuthorizationType.NONE,
        )
        NagSuppressions.add_resource_suppressions(
            self.method,
            [
                NagPackSuppression(
                    id="AwsSolutions-APIG4",
                    reason=(
                        "Stripe cannot present API Gateway credentials: each event carries a "
                        "Stripe-Signature (HMAC-SHA256 of the raw body, 300 s tolerance) that the "
                        "function verifies before reading anything."
                    ),
                ),
                NagPackSuppression(
                    id="AwsSolutions-COG4",
                    reason="Stripe is not a Cognito user; its events are authenticated by their signature.",
                ),
            ],
        )

    def _grant_read(self, grantee: iam.IGrantable) -> None:
        """GetSecretValue only (Secret.grant_read would add DescribeSecret, which no function needs)."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[self.secret.secret_arn])
        )

    def grant_refunds(self, function: lambda_.Function) -> None:
        """`function` may refund through Stripe: it gets the secret's name and may read it."""
        function.add_environment("STRIPE_SECRET_NAME", self.secret.secret_name)
        self._grant_read(function)
