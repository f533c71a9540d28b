"""A side channel that failed, on the return's timeline (issue 14): emails record their own
failures (boomerang.services.workflow.lifecycle); this is for the channels that read the outbox
outside the execution, Klaviyo and outbound webhooks. Neither ever stalls or fails a return: they
run from their queues, retried there, and what could not be delivered is said here once per
channel and event, as a timeline entry only. No outbox event: one would be forwarded to the very
channels that failed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from boomerang.domain.errors import DomainError, NotFound
from boomerang.domain.models import TimelineEntry
from boomerang.services.retry import retry_stale
from boomerang.store.records import Repository, ReturnChange

log = logging.getLogger(__name__)
EVENT = "side_channel.failed"


class SideChannelFailures:
    def __init__(self, repo: Repository, clock: Callable[[], datetime]):
        self.repo = repo
        self.clock = clock

    def note(self, rma: object, channel: str, event_type: str, event_id: str, what: str) -> bool:
        """Say on return `rma` that `event_type` (outbox event `event_id`) did not reach `channel`:
        `what` says what happened and what follows (no address, no receiver's answer body). False
        where there is no such return or it was said already; never raises: the channel's own retry
        and dead-letter handling go on whatever this does."""
        if not isinstance(rma, str) or not rma:
            return False
        try:
            return self._note(rma, channel, event_type, event_id, what)
        except (NotFound, DomainError):
            return False
        except Exception:
            log.exception("side-channel failure not noted", extra={"rma": rma, "channel": channel})
            return False

    @retry_stale
    def _note(self, rma: str, channel: str, event_type: str, event_id: str, what: str) -> bool:
        ret, timeline = self.repo.get_return(rma)
        marker = f"[{channel} {event_id}]"
        if any(e.event == EVENT and e.message.endswith(marker) for e in timeline):
            return False
        now = self.clock()
        noted = ret.model_copy(update={"version": ret.version + 1, "updated_at": now})
        message = f"{channel}: the {event_type} event was not delivered ({what[:200]}); the return goes on."
        entry = TimelineEntry(
            version=noted.version,
            at=now,
            status=ret.status,
            event=EVENT,
            message=f"{message} {marker}",
            actor=channel.lower(),
        )
        self.repo.save(ReturnChange(noted, ret.version, [entry], []))
        return True
