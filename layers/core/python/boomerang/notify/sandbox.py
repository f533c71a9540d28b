"""A channel that sends nothing and keeps what it would have sent: for local runs and tests."""

from __future__ import annotations

from boomerang.domain.models import Return
from boomerang.notify.messages import Message


class SandboxNotifier:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Message]] = []

    def send(self, ret: Return, message: Message) -> str:
        self.sent.append((ret.rma, message))
        return f"sandbox-{ret.rma}-{ret.version}-{message.template}"
