"""SES's news about a customer email: a permanent bounce or a complaint marks the customer's
address suppressed (no further email goes to it; store.suppressions) and says so on the return's
timeline, with a `customer.email_suppressed` event (ids only). A transient bounce changes nothing:
SES retried it already, and the next email may well arrive.

The SES event (through the configuration set's SNS destination) names the return by the `rma`
message tag the SES notifier sets; the shop is the return's, the customer is the order's (found by
the one-way reference of its email). Neither the address nor SES's diagnostic text (which can quote
it) is logged or written anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from boomerang.domain.errors import NotFound
from boomerang.domain.models import TimelineEntry
from boomerang.services.customers import customer_ref
from boomerang.services.retry import retry_stale
from boomerang.store.records import Event, Repository, ReturnChange
from boomerang.store.suppressions import SuppressionStore

MESSAGES = {
    "bounce": "An email to the customer bounced permanently: no further emails are sent to that address. "
    "Reach the customer another way (a ticket, the storefront).",
    "complaint": "The customer marked an email as spam: no further emails are sent to that address.",
}


@dataclass(frozen=True)
class Feedback:
    outcome: str  # suppressed, ignored (transient, unknown type), unknown_return
    rma: str | None = None
    reason: str | None = None


def read_ses_event(event: dict[str, Any]) -> tuple[str | None, str | None]:
    """(reason, rma) of an SES event-publishing record: reason "bounce" (permanent only) or
    "complaint", else None."""
    kind = str(event.get("eventType") or event.get("notificationType") or "")
    tags = (event.get("mail") or {}).get("tags") or {}
    rma = next(iter(tags.get("rma") or []), None)
    if kind == "Bounce":
        permanent = (event.get("bounce") or {}).get("bounceType") == "Permanent"
        return ("bounce" if permanent else None), rma
    if kind == "Complaint":
        return "complaint", rma
    return None, rma


class EmailFeedback:
    def __init__(self, repo: Repository, suppressions: SuppressionStore, clock: Callable[[], datetime]):
        self.repo = repo
        self.suppressions = suppressions
        self.clock = clock

    def receive(self, event: dict[str, Any]) -> Feedback:
        reason, rma = read_ses_event(event)
        if reason is None:
            return Feedback("ignored", rma)
        if not rma:
            return Feedback("unknown_return", None, reason)
        try:
            ret, _ = self.repo.get_return(rma)
            order = self.repo.get_order(ret.shop, ret.order_id)
        except NotFound:
            return Feedback("unknown_return", rma, reason)
        now = self.clock()
        self.suppressions.suppress(ret.shop, customer_ref(ret.shop, order.customer_email), reason, rma, now)
        self._note(rma, reason, now)
        return Feedback("suppressed", rma, reason)

    @retry_stale
    def _note(self, rma: str, reason: str, now: datetime) -> None:
        ret, timeline = self.repo.get_return(rma)
        if any(e.event == "customer.email_suppressed" for e in timeline):
            return  # SNS delivers at least once; one entry is enough
        noted = ret.model_copy(update={"version": ret.version + 1, "updated_at": now})
        entry = TimelineEntry(
            version=noted.version,
            at=now,
            status=ret.status,
            event="customer.email_suppressed",
            message=MESSAGES[reason],
            actor="ses",
        )
        event = Event("customer.email_suppressed", {"rma": rma, "order_id": ret.order_id, "reason": reason})
        self.repo.save(ReturnChange(noted, ret.version, [entry], [event]))
