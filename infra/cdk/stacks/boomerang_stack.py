"""The Boomerang stack: composes one construct per capability; holds no resources of its own."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_apigateway as apigw
from constructs import Construct

from infra.cdk.constructs.admin_api import AdminApi
from infra.cdk.constructs.api_docs import ApiDocs
from infra.cdk.constructs.carrier_webhooks import CarrierWebhooks
from infra.cdk.constructs.core_layer import CoreLayer, layer_requirements
from infra.cdk.constructs.customer_email import CustomerEmail
from infra.cdk.constructs.data_table import DataTables
from infra.cdk.constructs.event_bus import EventBus
from infra.cdk.constructs.evidence_buckets import EvidenceStore
from infra.cdk.constructs.klaviyo import KlaviyoEvents
from infra.cdk.constructs.label_bucket import LabelBucket
from infra.cdk.constructs.outbound_webhooks import OutboundWebhooks
from infra.cdk.constructs.return_workflow import ReturnWorkflow
from infra.cdk.constructs.session_key import SessionSigningKey
from infra.cdk.constructs.shopify_webhooks import ShopifyWebhooks
from infra.cdk.constructs.storefront_api import StorefrontApi
from infra.cdk.constructs.stripe_webhooks import StripeWebhooks
from infra.cdk.constructs.tickets_api import TicketsApi

REPO_ROOT = Path(__file__).resolve().parents[3]


class BoomerangStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        throttling_rate_limit: float = 50,
        throttling_burst_limit: int = 100,
        cors_allow_origins: Sequence[str] = apigw.Cors.ALL_ORIGINS,
        web_acl_arn: str | None = None,
        admin_mfa_required: bool = False,
        notify_sender: str | None = None,
        evidence_regions: dict[str, list[str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)

        tables = DataTables(self, "Data")
        core_layer = CoreLayer(
            self,
            "CoreLayer",
            source_dir=REPO_ROOT / "layers" / "core",
            requirements=layer_requirements(REPO_ROOT / "pyproject.toml"),
        )
        session_key = SessionSigningKey(self, "SessionSigningKey")
        workflow = ReturnWorkflow(
            self,
            "ReturnWorkflow",
            code_dir=REPO_ROOT / "functions" / "workflow",
            layer=core_layer.layer,
            tables=tables,
            state_machine_name=f"{construct_id}-returns",
        )
        storefront = StorefrontApi(
            self,
            "StorefrontApi",
            code_dir=REPO_ROOT / "functions" / "storefront_api",
            layer=core_layer.layer,
            tables=tables,
            session_key=session_key,
            throttling_rate_limit=throttling_rate_limit,
            throttling_burst_limit=throttling_burst_limit,
            cors_allow_origins=cors_allow_origins,
            web_acl_arn=web_acl_arn,
        )
        # Creating a return starts its workflow.
        storefront.function.add_environment("STATE_MACHINE_ARN", workflow.state_machine.state_machine_arn)
        workflow.state_machine.grant_start_execution(storefront.function)
        workflow.state_machine.grant_task_response(storefront.function)

        # Staff: /admin routes on the same REST API, behind a Cognito user pool.
        admin = AdminApi(
            self,
            "AdminApi",
            storefront=storefront,
            code_dir=REPO_ROOT / "functions" / "admin_api",
            layer=core_layer.layer,
            tables=tables,
            state_machine_arn=workflow.state_machine_arn,
            mfa_required=admin_mfa_required,
        )

        # Return labels: rendered into the label bucket by the label step, served by presigned URL.
        labels = LabelBucket(self, "Labels")
        # The task functions share one handler module, so all name the bucket; only the label
        # step may write to it.
        for task in workflow.functions.values():
            task.add_environment("LABEL_BUCKET_NAME", labels.bucket.bucket_name)
        label_step = workflow.functions["issue_label"]
        labels.grant_write(label_step, label_step.role)
        storefront.function.add_environment("LABEL_BUCKET_NAME", labels.bucket.bucket_name)
        labels.grant_read(storefront.function, storefront.function.role)
        CarrierWebhooks(
            self,
            "CarrierWebhooks",
            storefront=storefront,
            code_dir=REPO_ROOT / "functions" / "webhooks_carriers",
            layer=core_layer.layer,
            tables=tables,
            state_machine_arn=workflow.state_machine_arn,
        )
        # Stripe: refunds (the workflow's resolve step, finance's card retry) and POST /webhooks/stripe.
        stripe = StripeWebhooks(
            self,
            "StripeWebhooks",
            storefront=storefront,
            code_dir=REPO_ROOT / "functions" / "webhooks_stripe",
            layer=core_layer.layer,
            tables=tables,
            state_machine_arn=workflow.state_machine_arn,
        )
        stripe.grant_refunds(workflow.functions["resolve"])
        stripe.grant_refunds(admin.function)
        # Events out: the outbox to EventBridge, and from there to subscribers' webhooks.
        bus = EventBus(
            self, "Events", code_dir=REPO_ROOT / "functions" / "outbox_publisher", layer=core_layer.layer,
            tables=tables, state_machine_arn=workflow.state_machine_arn,
        )  # fmt: skip
        OutboundWebhooks(
            self, "Webhooks", delivery_code_dir=REPO_ROOT / "functions" / "webhook_delivery",
            admin_code_dir=REPO_ROOT / "functions" / "webhook_admin", layer=core_layer.layer, tables=tables,
            bus=bus, storefront=storefront, admin=admin,
        )  # fmt: skip
        KlaviyoEvents(
            self, "Klaviyo", code_dir=REPO_ROOT / "functions" / "klaviyo_events", layer=core_layer.layer,
            tables=tables, bus=bus,
        )  # fmt: skip
        # Customer emails through SES once a sender is given (-c notify_sender=...); else the sandbox.
        if notify_sender:
            CustomerEmail(
                self,
                "CustomerEmail",
                notify_function=workflow.functions["notify"],
                tables=tables,
                sender=notify_sender,
            )

        # Orders in from Shopify: POST /webhooks/shopify, signed per shop.
        ShopifyWebhooks(
            self,
            "ShopifyWebhooks",
            storefront=storefront,
            code_dir=REPO_ROOT / "functions" / "webhooks_shopify",
            layer=core_layer.layer,
            tables=tables,
        )

        # Evidence: buckets, the upload check, presigned uploads (customers, warehouse), staff views.
        evidence = EvidenceStore(
            self,
            "Evidence",
            code_dir=REPO_ROOT / "functions" / "evidence_uploaded",
            layer=core_layer.layer,
            tables=tables,
            state_machine_arn=workflow.state_machine_arn,
            regions=evidence_regions,
        )
        evidence.grant_upload(storefront.function)
        evidence.grant_upload(admin.function)
        evidence.grant_view(admin.role)
        CfnOutput(
            self, "EvidenceBucket", value=evidence.bucket.bucket_name, description="Evidence (home region)"
        )

        # Support tickets: /v1/tickets and /admin/v1/tickets on the same REST API, and system tickets
        # opened from the bus's events (carrier exceptions, refund failures, disputes, dead letters).
        TicketsApi(
            self,
            "Tickets",
            storefront=storefront,
            admin=admin,
            api_code_dir=REPO_ROOT / "functions" / "tickets_api",
            system_code_dir=REPO_ROOT / "functions" / "system_tickets",
            layer=core_layer.layer,
            tables=tables,
            session_key=session_key,
            bus=bus.bus,
        )

        # The API reference for people: Swagger UI at /docs over the committed OpenAPI documents.
        ApiDocs(self, "ApiDocs", storefront=storefront, layer=core_layer.layer)

        CfnOutput(
            self, "ApiUrl", value=storefront.api.url, description="Storefront API base URL (stage prod)"
        )
        CfnOutput(
            self,
            "ApiDocsUrl",
            value=f"{storefront.api.url}docs",
            description="The API reference (Swagger UI)",
        )
        CfnOutput(self, "StateMachineArn", value=workflow.state_machine.state_machine_arn)
        CfnOutput(self, "TableName", value=tables.table.table_name, description="The single table")
        CfnOutput(
            self, "UserPoolId", value=admin.user_pool.user_pool_id, description="Staff user pool (admin API)"
        )
        CfnOutput(
            self,
            "UserPoolClientId",
            value=admin.client.user_pool_client_id,
            description="Staff console app client (no secret; SRP or USER_PASSWORD_AUTH)",
        )
