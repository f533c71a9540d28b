"""What Boomerang asks of a notification channel, and how a channel says it could not send.

A side channel never stalls a return: a channel that is unavailable for now (throttled, a 5xx, no
answer) raises NotificationUnavailable and the state machine asks the notify step again with
backoff; one that refuses the message (SES in its sandbox with an unverified recipient, a paused
account) raises NotificationRefused. Either way, in the end the failure is written on the return's
timeline and the return moves on (services/workflow/lifecycle.py)."""

from __future__ import annotations

from typing import Protocol

from boomerang.domain.errors import DomainError
from boomerang.domain.models import Return
from boomerang.notify.messages import Message


class Notifier(Protocol):
    def send(self, ret: Return, message: Message) -> str:
        """Send to the return's customer; the channel's message id."""
        ...


class NotificationUnavailable(DomainError):
    """The channel could not send now; the same message may be sent later. Its message names the
    channel's error code only, never an address."""

    code = "notification_unavailable"
    http_status = 503


class NotificationRefused(DomainError):
    """The channel refused this message for good (e.g. SES's sandbox: the recipient is not a
    verified identity). Its message names the channel's error code only, never an address."""

    code = "notification_refused"
    http_status = 502
