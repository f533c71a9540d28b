"""Outbound webhooks for systems that cannot read EventBridge (an ERP's HTTP endpoint).

EventBridge rule (every Boomerang event) -> SQS queue -> the delivery function, which fans an event
out into one delivery message per subscription and POSTs each signed; a failed delivery comes back
after a visibility timeout that grows with its receive count, for a day, then is parked on the
table as a dead letter (docs/WEBHOOKS.md). The queue's own dead-letter queue takes only messages
the function cannot handle at all. Staff manage subscriptions and redrive dead letters through
/admin/v1/webhooks routes (functions/webhook_admin) behind the staff authorizer.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from infra.cdk.constructs.admin_api import AdminApi
from infra.cdk.constructs.data_table import DataTables
from infra.cdk.constructs.event_bus import SOURCE, EventBus, dead_letter_queue
from infra.cdk.constructs.lambda_function import BoomerangFunction, LayerSource
from infra.cdk.constructs.storefront_api import Route, StorefrontApi

DELIVERY_SERVICE = "webhook_delivery"
ADMIN_SERVICE = "webhook_admin"
SECRETS_PREFIX = "boomerang/webhooks/"
DELIVERY_TIMEOUT_SECONDS = 60
# Poison messages only: a delivery that keeps failing is parked by the function after a day (about
# 11 attempts), well before this count.
MAX_RECEIVES = 30

ROUTES = (
    Route("POST", "/admin/v1/webhooks/subscriptions", "createWebhookSubscription"),
    Route("GET", "/admin/v1/webhooks/subscriptions", "listWebhookSubscriptions"),
    Route("DELETE", "/admin/v1/webhooks/subscriptions/{subscription_id}", "deleteWebhookSubscription"),
    Route("GET", "/admin/v1/webhooks/dead-letters", "listWebhookDeadLetters"),
    Route("POST", "/admin/v1/webhooks/dead-letters/{delivery_id}/redrive", "redriveWebhookDeadLetter"),
)


class OutboundWebhooks(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        delivery_code_dir: Path,
        admin_code_dir: Path,
        layer: LayerSource,
        tables: DataTables,
        bus: EventBus,
        storefront: StorefrontApi,
        admin: AdminApi,
    ) -> None:
        super().__init__(scope, construct_id)
        self.poison = dead_letter_queue(
            self, "PoisonMessages", "of the webhook queue (messages that cannot be read)"
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            # Six times the function's timeout, as Lambda advises for SQS sources.
            visibility_timeout=Duration.seconds(6 * DELIVERY_TIMEOUT_SECONDS),
            retention_period=Duration.days(4),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.poison, max_receive_count=MAX_RECEIVES),
        )
        self.rule = events.Rule(
            self,
            "EveryEvent",
            event_bus=bus.bus,
            description="Every Boomerang event, to the outbound webhook queue",
            event_pattern=events.EventPattern(source=[SOURCE]),
            targets=[targets.SqsQueue(self.queue, dead_letter_queue=self.poison, retry_attempts=185)],
        )
        secrets_arn = Stack.of(self).format_arn(
            service="secretsmanager",
            resource="secret",
            resource_name=f"{SECRETS_PREFIX}*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

        delivery = BoomerangFunction(
            self,
            "Delivery",
            code_dir=delivery_code_dir,
            handler="handler.handler",
            description="Boomerang outbound webhook delivery (signed POSTs, backoff, dead letters)",
            layer=layer,
            environment={
                "TABLE_NAME": tables.table.table_name,
                "QUEUE_URL": self.queue.queue_url,
                "EVENT_BUS_NAME": bus.bus.event_bus_name,
                "POWERTOOLS_SERVICE_NAME": DELIVERY_SERVICE,
            },
            timeout_seconds=DELIVERY_TIMEOUT_SECONDS,
        )
        self.delivery = delivery.function
        tables.grant_request_path_access(delivery.role)
        self.queue.grant_send_messages(delivery.role)
        delivery.role.add_to_policy(
            iam.PolicyStatement(actions=["sqs:ChangeMessageVisibility"], resources=[self.queue.queue_arn])
        )
        delivery.role.add_to_policy(
            iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[secrets_arn])
        )
        self.delivery.add_event_source(
            sources.SqsEventSource(
                self.queue,
                batch_size=10,
                max_batching_window=Duration.seconds(1),
                report_batch_item_failures=True,
                # A receiver that hangs must not hold up the whole queue's concurrency.
                max_concurrency=20,
            )
        )

        admin_fn = BoomerangFunction(
            self,
            "Admin",
            code_dir=admin_code_dir,
            handler="handler.handler",
            description="Boomerang staff API for outbound webhooks (subscriptions, dead letters)",
            layer=layer,
            environment={
                "TABLE_NAME": tables.table.table_name,
                "QUEUE_URL": self.queue.queue_url,
                "SECRETS_PREFIX": SECRETS_PREFIX,
                "POWERTOOLS_SERVICE_NAME": ADMIN_SERVICE,
            },
        )
        self.admin = admin_fn.function
        tables.grant_request_path_access(admin_fn.role)
        # Deleting a subscription and redriving a dead letter delete their items.
        admin_fn.role.add_to_policy(
            iam.PolicyStatement(actions=["dynamodb:DeleteItem"], resources=[tables.table.table_arn])
        )
        self.queue.grant_send_messages(admin_fn.role)
        admin_fn.role.add_to_policy(
            iam.PolicyStatement(
                actions=["secretsmanager:CreateSecret", "secretsmanager:DeleteSecret"],
                resources=[secrets_arn],
            )
        )
        for made in (delivery, admin_fn):
            NagSuppressions.add_resource_suppressions(
                made.role,
                [
                    NagPackSuppression(
                        id="AwsSolutions-IAM5",
                        reason=(
                            "Each subscription's signing secret is its own secret, created when staff "
                            "subscribe; the grant is limited to the boomerang/webhooks/ name prefix."
                        ),
                        applies_to=[
                            f"Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:{SECRETS_PREFIX}*"
                        ],
                    )
                ],
                apply_to_children=True,
            )
        integration = apigw.LambdaIntegration(
            self.admin, proxy=True, allow_test_invoke=False, scope_permission_to_method=False
        )
        self.methods = [
            storefront.api.root.resource_for_path(route.path).add_method(
                route.method,
                integration,
                operation_name=route.operation_name,
                authorization_type=apigw.AuthorizationType.COGNITO,
                authorizer=admin.authorizer,
                request_validator=storefront.request_validator,
                request_parameters={f"method.request.path.{n}": True for n in route.path_parameters} or None,
            )
            for route in ROUTES
        ]
