"""Function configuration: environment variables parsed once, at cold start, by pydantic."""

from __future__ import annotations

import os
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from boomerang.auth.tracking_links import PAGE_PATH as TRACKING_PAGE_PATH
from boomerang.domain.providers import DEFAULT_SECRETS_PREFIX


class FromEnv(BaseModel):
    model_config = ConfigDict(frozen=True)

    @classmethod
    def from_env(cls) -> Self:
        fields = cls.model_fields
        return cls.model_validate(
            {name: os.environ[name.upper()] for name in fields if name.upper() in os.environ}
        )


class WorkflowConfig(FromEnv):
    table_name: str = Field(min_length=3)
    # Where the label step stores the label PDFs it renders (set on that step's function only).
    label_bucket_name: str = ""
    # Empty in the task functions: they resume waits by token and never start executions.
    state_machine_arn: str = ""
    policy_cache_seconds: int = Field(default=0, ge=0)  # pointer trusted this long (services/policies.py)
    # Customer notifications: "ses" in the stack (NOTIFY_SENDER a verified SES identity), else the
    # sandbox. The idempotency table makes each (return, template) mail go out once.
    notifier: Literal["sandbox", "ses"] = "sandbox"
    notify_sender: str = ""
    ses_configuration_set: str = ""
    idempotency_table_name: str = ""
    template_cache_seconds: int = Field(default=300, ge=0)
    # The API's public base URL (the portal's): a customer who pays a dearer replacement's
    # difference comes back to <base>/<shop>/returns/<rma> (set on the resolve step).
    portal_base_url: str = ""

    @model_validator(mode="after")
    def _sender_for_ses(self) -> Self:
        if self.notifier == "ses" and "@" not in self.notify_sender:
            raise ValueError("NOTIFIER=ses needs NOTIFY_SENDER, a verified SES sender address")
        return self

    # The deployment's Stripe secret, for shops without their own (boomerang.payments.router).
    stripe_secret_name: str = ""
    # Shops' provider credentials (boomerang.credentials) and, in the local stack only, where the
    # providers' HTTPS requests go instead (boomerang.payments.factory).
    shop_secrets_prefix: str = Field(default=DEFAULT_SECRETS_PREFIX, min_length=1)
    payment_endpoints: str = ""
    # Empty in AWS (EasyPost's own API); `make local` points it at its fake (local/easypost.py).
    easypost_api_base: str = ""


class StorefrontConfig(FromEnv):
    table_name: str = Field(min_length=3)
    idempotency_table_name: str = Field(min_length=3)
    session_secret_name: str = Field(min_length=1)
    session_ttl_seconds: int = Field(default=3600, ge=60, le=86_400)
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    api_key_cache_seconds: int = Field(default=300, ge=0)
    policy_cache_seconds: int = Field(default=0, ge=0)  # pointer trusted this long (services/policies.py)
    # Creating a return starts its workflow execution (named by the RMA).
    state_machine_arn: str = ""
    # Return label PDFs, served by presigned URL (empty: carrier-hosted labels only).
    label_bucket_name: str = ""
    # Each shop's tracking provider keys (boomerang/<shop>/17track | aftership), for fulfilments.
    shop_secrets_prefix: str = "boomerang/"
    # A customer's tracking link: {shop}, {order_id} and {link} (the signed token) filled in.
    tracking_link_template: str = TRACKING_PAGE_PATH  # relative: no base URL configured


class WebConfig(FromEnv):
    """The customer pages (functions/web): the portal and the policy page."""

    table_name: str = Field(min_length=3)
    session_secret_name: str = Field(min_length=1)
    session_ttl_seconds: int = Field(default=3600, ge=60, le=86_400)
    policy_cache_seconds: int = Field(default=0, ge=0)
    state_machine_arn: str = ""
    label_bucket_name: str = ""
    # Where the pages' CSS and scripts are served (CloudFront; make local's own port), no trailing /.
    assets_base_url: str = Field(min_length=1)
    assets_version: str = Field(min_length=1)  # boomerang/web/assets.py
    # How long browsers and CloudFront may keep the policy page.
    policy_page_max_age: int = Field(default=300, ge=0, le=86_400)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)


