"""Lifecycle: what the state machine does around every phase. Holding a wait's task token, a wait
running out (expire, escalate), telling the customer, closing, and recording a failed step."""

from __future__ import annotations

from typing import Any

from boomerang.domain.models import Failure, TimelineEntry, Wait
from boomerang.domain.status import ReturnStatus
from boomerang.notify.messages import message_for
from boomerang.notify.port import NotificationRefused
from boomerang.notify.templates import language_for
from boomerang.services.retry import retry_stale
from boomerang.services.workflow.core import WAIT_FROM, Phase, S
from boomerang.services.workflow.difference import awaiting_payment
from boomerang.store.records import Event, ReturnChange


class LifecyclePhase(Phase):
    @retry_stale
    def hold(self, rma: str, wait: Wait, token: str) -> None:
        """Keep the task token on the return until the news comes; if it came already, resume now."""
        ret = self.core.get(rma)
        if ret.status not in WAIT_FROM[wait] or (wait is Wait.PAYMENT and not awaiting_payment(ret)):
            self.core.engine.resume(token, {"rma": rma, "status": ret.status.value})
            return
        held = ret.model_copy(
            update={
                "waiting_for": wait,
                "task_token": token,
                "version": ret.version + 1,
                "updated_at": self.core.clock(),
            }
        )
        self.core.repo.save(ReturnChange(held, ret.version, [], []))

    @retry_stale
    def notify(self, rma: str, announce: ReturnStatus | None = None) -> dict[str, Any]:
        """Tell the customer of `announce` (or of where the return stands now). The state machine
        names the status it announces, so news that moved the return on meanwhile does not
        swallow the message. The timeline records each sending: a retried step sends nothing again."""
        ret, timeline = self.core.repo.get_return(rma)
        status = announce or ret.status
        event = f"customer.notified.{status.value}"
        if any(entry.event == event for entry in timeline) or status not in {e.status for e in timeline}:
            return {"rma": rma, "status": ret.status.value, "notified": False}
        reason = next(
            (
                e.message.removeprefix("Rejected by staff: ")
                for e in reversed(timeline)
                if e.status is S.REJECTED
            ),
            None,
        )
        # The customer's language: the order's, else the one the return was requested in (the shop's
        # default where the request named none); the channel renders the same one (notify/ses.py).
        order = self.core.repo.get_order(ret.shop, ret.order_id)
        language = language_for(order.locale, ret.locale)
        announced = ret.model_copy(update={"status": status})
        message = message_for(announced, reason, language=language, order_number=order.order_number)
        if message is None:
            return {"rma": rma, "status": ret.status.value, "notified": False}
        # The subject as sent, in the language sent: the channel's own composition where it has one
        # (a shop's override of the text), else the message as given.
        compose = getattr(self.core.notifier, "compose", None)
        sent = compose(ret, message) if compose is not None else None
        subject = sent.subject if sent is not None else message.subject
        sent_in = sent.language if sent is not None else message.locale
        try:
            message_id = self.core.notifier.send(ret, message)
        except NotificationRefused as exc:
            # For good: on the timeline, and the return moves on. (NotificationUnavailable goes to
            # the state machine, which asks again with backoff before it records the failure.)
            return self.notification_failed(rma, status, exc.message)
        entry = TimelineEntry(
            version=ret.version + 1,
            at=self.core.clock(),
            status=ret.status,
            event=event,
            message=f"Customer told ({sent_in}): {subject}",
            actor="workflow",
        )
        noted = ret.model_copy(update={"version": ret.version + 1, "updated_at": entry.at})
        data = {"rma": rma, "template": message.template, "message_id": message_id, "language": sent_in}
        self.core.repo.save(ReturnChange(noted, ret.version, [entry], [Event("customer.notified", data)]))
        return {"rma": rma, "status": ret.status.value, "notified": True}

    @retry_stale
    def notification_failed(self, rma: str, announce: ReturnStatus | None, error: str) -> dict[str, Any]:
        """The customer could not be told of `announce`: say so on the timeline (once per status),
        with a `customer.notification_failed` event, and let the return move on. `error` is the
        channel's error code or the step's error name, never an address."""
        ret, timeline = self.core.repo.get_return(rma)
        status = announce or ret.status
        event = f"customer.notification_failed.{status.value}"
        answer = {"rma": rma, "status": ret.status.value, "notified": False}
        if any(entry.event in (event, f"customer.notified.{status.value}") for entry in timeline):
            return answer
        entry = TimelineEntry(
            version=ret.version + 1,
            at=self.core.clock(),
            status=ret.status,
            event=event,
            message=f"The customer could not be emailed about '{status.value}' ({error[:200]}); "
            "the return goes on.",
            actor="workflow",
        )
        noted = ret.model_copy(update={"version": ret.version + 1, "updated_at": entry.at})
        data = {"rma": rma, "channel": "email", "template": f"return.{status.value}", "error": error[:200]}
        self.core.repo.save(
            ReturnChange(noted, ret.version, [entry], [Event("customer.notification_failed", data)])
        )
        return answer

    @retry_stale
    def close(self, rma: str) -> dict[str, Any]:
        ret = self.core.get(rma)
        if ret.status is not S.CLOSED:
            ret = self.core.move(ret, S.CLOSED, "Return closed.", "workflow")
        return {"rma": rma, "status": ret.status.value}

    @retry_stale
    def expire(self, rma: str, wait: Wait) -> dict[str, Any]:
        """A wait's time ran out where running out means the end (evidence never came, label unused)."""
        ret = self.core.get(rma)
        if ret.status in WAIT_FROM[wait] and ret.status is not S.IN_TRANSIT:
            what = (
                "The unboxing video did not arrive in time."
                if wait is Wait.EVIDENCE
                else ("The return label was not used before it expired.")
            )
            ret = self.core.move(ret, S.EXPIRED, what, "workflow", waiting_for=None, task_token=None)
        return {"rma": rma, "status": ret.status.value}

    @retry_stale
    def escalate(self, rma: str, wait: Wait) -> dict[str, Any]:
        """A wait's time ran out where a person must act: flag it, say so, and wait again."""
        ret = self.core.get(rma)
        entry = TimelineEntry(
            version=ret.version + 1,
            at=self.core.clock(),
            status=ret.status,
            event="return.escalated",
            message=f"Waiting too long for {wait.value}; escalated to staff.",
            actor="workflow",
        )
        flagged = ret.model_copy(
            update={
                "escalated": True,
                "waiting_for": None,
                "task_token": None,
                "version": ret.version + 1,
                "updated_at": entry.at,
            }
        )
        self.core.repo.save(
            ReturnChange(
                flagged,
                ret.version,
                [entry],
                [Event("return.escalated", {"rma": rma, "wait": wait.value, "status": ret.status.value})],
            )
        )
        return {"rma": rma, "status": ret.status.value}

    @retry_stale
    def record_failure(self, rma: str, step: str, error: str, cause: str) -> dict[str, Any]:
        ret = self.core.get(rma)
        failure = Failure(step=step, error=error, cause=cause[:2000], at=self.core.clock())
        entry = TimelineEntry(
            version=ret.version + 1,
            at=failure.at,
            status=ret.status,
            event="workflow.failed",
            message=f"Step '{step}' failed ({error}); staff are alerted.",
            actor="workflow",
        )
        failed = ret.model_copy(
            update={"failure": failure, "version": ret.version + 1, "updated_at": failure.at}
        )
        self.core.repo.save(
            ReturnChange(
                failed,
                ret.version,
                [entry],
                [Event("workflow.failed", {"rma": rma, "step": step, "error": error})],
            )
        )
        return {"rma": rma, "status": ret.status.value, "failed_step": step}
