"""The customer's messages about an outbound parcel (delayed, exception, delivered), in their
language, each sent once per parcel and kind.

Once: the parcel's record claims the message (its `notices`) in the same transaction as the
`shipment.*` event (services/shipments); the send follows, and SES's own idempotency key
(`<shop>:<parcel>:<notice>`) keeps a retried send from mailing twice. The text is the shop's
override for that language and template where it stored one (`boomerang templates set`), else the
library's (notify/templates/<language>.json).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from boomerang.domain.models import Order
from boomerang.notify.templates import catalogue, language_for, render


@dataclass(frozen=True)
class ShipmentMessage:
    template: str  # shipment.delayed | shipment.exception | shipment.delivered
    language: str
    subject: str
    body: str
    once_key: str  # <shop>:<parcel_id>:<notice>
    values: dict[str, str] = field(default_factory=dict)


def compose(order: Order, template: str, once_key: str, values: dict[str, str]) -> ShipmentMessage:
    """The library's text in the order's language (English where we have none)."""
    language = language_for(order.locale)
    filled = {"order_number": order.order_number, **values}
    rendered = render(language, template, filled)
    if rendered is None:  # pragma: no cover - every language file has the shipment templates
        raise ValueError(f"no template {template}")
    return ShipmentMessage(template, language, rendered[0], rendered[1], once_key, filled)


class ShipmentNotifier(Protocol):
    def send(self, order: Order, message: ShipmentMessage) -> str:
        """Send to the order's customer; the channel's message id."""
        ...


class SandboxShipmentNotifier:
    """Sends nothing, keeps what it would have sent (local runs, tests)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, ShipmentMessage]] = []

    def send(self, order: Order, message: ShipmentMessage) -> str:
        self.sent.append((order.order_id, message))
        return f"sandbox-{message.once_key}"


class SesShipmentNotifier:
    """Through the returns' SES channel (notify/ses.py): its sender, overrides, suppressions and
    send-once store."""

    def __init__(self, ses: Any):
        self.ses = ses  # a boomerang.notify.ses.SesNotifier

    def send(self, order: Order, message: ShipmentMessage) -> str:
        from boomerang.notify.ses import SUPPRESSED
        from boomerang.services.customers import customer_ref

        suppressions = self.ses.suppressions
        if suppressions and suppressions.suppressed(
            order.shop, customer_ref(order.shop, order.customer_email)
        ):
            return SUPPRESSED
        template = self.ses._template(order.shop, message.language, message.template)
        subject, body = message.subject, message.body
        if template is not None:
            subject, body = template.render({**catalogue(message.language).defaults, **message.values})
        mail = {
            "key": message.once_key,
            "to": order.customer_email,
            "subject": subject,
            "body": body,
            "rma": "",
        }
        return str(self.ses._send_once(mail=mail)["message_id"])


def shipment_notifier(
    notifier: str,
    repo: Any,
    sender: str,
    *,
    idempotency_table: str | None,
    configuration_set: str | None,
    template_cache_seconds: int,
) -> ShipmentNotifier:
    """SES where the function is configured for it, else the sandbox (as notify/factory.py)."""
    if notifier != "ses":
        return SandboxShipmentNotifier()
    from boomerang.notify.ses import SesNotifier
    from boomerang.store.suppressions import SuppressionStore
    from boomerang.store.templates import TemplateOverrides

    return SesShipmentNotifier(
        SesNotifier(
            repo,
            TemplateOverrides(repo.table, repo.ddb, template_cache_seconds),
            sender,
            idempotency_table=idempotency_table,
            configuration_set=configuration_set,
            suppressions=SuppressionStore(repo.table, repo.ddb),
        )
    )