class ConsoleConfig(FromEnv):
    """The staff console (functions/web, /admin): the staff user pool it signs in with, and what its
    actions need (the same as the staff API's: the workflow's task tokens, payments, evidence)."""

    staff_user_pool_id: str = ""
    staff_client_id: str = ""  # the console's hosted-UI app client (authorization code + PKCE)
    # The hosted UI's domain, https://<prefix>.auth.<region>.amazoncognito.com (empty: no hosted UI).
    staff_sign_in_url: str = ""
    # Where the pool's keys are read; empty: the pool's own https://cognito-idp.../.well-known/jwks.json.
    staff_jwks_url: str = ""
    # `make local` only (local/stack.py sets it): a sign-in form on the local pool. No deployment sets it.
    local_staff_sign_in: bool = False
    aws_region: str = "us-east-1"
    state_machine_arn: str = ""
    policy_cache_seconds: int = Field(default=0, ge=0)
    stripe_secret_name: str = ""
    shop_secrets_prefix: str = Field(default=DEFAULT_SECRETS_PREFIX, min_length=1)
    payment_endpoints: str = ""
    # The dashboard's reports run on Athena, as the admin API's (analytics/athena.py).
    reports_workgroup: str = ""
    reports_database: str = ""

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.aws_region}.amazonaws.com/{self.staff_user_pool_id}"

    @property
    def jwks_url(self) -> str:
        return self.staff_jwks_url or f"{self.issuer}/.well-known/jwks.json"


class AdminConfig(FromEnv):
    table_name: str = Field(min_length=3)
    # Staff news resumes the workflow's waits by task token; the ARN itself is not needed for that.
    state_machine_arn: str = ""
    policy_cache_seconds: int = Field(default=0, ge=0)  # pointer trusted this long (services/policies.py)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    # The deployment's Stripe secret, for shops without their own (boomerang.payments.router).
    stripe_secret_name: str = ""
    # Shops' provider credentials (boomerang.credentials) and, in the local stack only, where the
    # providers' HTTPS requests go instead (boomerang.payments.factory).
    shop_secrets_prefix: str = Field(default=DEFAULT_SECRETS_PREFIX, min_length=1)
    payment_endpoints: str = ""
    # The reports run on Athena in this workgroup, over this Glue database (analytics/athena.py).
    reports_workgroup: str = ""
    reports_database: str = ""


class CarrierWebhooksConfig(FromEnv):
    table_name: str = Field(min_length=3)
    idempotency_table_name: str = Field(min_length=3)
    # Delivery resumes the workflow's carrier wait by its task token.
    state_machine_arn: str = ""
    policy_cache_seconds: int = Field(default=0, ge=0)  # pointer trusted this long (services/policies.py)
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    # Secrets Manager names of each provider's webhook secret (never the secret itself).
    easypost_webhook_secret_name: str = Field(min_length=1)
    aftership_webhook_secret_name: str = Field(min_length=1)
    seventeentrack_webhook_secret_name: str = Field(min_length=1)
    secret_cache_seconds: int = Field(default=300, ge=0)
    # Shops' provider credentials (boomerang.credentials) and, in the local stack only, where the
    # providers' HTTPS requests go instead (boomerang.payments.factory).
    shop_secrets_prefix: str = Field(default=DEFAULT_SECRETS_PREFIX, min_length=1)
    payment_endpoints: str = ""
    # Outbound parcels' messages to customers (delivered, exception): as the workflow's notify step.
    notifier: Literal["sandbox", "ses"] = "sandbox"
    notify_sender: str = ""
    ses_configuration_set: str = ""
    template_cache_seconds: int = Field(default=300, ge=0)
    # The customer's tracking link ({shop}, {order_id}, {link}), and the key that signs it (the
    # session secret's name).
    tracking_link_template: str = TRACKING_PAGE_PATH  # relative: no base URL configured
    session_secret_name: str = ""

    @model_validator(mode="after")
    def _sender_for_ses(self) -> Self:
        if self.notifier == "ses" and "@" not in self.notify_sender:
            raise ValueError("NOTIFIER=ses needs NOTIFY_SENDER, a verified SES sender address")
        return self


class ShipmentWatchConfig(FromEnv):
    """functions/shipment_watch: late outbound parcels, their customers told once."""

    table_name: str = Field(min_length=3)
    idempotency_table_name: str = ""
    notifier: Literal["sandbox", "ses"] = "sandbox"
    notify_sender: str = ""
    ses_configuration_set: str = ""
    template_cache_seconds: int = Field(default=300, ge=0)
    tracking_link_template: str = TRACKING_PAGE_PATH  # relative: no base URL configured
    session_secret_name: str = ""

    @model_validator(mode="after")
    def _sender_for_ses(self) -> Self:
        if self.notifier == "ses" and "@" not in self.notify_sender:
            raise ValueError("NOTIFIER=ses needs NOTIFY_SENDER, a verified SES sender address")
        return self


