"""The stack outputs a merchant and the `boomerang` CLI read after a deploy (scripts/deploy.py prints
them), besides those the stack declares next to their resources (ApiUrl, TableName, UserPoolId,
UserPoolClientId, StateMachineArn, EvidenceBucket):

- `ApiGatewayUrl`: the stage's own URL, which works before a custom domain's DNS does;
- `WebhookUrl<Path>`: one per POST /webhooks/... route, made from the routes themselves, e.g.
  `WebhookUrlStripe`, `WebhookUrlShopify`, `WebhookUrlCarriersEasypost`: the URLs to register with
  Stripe, Shopify and the carriers;
- `Secret<Where>`: the ARN of each Secrets Manager secret the stack made, e.g.
  `SecretStripeWebhooksStripe`, `SecretCarrierWebhooksEasypost`, `SecretSessionSigningKey`: where
  the provider's values go (docs/DEPLOY.md, Secrets and rotation);
- `ConsoleUrl`: a placeholder until the staff console is deployed (its value says so);
- `AlarmTopicArn`, `DashboardName`; `ApiDomainTarget` with a custom domain (where its DNS points).
"""

from __future__ import annotations

import re

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_secretsmanager as secretsmanager

from infra.cdk.constructs.monitoring import Monitoring

WEBHOOK_PREFIX = "/webhooks/"
WEBHOOK_OUTPUT_PREFIX = "WebhookUrl"
# Replaced by the console's URL once the web console is part of the stack.
CONSOLE_PENDING = "pending: this deployment has no staff console yet"


def webhook_output_name(path: str) -> str:
    """`/webhooks/carriers/17track` -> `WebhookUrlCarriers17track`."""
    words = re.split(r"[^A-Za-z0-9]+", path.removeprefix(WEBHOOK_PREFIX))
    return WEBHOOK_OUTPUT_PREFIX + "".join(w[:1].upper() + w[1:] for w in words if w)


def webhook_paths(api: apigw.RestApi) -> list[str]:
    return sorted(
        {
            m.resource.path
            for m in api.methods
            if m.http_method == "POST" and m.resource.path.startswith(WEBHOOK_PREFIX)
        }
    )


def secret_output_name(secret: secretsmanager.Secret) -> str:
    """`Boomerang/StripeWebhooks/StripeSecret` -> `SecretStripeWebhooksStripe`."""
    parts = [p.removesuffix("Secret") for p in secret.node.path.split("/")[1:]]
    return "Secret" + "".join(p[:1].upper() + p[1:] for p in parts if p)


def deployment_outputs(stack: Stack, *, api: apigw.RestApi, api_url: str, monitoring: Monitoring) -> None:
    CfnOutput(stack, "ApiGatewayUrl", value=api.url, description="The API stage's own URL (stage prod)")
    for path in webhook_paths(api):
        CfnOutput(
            stack,
            webhook_output_name(path),
            value=f"{api_url}{path.lstrip('/')}",
            description=f"Register with the provider: POST {path}",
        )
    for secret in (c for c in stack.node.find_all() if isinstance(c, secretsmanager.Secret)):
        CfnOutput(
            stack, secret_output_name(secret), value=secret.secret_arn, description="Secrets Manager secret"
        )
    CfnOutput(stack, "ConsoleUrl", value=CONSOLE_PENDING, description="Staff console (placeholder)")
    CfnOutput(stack, "AlarmTopicArn", value=monitoring.topic.topic_arn, description="Alarms go here")
    if monitoring.dashboard is not None:
        CfnOutput(stack, "DashboardName", value=monitoring.dashboard.dashboard_name, description="CloudWatch")
