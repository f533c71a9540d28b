"""Customer emails on the local stack: SES is moto's (in this process, on its server), the
template's AWS::SES::EmailIdentity senders are verified there, and what was sent can be read back
(tests, and `POST /local/mails` for the demo), since moto keeps every sent message.

    POST /local/mails {"to": "ada@example.com"}  -> {"mails": [{"to", "from", "subject", "body"}]}

SES's sandbox (a new account's) refuses mail to any recipient that is not a verified identity, with
MessageRejected. moto does not check recipients, so `ses_sandbox` does what SES would for the
addresses it is given: `POST /local/ses/unverified {"address": "..."}` makes SES refuse that
customer's mail as the sandbox would (the demo's SES-failure journey).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import boto3
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from boomerang.config import WorkflowConfig
from boomerang.notify.factory import notifier_from
from local.environment import REGION
from local.from_template import function_specs, resolve

Simulation = Callable[[dict[str, Any]], tuple[int, Any]]


def start_ses(
    template: dict[str, Any], moto_endpoint: str, physical: dict[str, str] | None = None
) -> list[str]:
    """Point SES at moto's server and verify the template's sender identities (the senders are
    answered); create its configuration sets, named in `physical` for the functions' environment."""
    os.environ["AWS_ENDPOINT_URL_SES"] = moto_endpoint
    os.environ["AWS_ENDPOINT_URL_SESV2"] = moto_endpoint
    senders = [
        str(resource["Properties"]["EmailIdentity"])
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::SES::EmailIdentity"
    ]
    ses = boto3.client("ses", endpoint_url=moto_endpoint)
    for sender in senders:
        ses.verify_email_identity(EmailAddress=sender)
    sesv2 = boto3.client("sesv2", endpoint_url=moto_endpoint)
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::SES::ConfigurationSet":
            name = f"{logical_id}-local"
            sesv2.create_configuration_set(ConfigurationSetName=name)
            if physical is not None:
                physical[logical_id] = name
    return senders


def give_notify_its_environment(
    template: dict[str, Any], modules: dict[str, Any], physical: dict[str, str]
) -> None:
    """In AWS each task function has its own environment and only the notify task's names SES;
    locally the task functions share one module, imported once. So the notify task's channel is
    built here from that function's own environment, as its Lambda would build it."""
    for logical_id, spec in function_specs(template).items():
        if spec.attribute != "notify" or logical_id not in modules:
            continue
        env = {k.lower(): str(resolve(template, v, physical)) for k, v in spec.environment.items()}
        config = WorkflowConfig.model_validate(
            {k: v for k, v in env.items() if k in WorkflowConfig.model_fields}
        )
        module = modules[logical_id]
        notifier = notifier_from(config, module.repo)
        if hasattr(notifier, "_ses"):  # SES: refusing what its sandbox would (UNVERIFIED)
            notifier._ses = ses_sandbox(boto3.client("sesv2"))
        module.workflow.notifier = notifier


# Recipients the local SES refuses as its sandbox would (addresses never verified).
UNVERIFIED: set[str] = set()


def ses_sandbox(client: Any, unverified: set[str] | None = None) -> Any:
    """`client` (sesv2) refusing SendEmail to `unverified` addresses with SES's own error, through
    botocore's event hooks, so the SDK raises the ClientError SES's sandbox makes it raise."""
    from botocore.awsrequest import AWSResponse

    refused = UNVERIFIED if unverified is None else unverified

    def keep_recipients(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["recipients"] = list((params.get("Destination") or {}).get("ToAddresses") or [])

    def refuse(context: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]] | None:
        if not any(r in refused for r in context.get("recipients", [])):
            return None
        error = {
            "Code": "MessageRejected",
            "Message": "Email address is not verified. The following identities failed the check in "
            f"region {REGION.upper()}: {', '.join(context['recipients'])}",
        }
        return AWSResponse("", 400, {}, None), {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}

    client.meta.events.register("before-parameter-build.sesv2.SendEmail", keep_recipients)
    client.meta.events.register("before-call.sesv2.SendEmail", refuse)
    return client


def sent_mails(to: str | None = None) -> list[dict[str, str]]:
    """Every mail moto's SES accepted (oldest first), optionally only those to one address."""
    backend = ses_backends[DEFAULT_ACCOUNT_ID][REGION]
    mails = [
        {
            "id": message.id,
            "to": ", ".join(message.destinations.get("ToAddresses", [])),
            "from": message.source,
            "subject": message.subject,
            "body": message.body,
        }
        for message in backend.sent_messages
        if hasattr(message, "subject")
    ]
    return [m for m in mails if to is None or to in m["to"].split(", ")]


def mail_routes() -> dict[str, Simulation]:
    def mails(body: dict[str, Any]) -> tuple[int, Any]:
        to = body.get("to")
        return 200, {"mails": sent_mails(str(to) if to else None)}

    def unverified(body: dict[str, Any]) -> tuple[int, Any]:
        address = str(body.get("address") or "")
        if "@" not in address:
            return 400, {"error": {"code": "validation_failed", "message": "address: an email address"}}
        UNVERIFIED.add(address)
        return 200, {"unverified": sorted(UNVERIFIED)}

    return {"/local/mails": mails, "/local/ses/unverified": unverified}