class OutboxPublisherConfig(FromEnv):
    event_bus_name: str = Field(min_length=1)
    # Set: a `return.requested` also (re)starts the return's workflow, named by the RMA, so a start
    # the storefront could not make is made here; a duplicate start is refused by Step Functions.
    state_machine_arn: str = ""


class WebhookDeliveryConfig(FromEnv):
    table_name: str = Field(min_length=3)
    queue_url: str = Field(min_length=1)
    event_bus_name: str = Field(min_length=1)
    timeout_seconds: float = Field(default=5.0, gt=0, le=30)
    give_up_after_seconds: int = Field(default=24 * 3600, ge=60)


class WebhookAdminConfig(FromEnv):
    table_name: str = Field(min_length=3)
    queue_url: str = Field(min_length=1)
    secrets_prefix: str = Field(default="boomerang/webhooks/", min_length=1)


class LakeRecordsConfig(FromEnv):
    table_name: str = Field(min_length=3)


class KlaviyoConfig(FromEnv):
    table_name: str = Field(min_length=3)
    # Empty in AWS (the SDK's own host); the local stack and tests point it at a local server.
    api_host: str = ""
    max_retries: int = Field(default=2, ge=0, le=5)
    max_delay_seconds: int = Field(default=5, ge=1, le=60)


class EmailFeedbackConfig(FromEnv):
    """functions/ses_feedback: SES bounces and complaints, through SNS."""

    table_name: str = Field(min_length=3)


class ShopifyWebhookConfig(FromEnv):
    table_name: str = Field(min_length=3)
    # Shopify caps a webhook payload well under this; larger is not Shopify.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    secret_cache_seconds: int = Field(default=300, ge=0)
    # A dearer replacement's invoice paid (draft_orders/update) resumes the return's workflow.
    state_machine_arn: str = ""


class EvidenceConfig(FromEnv):
    """The evidence buckets, for every function that presigns, records or shows evidence."""

    evidence_bucket: str = ""
    # Where presigned uploads land until checked (no Object Lock); the home region's.
    evidence_quarantine_bucket: str = ""
    # JSON: hub id -> {"bucket", "region", "quarantine"} (from the CDK context `evidence_regions`).
    evidence_regional_buckets: str = ""
    aws_region: str = "us-east-1"
    # The Object Lock mode the upload check writes evidence with (CDK context `evidence_lock_mode`).
    evidence_lock_mode: Literal["GOVERNANCE", "COMPLIANCE"] = "GOVERNANCE"
    # Finance's card retry asks Stripe (boomerang.payments.secrets); empty: the sandbox adapter.
    stripe_secret_name: str = ""


class StripeWebhookConfig(FromEnv):
    table_name: str = Field(min_length=3)
    idempotency_table_name: str = Field(min_length=3)
    # The deployment's Stripe secret (boomerang.payments.secrets): its webhook_secret signs events.
    stripe_secret_name: str = Field(min_length=1)
    state_machine_arn: str = ""
    # Stripe's own limit for an event is far below this; anything larger is not Stripe.
    max_body_bytes: int = Field(default=512 * 1024, ge=1024)
    signature_tolerance_seconds: int = Field(default=300, ge=1, le=3600)
    # Shops' provider credentials (boomerang.credentials) and, in the local stack only, where the
    # providers' HTTPS requests go instead (boomerang.payments.factory).
    shop_secrets_prefix: str = Field(default=DEFAULT_SECRETS_PREFIX, min_length=1)
    payment_endpoints: str = ""


# The ticket functions.
class TicketsApiConfig(FromEnv):
    table_name: str = Field(min_length=3)
    idempotency_table_name: str = Field(min_length=3)
    session_secret_name: str = Field(min_length=1)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    api_key_cache_seconds: int = Field(default=300, ge=0)


class SystemTicketsConfig(FromEnv):
    # One ticket per source event is kept by a conditional write on the table itself.
    table_name: str = Field(min_length=3)


class FxRatesConfig(FromEnv):
    table_name: str = Field(min_length=3)
    rates_url: str = Field(default="https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml")
    fetch_timeout_seconds: float = Field(default=10, gt=0, le=25)
