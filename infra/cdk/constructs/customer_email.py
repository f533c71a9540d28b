"""Customer notifications by email: the return workflow's notify step sends through Amazon SES.

- The identity: with a domain (`-c notify_domain=shop.example`), an SES domain identity with Easy
  DKIM (three CNAME records to publish, listed in the console and by `aws sesv2
  get-email-identity`), any address of which may send; without one, the sender address's own
  email identity (SES mails it a verification link once).
- A configuration set every mail is sent with: it keeps reputation metrics and publishes bounces
  and complaints to an SNS topic (KMS-encrypted, TLS only).
- functions/ses_feedback, subscribed to the topic: a permanent bounce or a complaint marks the
  customer's address suppressed and adds a timeline entry (boomerang.services.email_feedback). SNS
  invokes it asynchronously: a failed invocation is retried twice, then parked in an on-failure
  queue that alarms.

The notify function gets `NOTIFIER=ses`, the sender, the configuration set, the idempotency table
(each return's mail for a status goes out once) and `ses:SendEmail` from that identity and
configuration set only. Templates are in the library (boomerang/notify/templates) with per-shop
overrides in the data table. A new account's SES is in its sandbox: docs/EMAIL.md says how to
leave it before going live.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.cdk.constructs.data_table import DataTables
from infra.cdk.constructs.event_bus import dead_letter_queue
from infra.cdk.constructs.lambda_function import BoomerangFunction, LayerSource

FEEDBACK_SERVICE = "ses_feedback"


class CustomerEmail(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        notify_function: lambda_.Function,
        tables: DataTables,
        sender: str,
        domain: str | None = None,
        feedback_code_dir: Path | None = None,
        layer: LayerSource | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.configuration_set = ses.ConfigurationSet(
            self,
            "ConfigurationSet",
            reputation_metrics=True,
            sending_enabled=True,
            # SES's account-level list also refuses these addresses: a second guard.
            suppression_reasons=ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
        )
        if domain:
            self.identity = ses.EmailIdentity(
                self,
                "Domain",
                identity=ses.Identity.domain(domain),
                dkim_signing=True,
                configuration_set=self.configuration_set,
            )
        else:
            self.identity = ses.EmailIdentity(
                self, "Sender", identity=ses.Identity.email(sender), configuration_set=self.configuration_set
            )

        self.sender = sender
        self.tables = tables
        self.configuration_set_arn = stack.format_arn(
            service="ses",
            resource="configuration-set",
            resource_name=self.configuration_set.configuration_set_name,
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        self.grant_send(notify_function)

        # Bounces and complaints -> SNS -> the feedback function.
        self.key = kms.Key(
            self, "FeedbackKey", enable_key_rotation=True, description="Boomerang SES feedback topic"
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                principals=[iam.ServicePrincipal("ses.amazonaws.com")],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )
        self.topic = sns.Topic(
            self, "Feedback", display_name="Boomerang SES bounces and complaints", master_key=self.key,
            enforce_ssl=True,
        )  # fmt: skip
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["sns:Publish"],
                principals=[iam.ServicePrincipal("ses.amazonaws.com")],
                resources=[self.topic.topic_arn],
                conditions={"StringEquals": {"AWS:SourceAccount": stack.account}},
            )
        )
        self.configuration_set.add_event_destination(
            "BouncesAndComplaints",
            destination=ses.EventDestination.sns_topic(self.topic),
            events=[ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT],
        )
        self.feedback_function: lambda_.Function | None = None
        if feedback_code_dir is None or layer is None:
            return
        self.failures = dead_letter_queue(
            self, "FeedbackFailures", "of SES feedback the function could not apply"
        )
        made = BoomerangFunction(
            self,
            "FeedbackFunction",
            code_dir=feedback_code_dir,
            handler="handler.handler",
            description="Boomerang SES bounces and complaints: suppress the address, note it on the return",
            layer=layer,
            environment={"TABLE_NAME": tables.table.table_name, "POWERTOOLS_SERVICE_NAME": FEEDBACK_SERVICE},
            timeout_seconds=30,
        )
        self.feedback_function = made.function
        tables.grant_request_path_access(made.role)
        made.function.configure_async_invoke(
            on_failure=destinations.SqsDestination(self.failures),
            retry_attempts=2,
            max_event_age=Duration.hours(6),
        )
        # What SNS could not deliver lands in the same alarmed queue as what the function failed to apply.
        self.topic.add_subscription(
            subscriptions.LambdaSubscription(made.function, dead_letter_queue=self.failures)
        )
        cloudwatch.Alarm(
            self,
            "FeedbackNotApplied",
            alarm_description="SES bounce or complaint feedback was not applied: see the on-failure queue.",
            metric=self.failures.metric_approximate_number_of_messages_visible(period=Duration.minutes(5)),
            threshold=1,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    def grant_send(self, function: lambda_.Function) -> None:
        """A function that emails customers (the notify step; the evidence check's refusals): the
        sender, the configuration set, the idempotency table (each mail once) and `ses:SendEmail`
        from this identity and configuration set only."""
        function.add_environment("NOTIFIER", "ses")
        function.add_environment("NOTIFY_SENDER", self.sender)
        function.add_environment("SES_CONFIGURATION_SET", self.configuration_set.configuration_set_name)
        function.add_environment("IDEMPOTENCY_TABLE_NAME", self.tables.idempotency_table.table_name)
        self.tables.grant_idempotency_access(function)
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["ses:SendEmail"],
                resources=[self.identity.email_identity_arn, self.configuration_set_arn],
            )
        )
