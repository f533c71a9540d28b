"""What Boomerang asks of a notification channel."""

from __future__ import annotations

from typing import Protocol

from boomerang.domain.models import Return
from boomerang.notify.messages import Message


class Notifier(Protocol):
    def send(self, ret: Return, message: Message) -> str:
        """Send to the return's customer; the channel's message id."""
        ...
