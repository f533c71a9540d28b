"""Customer notifications by email: the return workflow's notify step sends through Amazon SES.

The sender is an SES email identity made here (SES mails the address a verification link once;
a merchant with a verified domain identity may use any address of it). The notify function gets
`NOTIFIER=ses`, the sender, the idempotency table (each return's mail for a status goes out
once) and `ses:SendEmail` from that identity only. Templates are in the library
(boomerang/notify/templates) with per-shop overrides in the data table.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_ses as ses
from constructs import Construct

from infra.cdk.constructs.data_table import DataTables


class CustomerEmail(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        notify_function: lambda_.Function,
        tables: DataTables,
        sender: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.identity = ses.EmailIdentity(self, "Sender", identity=ses.Identity.email(sender))
        self.sender = sender
        self.tables = tables
        self.grant_send(notify_function)

    def grant_send(self, function: lambda_.Function) -> None:
        """A function that emails customers (the notify step; the evidence check's refusals)."""
        function.add_environment("NOTIFIER", "ses")
        function.add_environment("NOTIFY_SENDER", self.sender)
        function.add_environment("IDEMPOTENCY_TABLE_NAME", self.tables.idempotency_table.table_name)
        self.tables.grant_idempotency_access(function)
        function.add_to_role_policy(
            iam.PolicyStatement(actions=["ses:SendEmail"], resources=[self.identity.email_identity_arn])
        )
