"""Each shop's provider credentials are its own Secrets Manager secrets, named
`boomerang/<shop>/<provider>` (boomerang.domain.providers.secret_name). A function may read only
the providers it calls: the label step EasyPost's keys, the refund paths Stripe's, Shopify's and
PayPal's. Secrets Manager appends six characters to every secret's ARN, hence the `-??????`."""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from cdk_nag import NagPackSuppression, NagSuppressions

from boomerang.domain.providers import DEFAULT_SECRETS_PREFIX

PAYMENT_PROVIDERS = ("stripe", "shopify-admin", "paypal")
CARRIER_PROVIDERS = ("easypost",)
# Outbound parcels are registered with the shop's tracking provider (boomerang.carriers.tracking_providers).
TRACKING_PROVIDERS = ("17track", "aftership")


def grant_shop_secrets(function: lambda_.Function, providers: tuple[str, ...]) -> None:
    stack = Stack.of(function)
    arns = [
        stack.format_arn(
            service="secretsmanager",
            resource="secret",
            resource_name=f"{DEFAULT_SECRETS_PREFIX}*/{provider}-??????",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        for provider in providers
    ]
    function.add_environment("SHOP_SECRETS_PREFIX", DEFAULT_SECRETS_PREFIX)
    function.add_to_role_policy(
        iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=arns)
    )
    assert function.role is not None
    NagSuppressions.add_resource_suppressions(
        function.role,
        [
            NagPackSuppression(
                id="AwsSolutions-IAM5",
                reason=(
                    "Each shop's credentials are its own secret (boomerang/<shop>/<provider>); the grant "
                    f"names the providers this function calls ({', '.join(providers)}) and no other secret."
                ),
                applies_to=[
                    "Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:"
                    f"{DEFAULT_SECRETS_PREFIX}*/{provider}-??????"
                    for provider in providers
                ],
            )
        ],
        apply_to_children=True,
    )
