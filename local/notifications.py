"""Customer emails on the local stack: SES is moto's (in this process, on its server), the
template's AWS::SES::EmailIdentity senders are verified there, and what was sent can be read back
(tests, and `POST /local/mails` for the demo), since moto keeps every sent message.

    POST /local/mails {"to": "ada@example.com"}  -> {"mails": [{"to", "from", "subject", "body"}]}
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
        module.workflow.notifier = notifier_from(config, module.repo)


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

    return {"/local/mails": mails}
