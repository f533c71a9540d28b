"""Customer emails in the template: with a sender, the notify task sends through SES from that
identity only, once per mail (the idempotency table); without one, nothing of SES exists."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Annotations, Match

from tests.infra.conftest import Synthesized, synthesize

pytestmark = pytest.mark.infra

SENDER = "returns@shop.example"


@pytest.fixture(scope="module")
def with_sender() -> Synthesized:
    return synthesize(notify_sender=SENDER)


def notify_function(synthesized: Synthesized) -> dict[str, Any]:
    found = [
        r["Properties"]
        for r in synthesized.of_type("AWS::Lambda::Function").values()
        if r["Properties"].get("Handler") == "handler.notify"
    ]
    assert len(found) == 1
    return found[0]


def test_the_sender_is_an_ses_identity_the_notify_task_and_evidence_check_alone_send_from(
    with_sender: Synthesized,
) -> None:
    identities = with_sender.of_type("AWS::SES::EmailIdentity")
    assert [r["Properties"]["EmailIdentity"] for r in identities.values()] == [SENDER]
    props = notify_function(with_sender)
    variables = props["Environment"]["Variables"]
    assert (variables["NOTIFIER"], variables["NOTIFY_SENDER"]) == ("ses", SENDER)
    assert "IDEMPOTENCY_TABLE_NAME" in variables
    sends = [s for s in with_sender.role_statements(props) if "ses:SendEmail" in json.dumps(s["Action"])]
    assert len(sends) == 1
    # arn:...:identity/<Ref of the identity>, i.e. that one sender.
    resource = json.dumps(sends[0]["Resource"])
    assert ':identity/", {"Ref": "' + next(iter(identities)) + '"}' in resource
    # The evidence check tells a customer of a refused upload, through the same sender.
    _, evidence = with_sender.function("evidence_uploaded")
    assert (
        evidence["Environment"]["Variables"]["NOTIFIER"],
        evidence["Environment"]["Variables"]["NOTIFY_SENDER"],
    ) == (
        "ses",
        SENDER,
    )
    # Outbound parcels' messages (issue 21): the carrier webhooks (delivered, exception) through
    # the same sender; the delay watch (a nested stack's function) is granted there.
    _, carriers = with_sender.function("webhooks_carriers")
    assert carriers["Environment"]["Variables"]["NOTIFIER"] == "ses"
    # No other function may send mail.
    for other in with_sender.of_type("AWS::Lambda::Function").values():
        if all(other["Properties"] is not mine for mine in (props, evidence, carriers)):
            statements = json.dumps(with_sender.role_statements(other["Properties"]))
            assert "ses:SendEmail" not in statements


def test_still_clean_under_cdk_nag(with_sender: Synthesized) -> None:
    annotations = Annotations.from_stack(with_sender.stack)
    assert annotations.find_error("*", Match.string_like_regexp("AwsSolutions-.*")) == []
    assert annotations.find_warning("*", Match.string_like_regexp("AwsSolutions-.*")) == []


def test_without_a_sender_the_workflow_keeps_the_sandbox(synthesized: Synthesized) -> None:
    assert synthesized.of_type("AWS::SES::EmailIdentity") == {}
    assert "NOTIFIER" not in notify_function(synthesized)["Environment"]["Variables"]
