"""Customer emails through Amazon SES (v2 API), in the customer's language, once per return and
template.

The address comes from the order at send time (events and workflow payloads carry ids only). The
language is the first supported one of the order's customer language (from the storefront, e.g.
Shopify's customer_locale) and the return's locale, else English. The text is the shop's override
for that language and template if the merchant stored one, else the library's
(boomerang/notify/templates/<language>.json).

Sending once: the workflow's notify step already records each notification on the timeline, but
the mail goes out before that write, so a step retried after a lost race (or the same news
delivered twice) could send again. With an idempotency table, each (shop, RMA, template) is sent
through Powertools idempotency: a second attempt gets the first one's message id and sends nothing.

A customer whose address bounced permanently or complained (services/email_feedback) gets no more
email: `send` answers "suppressed" and SES is not asked. Each mail carries the return's RMA as an
SES message tag, which is how SES's bounce and complaint events find the return again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import boto3

from boomerang.domain.models import Return
from boomerang.notify.messages import Message
from boomerang.notify.port import NotificationRefused, NotificationUnavailable
from boomerang.notify.templates import EmailTemplate, catalogue, language_for, with_label_extras
from boomerang.services.customers import customer_ref
from boomerang.store.records import Repository
from boomerang.store.suppressions import SuppressionStore
from boomerang.store.templates import TemplateOverrides
from boomerang.timeouts import AWS

SUPPRESSED = "suppressed"
# What SES accepts in a message tag's value.
_NOT_TAG = re.compile(r"[^A-Za-z0-9_.@-]")

# SES's answers that mean "not now": the step is asked again later. Any other error is a refusal.
TRANSIENT = frozenset(
    {"Throttling", "ThrottlingException", "TooManyRequestsException", "LimitExceededException",
     "InternalFailure", "InternalServiceError", "ServiceUnavailable", "ServiceUnavailableException"}
)  # fmt: skip

# A delivery retried later than this is sent again (SES itself never deduplicates).
ONCE_FOR_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class Email:
    to: str
    language: str
    template: str
    subject: str
    body: str


class SesNotifier:
    def __init__(
        self,
        repo: Repository,
        overrides: TemplateOverrides,
        sender: str,
        *,
        ses: Any | None = None,
        idempotency_table: str | None = None,
        configuration_set: str | None = None,
        suppressions: SuppressionStore | None = None,
    ):
        if not sender:
            raise ValueError("SES needs a verified sender address (NOTIFY_SENDER)")
        self.repo = repo
        self.overrides = overrides
        self.sender = sender
        self.configuration_set = configuration_set
        self.suppressions = suppressions
        self._ses = ses
        self._send_once = self._deliver
        self.idempotency_config: Any = None
        if idempotency_table:
            # Imported here: only the notify step's container pays for it.
            from aws_lambda_powertools.utilities.idempotency import (
                DynamoDBPersistenceLayer,
                IdempotencyConfig,
                idempotent_function,
            )

            store = DynamoDBPersistenceLayer(table_name=idempotency_table, boto3_client=repo.ddb)
            config = IdempotencyConfig(event_key_jmespath="key", expires_after_seconds=ONCE_FOR_SECONDS)
            self.idempotency_config = config
            self._send_once = idempotent_function(
                data_keyword_argument="mail", config=config, persistence_store=store
            )(self._deliver)

    def register_lambda_context(self, context: Any) -> None:
        """An attempt cut off by the Lambda timeout then holds the mail only until that timeout, so
        the step's retry can send it (rather than finding it "in progress" for a week)."""
        if self.idempotency_config is not None:
            self.idempotency_config.register_lambda_context(context)

    @property
    def ses(self) -> Any:
        if self._ses is None:  # made on the first mail, not at cold start
            from botocore.config import Config

            self._ses = boto3.client(
                "sesv2",
                config=Config(
                    connect_timeout=AWS.timeout_seconds,
                    read_timeout=AWS.timeout_seconds,
                    retries={"max_attempts": AWS.attempts, "mode": "standard"},
                ),
            )
        return self._ses

    def compose(self, ret: Return, message: Message) -> Email:
        order = self.repo.get_order(ret.shop, ret.order_id)
        language = language_for(order.locale, ret.locale)
        template = self._template(ret.shop, language, message.template)
        if template is None:  # a template no file has (a merchant's own status?): the message as given
            return Email(
                order.customer_email, message.locale, message.template, message.subject, message.body
            )
        values = {
            **catalogue(language).defaults,
            "order_number": order.order_number,
            **message.values,
        }
        # A refund failure names its next steps (dispute, retry, checking): that language's text.
        steps = message.values.get("next_steps")
        if steps and "options" not in message.values:
            values["options"] = values.get(f"options_{steps}", values["options"])
        # A refused upload says why in the customer's language (boomerang.domain.evidence).
        problem = message.values.get("evidence_problem")
        if problem and "reason" not in message.values:
            values["reason"] = values.get(
                f"evidence_{problem}", values.get("evidence_other", values["reason"])
            )
        subject, body = template.render(with_label_extras(values))
        return Email(order.customer_email, language, message.template, subject, body)

    def _template(self, shop: str, language: str, name: str) -> EmailTemplate | None:
        return (
            self.overrides.get(shop, language, name)
            or catalogue(language).templates.get(name)
            or catalogue("en").templates.get(name)
        )

    def send(self, ret: Return, message: Message) -> str:
        email = self.compose(ret, message)
        if self.suppressions and self.suppressions.suppressed(ret.shop, customer_ref(ret.shop, email.to)):
            return SUPPRESSED
        mail = {
            "key": f"{ret.shop}:{ret.rma}:{message.once_key or message.template}",
            "to": email.to,
            "subject": email.subject,
            "body": email.body,
            "rma": ret.rma,
        }
        result = self._send_once(mail=mail)
        return str(result["message_id"])

    def _deliver(self, mail: dict[str, str]) -> dict[str, str]:
        request: dict[str, Any] = {
            "FromEmailAddress": self.sender,
            "Destination": {"ToAddresses": [mail["to"]]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": mail["subject"], "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": mail["body"], "Charset": "UTF-8"}},
                }
            },
        }
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        if mail.get("rma"):
            request["EmailTags"] = [{"Name": "rma", "Value": _NOT_TAG.sub("_", mail["rma"])}]
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            sent = self.ses.send_email(**request)
        except ClientError as exc:
            # The code only: SES's message may quote the recipient (an unverified address, say).
            code = str(exc.response.get("Error", {}).get("Code", "ClientError"))
            if (
                code in TRANSIENT
                or int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)) >= 500
            ):
                raise NotificationUnavailable(f"SES: {code}") from None
            raise NotificationRefused(f"SES refused the email: {code}") from None
        except BotoCoreError as exc:  # no answer (connection, read timeout) after botocore's retries
            raise NotificationUnavailable(f"SES: {type(exc).__name__}") from None
        return {"message_id": str(sent["MessageId"])}
