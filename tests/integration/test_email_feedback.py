"""SES bounces and complaints through functions/ses_feedback (SNS records, DynamoDB Local): a
permanent bounce or a complaint suppresses the customer's address and says so once on the return's
timeline; a transient bounce changes nothing; the SES notifier then sends that customer nothing."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from boomerang.domain.models import Return
from boomerang.notify.messages import Message
from boomerang.notify.ses import SUPPRESSED, SesNotifier
from boomerang.services.customers import customer_ref
from boomerang.store.records import Repository
from boomerang.store.suppressions import SuppressionStore
from boomerang.store.templates import TemplateOverrides
from local.apigw_events import LambdaContext
from tests.integration.test_privacy import SHOP, _order, _return

SAMPLES = Path(__file__).resolve().parents[2] / "events" / "samples" / "ses"


@pytest.fixture(scope="module")
def feedback(local_aws: Any) -> ModuleType:
    return importlib.import_module("functions.ses_feedback.handler")


def sns(name: str, rma: str) -> dict[str, Any]:
    message = json.loads((SAMPLES / f"{name}.json").read_text())
    message["mail"]["tags"]["rma"] = [rma]
    return {
        "Records": [
            {"EventSource": "aws:sns", "Sns": {"Type": "Notification", "Message": json.dumps(message)}}
        ]
    }


def a_return(repo: Repository, email: str) -> Return:
    return _return(repo, _order(repo, email, 2000, payment="pi_feedback_1"), "size_too_small")


@pytest.mark.parametrize(("sample", "reason"), [("bounce_permanent", "bounce"), ("complaint", "complaint")])
def test_a_bounce_or_complaint_suppresses_the_address_and_notes_it_once(
    feedback: ModuleType, repo: Repository, sample: str, reason: str
) -> None:
    email = f"{sample}.{id(repo)}@example.com"
    ret = a_return(repo, email)
    context = LambdaContext(function_name="ses_feedback")
    assert feedback.handler(sns(sample, ret.rma), context) == {"suppressed": 1}
    assert feedback.handler(sns(sample, ret.rma), context) == {"suppressed": 1}  # SNS redelivers
    assert SuppressionStore(repo.table, repo.ddb).suppressed(SHOP, customer_ref(SHOP, email))
    after, timeline = repo.get_return(ret.rma)
    notes = [e for e in timeline if e.event == "customer.email_suppressed"]
    assert len(notes) == 1 and after.status is ret.status
    assert email not in json.dumps([e.model_dump(mode="json") for e in timeline])
    events = repo.ddb.query(
        TableName=repo.table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"OUTBOX#{ret.rma}"}},
    )["Items"]
    suppressed = [e for e in events if "customer.email_suppressed" in json.dumps(e)]
    assert suppressed and reason in json.dumps(suppressed[0]) and email not in json.dumps(events)


def test_a_transient_bounce_changes_nothing(feedback: ModuleType, repo: Repository) -> None:
    email = f"transient.{id(repo)}@example.com"
    ret = a_return(repo, email)
    assert feedback.handler(sns("bounce_transient", ret.rma), LambdaContext(function_name="f")) == {
        "ignored": 1
    }
    assert not SuppressionStore(repo.table, repo.ddb).suppressed(SHOP, customer_ref(SHOP, email))


def test_an_unknown_return_is_acknowledged(feedback: ModuleType) -> None:
    assert feedback.handler(sns("complaint", "AAA-AAA-AAA"), LambdaContext(function_name="f")) == {
        "unknown_return": 1
    }


class RecordingSes:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_email(self, **request: Any) -> dict[str, str]:
        self.sent.append(request)
        return {"MessageId": f"m-{len(self.sent)}"}


def test_the_notifier_tags_each_mail_and_sends_a_suppressed_customer_nothing(repo: Repository) -> None:
    email = f"tagged.{id(repo)}@example.com"
    ret = a_return(repo, email)
    ses = RecordingSes()
    suppressions = SuppressionStore(repo.table, repo.ddb)
    notifier = SesNotifier(
        repo, TemplateOverrides(repo.table, repo.ddb), "returns@shop.example", ses=ses,
        configuration_set="Boomerang-customer-email", suppressions=suppressions,
    )  # fmt: skip
    message = Message(template="return.approved", locale="en", subject="s", body="b", values={})
    assert notifier.send(ret, message) == "m-1"
    assert ses.sent[0]["EmailTags"] == [{"Name": "rma", "Value": ret.rma}]
    assert ses.sent[0]["ConfigurationSetName"] == "Boomerang-customer-email"
    suppressions.suppress(SHOP, customer_ref(SHOP, email), "bounce", ret.rma, ret.created_at)
    assert notifier.send(ret, message) == SUPPRESSED and len(ses.sent) == 1
