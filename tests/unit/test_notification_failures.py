"""SES's answers as the notify step sees them: "not now" (throttled, 5xx, no answer) is
NotificationUnavailable, which the state machine retries; a refusal (SES's sandbox: the recipient
is not verified) is NotificationRefused, recorded on the timeline. Neither carries the address."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from boomerang.notify.port import NotificationRefused, NotificationUnavailable
from boomerang.notify.ses import SesNotifier

MAIL = {
    "key": "demo:K7Q:return.label_issued",
    "to": "anna@example.com",
    "subject": "S",
    "body": "B",
    "rma": "K7Q",
}


class NoRepo:
    table = "t"
    ddb = None


def notifier(client: Any) -> SesNotifier:
    return SesNotifier(NoRepo(), None, "returns@shop.example", ses=client)  # type: ignore[arg-type]


def stubbed(code: str, status: int, message: str) -> tuple[Any, Stubber]:
    client = boto3.client("sesv2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    stub.add_client_error(
        "send_email", service_error_code=code, service_message=message, http_status_code=status
    )
    stub.activate()
    return client, stub


def test_the_sandbox_refusing_a_recipient_is_a_refusal_without_the_address() -> None:
    client, _ = stubbed(
        "MessageRejected",
        400,
        "Email address is not verified. The following identities failed: anna@example.com",
    )
    with pytest.raises(NotificationRefused) as refused:
        notifier(client)._deliver(MAIL)
    assert "MessageRejected" in str(refused.value) and "anna@example.com" not in str(refused.value)


@pytest.mark.parametrize(("code", "status"), [("TooManyRequestsException", 429), ("InternalFailure", 500)])
def test_throttling_and_server_errors_are_retried_later(code: str, status: int) -> None:
    client, _ = stubbed(code, status, "slow down")
    with pytest.raises(NotificationUnavailable) as unavailable:
        notifier(client)._deliver(MAIL)
    assert code in str(unavailable.value)


def test_a_sent_mail_answers_its_message_id() -> None:
    client = boto3.client("sesv2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    stub.add_response("send_email", {"MessageId": "0100018f-abc"})
    stub.activate()
    assert notifier(client)._deliver(MAIL) == {"message_id": "0100018f-abc"}
