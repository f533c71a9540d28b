"""Side channels never stall a return, and their failures end up on its timeline (issue 14): a
Klaviyo call refused, or an outbound webhook given up on, is said once on the return it was about,
as a timeline entry only (no outbox event, which those channels would forward again); the return's
status and its workflow are untouched, and the channel's own retries go on. The functions' wiring:
test_klaviyo::test_a_klaviyo_call_that_fails_goes_back_to_its_queue_and_onto_the_timeline_once,
test_outbound_webhooks::test_a_webhook_given_up_on_is_parked_and_said_on_the_timeline. (Emails: the
notify step, test_label_journeys::test_ses_refusing_every_mail_leaves_the_return_moving_to_its_refund.)"""

from __future__ import annotations

from datetime import UTC, datetime

from boomerang.services.side_channels import EVENT, SideChannelFailures
from boomerang.store.records import Repository
from tests.integration.test_workflow_service import new_return


def _events(repo: Repository, rma: str) -> list[str]:
    return [e.event for e in repo.get_return(rma)[1]]


def test_a_failure_is_said_once_per_channel_and_event_and_changes_nothing_else(repo: Repository) -> None:
    ret = new_return(repo)
    failures = SideChannelFailures(repo, lambda: datetime.now(UTC))
    assert failures.note(ret.rma, "Klaviyo", "return.approved", f"{ret.rma}:2:0", "ApiException; retried")
    assert not failures.note(ret.rma, "Klaviyo", "return.approved", f"{ret.rma}:2:0", "again")  # once
    assert failures.note(ret.rma, "Webhook", "return.approved", f"{ret.rma}:2:0", "HTTP 500; parked")
    after, timeline = repo.get_return(ret.rma)
    noted = [e for e in timeline if e.event == EVENT]
    assert [e.actor for e in noted] == ["klaviyo", "webhook"]
    assert noted[0].message.startswith("Klaviyo: the return.approved event was not delivered (ApiException")
    assert after.status is ret.status and after.task_token == ret.task_token
    assert not failures.note("NOT-A-RETURN", "Klaviyo", "return.approved", "x", "y")  # never raises
    assert not failures.note(None, "Klaviyo", "return.approved", "x", "y")  # an event without an rma
