"""The Boomerang stack: composes one construct per capability; holds no resources of its own."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_apigateway as apigw
from constructs import Construct

from boomerang.auth.tracking_links import PAGE_PATH as TRACKING_PAGE_PATH
from infra.cdk.constructs.admin_api import AdminApi
from infra.cdk.constructs.analytics_lake import AnalyticsLake
from infra.cdk.constructs.api_docs import ApiDocs
from infra.cdk.constructs.api_domain import ApiDomain, DomainSettings
from infra.cdk.constructs.carrier_webhooks import CarrierWebhooks
from infra.cdk.constructs.customer_email import CustomerEmail
from infra.cdk.constructs.data_table import DataTables
from infra.cdk.constructs.event_bus import EventBus
from infra.cdk.constructs.evidence_store import EvidenceStore
from infra.cdk.constructs.firewall import ApiFirewall, FirewallSettings
from infra.cdk.constructs.function_layers import FunctionLayers
from infra.cdk.constructs.klaviyo import KlaviyoEvents
from infra.cdk.constructs.label_bucket import LabelBucket
from infra.cdk.constructs.monitoring import Monitoring
from infra.cdk.constructs.outbound_webhooks import OutboundWebhooks
from infra.cdk.constructs.outputs import deployment_outputs
from infra.cdk.constructs.reference_rates import ReferenceRates
from infra.cdk.constructs.return_workflow import ReturnWorkflow
from infra.cdk.constructs.session_key import SessionSigningKey
from infra.cdk.constructs.shipment_watch import ShipmentWatch
from infra.cdk.constructs.shop_secrets import (
    CARRIER_PROVIDERS,
    PAYMENT_PROVIDERS,
    TRACKING_PROVIDERS,
    grant_shop_secrets,
)
from infra.cdk.constructs.shopify_webhooks import ShopifyWebhooks
from infra.cdk.constructs.storefront_api import STAGE_NAME, StorefrontApi
from infra.cdk.constructs.stripe_webhooks import StripeWebhooks
from infra.cdk.constructs.tickets_api import TicketsApi
from infra.cdk.constructs.web_pages import WebPages

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
        firewall: FirewallSettings | None = None,
        domain: DomainSettings | None = None,
        alarm_email: str | None = None,
        admin_mfa_required: bool = False,
        notify_sender: str | None = None,
        notify_domain: str | None = None,
        evidence_regions: dict[str, list[str]] | None = None,
        evidence_lock_mode: str = "GOVERNANCE",
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)

        tables = DataTables(self, "Data")
        # Each function attaches the layers its row in infra/cdk/layer_table.py names.
        layers = FunctionLayers(self, "Layers")
        session_key = SessionSigningKey(self, "SessionSigningKey")
        workflow = ReturnWorkflow(
            self,
            "ReturnWorkflow",
            code_dir=REPO_ROOT / "functions" / "workflow",
            layer=layers,
            tables=tables,
            state_machine_name=f"{construct_id}-returns",
        )
        storefront = StorefrontApi(
            self,
            "StorefrontApi",
            code_dir=REPO_ROOT / "functions" / "storefront_api",
            layer=layers,
            tables=tables,
            session_key=session_key,
            throttling_rate_limit=throttling_rate_limit,
            throttling_burst_limit=throttling_burst_limit,
            cors_allow_origins=cors_allow_origins,
        )
        ApiFirewall(
            self, "Firewall", stage=storefront.api.deployment_stage, settings=firewall or FirewallSettings()
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
            layer=layers,
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
        carrier_webhooks = CarrierWebhooks(
            self,
            "CarrierWebhooks",
            storefront=storefront,
            code_dir=REPO_ROOT / "functions" / "webhooks_carriers",
            layer=layers,
            tables=tables,
            state_machine_arn=workflow.state_machine_arn,
        )
        # Stripe: refunds (the workflow's resolve step, finance's card retry) and POST /webhooks/stripe.
        stripe = StripeWebhooks(
            self,
            "StripeWebhooks",
            storefront=storefront,
            code_dir=REPO_ROOT / "functions" / "webhooks_stripe",
            layer=layers,
            tables=tables,
            state_machine_arn=workflow.state_machine_arn,
        )
        stripe.grant_refunds(workflow.functions["resolve"])
        stripe.grant_refunds(admin.function)
        # Each shop's own credentials: refunds where the money was taken, labels from its carrier.
        grant_shop_secrets(workflow.functions["resolve"], PAYMENT_PROVIDERS)
        # A dearer replacement's payment request, withdrawn when the policy's time runs out.
        stripe.grant_refunds(workflow.functions["expire"])
        grant_shop_secrets(workflow.functions["expire"], PAYMENT_PROVIDERS)
        grant_shop_secrets(admin.function, PAYMENT_PROVIDERS)
        grant_shop_secrets(workflow.functions["issue_label"], CARRIER_PROVIDERS)
        # Outbound parcels (issue 21): fulfilments are registered with the shop's tracking provider;
        # carrier pushes sign the customer's tracking link with the session key.
        grant_shop_secrets(storefront.function, TRACKING_PROVIDERS)
        # The shipping emails link to the tracking page, /{shop}/track?link=...: on the custom domain,
        # else on the stage's own URL, made from the API's id and the stage's name (naming the stage
        # itself would make a function its API routes to depend on the API's deployment: a cycle).
        pages_url = (
            f"https://{domain.domain_name}"
            if domain
            else f"https://{storefront.api.rest_api_id}.execute-api.{self.region}.{self.url_suffix}/{STAGE_NAME}"
        )
        tracking_links = pages_url + TRACKING_PAGE_PATH
        storefront.function.add_environment("TRACKING_LINK_TEMPLATE", tracking_links)
        carrier_webhooks.function.add_environment("TRACKING_LINK_TEMPLATE", tracking_links)
        carrier_webhooks.function.add_environment("SESSION_SECRET_NAME", session_key.secret.secret_name)
        session_key.grant_read_value(carrier_webhooks.function)
        # Events out: the outbox to EventBridge, and from there to subscribers' webhooks.
        bus = EventBus(
            self, "Events", code_dir=REPO_ROOT / "functions" / "outbox_publisher", layer=layers,
            tables=tables, state_machine_arn=workflow.state_machine_arn,
        )  # fmt: skip
        OutboundWebhooks(
            self, "Webhooks", delivery_code_dir=REPO_ROOT / "functions" / "webhook_delivery",
            admin_code_dir=REPO_ROOT / "functions" / "webhook_admin", layer=layers, tables=tables,
            bus=bus, storefront=storefront, admin=admin,
        )  # fmt: skip
        KlaviyoEvents(
            self, "Klaviyo", code_dir=REPO_ROOT / "functions" / "klaviyo_events", layer=layers,
            tables=tables, bus=bus,
        )  # fmt: skip
        # Customer emails through SES once a sender is given (-c notify_sender=...); else the sandbox.
        # With -c notify_domain=..., a domain identity with DKIM. Bounces and complaints come back.
        customer_email = None
        if notify_sender:
            customer_email = CustomerEmail(
                self,
                "CustomerEmail",
                notify_function=workflow.functions["notify"],
                tables=tables,
                sender=notify_sender,
                domain=notify_domain,
                feedback_code_dir=REPO_ROOT / "functions" / "ses_feedback",
                layer=layers,
            )

        # The delay watch of outbound parcels, hourly, in a nested stack of its own.
        shipment_watch = ShipmentWatch(
            self, "ShipmentWatch", code_dir=REPO_ROOT / "functions" / "shipment_watch", layer=layers,
            tables=tables, session_key=session_key,
        )  # fmt: skip
        shipment_watch.function.add_environment("TRACKING_LINK_TEMPLATE", tracking_links)
        if customer_email is not None:  # delivered, exception and delay messages to customers
            customer_email.grant_send(carrier_webhooks.function)
            customer_email.grant_send(shipment_watch.function)

        # Orders in from Shopify: POST /webhooks/shopify, signed per shop.
        shopify_webhooks = ShopifyWebhooks(
            self,
            "ShopifyWebhooks",
            storefront=storefront,
            code_dir=REPO_ROOT / "functions" / "webhooks_shopify",
            layer=layers,
            tables=tables,
            state_machine_arn=workflow.state_machine_arn,
        )
        grant_shop_secrets(shopify_webhooks.function, TRACKING_PROVIDERS)  # fulfillments/* webhooks

        # Evidence: buckets, the upload check, presigned uploads (customers, warehouse), staff views.
        evidence = EvidenceStore(
            self,
            "Evidence",
            code_dir=REPO_ROOT / "functions" / "evidence_uploaded",
            layer=layers,
            tables=tables,
            state_machine_arn=workflow.state_machine_arn,
            mode=evidence_lock_mode,
            regions=evidence_regions,
            cors_allow_origins=list(cors_allow_origins),
        )
        evidence.grant_upload(storefront.function, "customer")
        evidence.grant_upload(admin.function, "staff")
        evidence.grant_view(admin.role)
        if customer_email is not None:  # a refused upload is told to the customer
            customer_email.grant_send(evidence.function)
        CfnOutput(
            self, "EvidenceBucket", value=evidence.bucket.bucket_name, description="Evidence (home region)"
        )

        # Reference exchange rates for policy thresholds in any currency: the ECB's, each working day.
        ReferenceRates(
            self, "ReferenceRates", code_dir=REPO_ROOT / "functions" / "fx_rates", layer=layers,
            tables=tables,
        )  # fmt: skip

        # Support tickets: /v1/tickets and /admin/v1/tickets on the same REST API, and system tickets
        # opened from the bus's events (carrier exceptions, refund failures, disputes, dead letters).
        tickets = TicketsApi(
            self,
            "Tickets",
            storefront=storefront,
            admin=admin,
            api_code_dir=REPO_ROOT / "functions" / "tickets_api",
            system_code_dir=REPO_ROOT / "functions" / "system_tickets",
            layer=layers,
            tables=tables,
            session_key=session_key,
            bus=bus.bus,
        )

        # Analytics: every event into the lake (Firehose -> S3 Parquet -> Glue -> Athena), in a nested
        # stack; the admin API runs the reports there (GET /admin/v1/reports/{name}).
        lake = AnalyticsLake(
            self, "Analytics", code_dir=REPO_ROOT / "functions" / "lake_records", layer=layers,
            tables=tables, bus=bus.bus, name_prefix=construct_id,
        )  # fmt: skip
        lake.grant_reports(admin.function, admin.role)

        # The storefront-facing functions answer browsers from these origins (-c cors_origins=...).
        tickets.function.add_environment("CORS_ALLOW_ORIGINS", ",".join(cors_allow_origins))
        api_url = (
            ApiDomain(self, "Domain", api=storefront.api, settings=domain).url
            if domain
            else storefront.api.url
        )
        CfnOutput(self, "ApiUrl", value=api_url, description="Storefront API base URL")
        # Where a customer who paid a dearer replacement's difference comes back to (the portal's
        # return page). Built from the API's id and the stage's name, not from the stage itself:
        # the stage depends on the storefront, which starts the state machine of this function.
        portal_base = (
            f"https://{domain.domain_name}/"
            if domain
            else f"https://{storefront.api.rest_api_id}.execute-api.{self.region}.{self.url_suffix}/"
            f"{STAGE_NAME}/"
        )
        workflow.functions["resolve"].add_environment("PORTAL_BASE_URL", portal_base)
        # The API reference for people: Swagger UI at /docs over the committed OpenAPI documents.
        ApiDocs(self, "ApiDocs", storefront=storefront, layer=layers)
        CfnOutput(self, "ApiDocsUrl", value=f"{api_url}docs", description="The API reference (Swagger UI)")
        # The customer's pages (/{shop}/returns, /{shop}/policy) and their assets: a nested stack.
        web = WebPages(
            self, "Web", storefront=storefront, layer=layers, tables=tables, session_key=session_key,
            state_machine=workflow.state_machine, labels=labels, evidence=evidence,
            staff_pool=admin.user_pool,
            # On a custom domain the console is signed in to from there too.
            callback_urls=[f"https://{domain.domain_name}/admin/callback"] if domain else [],
        )  # fmt: skip
        # The staff console (in the web function) pays a failed refund another way, as the staff API does.
        stripe.grant_refunds(web.function)
        grant_shop_secrets(web.function, PAYMENT_PROVIDERS)
        # The console's dashboard runs the reports on Athena, as the admin API does.
        lake.grant_reports(web.function, web.role)
        CfnOutput(self, "PortalUrl", value=f"{api_url}{{shop}}/returns", description="The returns portal")
        CfnOutput(
            self,
            "TrackingPageUrl",
            value=f"{api_url}{{shop}}/track",
            description="The customer's tracking page (the shipping emails link to it, signed)",
        )
        CfnOutput(self, "WebAssetsUrl", value=web.assets_url, description="The pages' CSS and scripts")
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
        # Last: both look through everything above (functions, queues, rules, webhook routes).
        monitoring = Monitoring(self, "Monitoring", alarm_email=alarm_email)
        deployment_outputs(self, api=storefront.api, api_url=api_url, monitoring=monitoring)
