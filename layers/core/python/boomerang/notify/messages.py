"""What the customer is told when their return reaches a status, in their language where we have it.

Messages carry the RMA and amounts, never other people's data; the channel (email by SES, issue 8)
adds the address from the order at send time.
"""

from __future__ import annotations

from dataclasses import dataclass

from boomerang.domain.models import Return
from boomerang.domain.refund_failures import refund_failure
from boomerang.domain.status import ReturnStatus as S


@dataclass(frozen=True)
class Message:
    template: str
    locale: str
    subject: str
    body: str


_EN: dict[S, tuple[str, str]] = {
    S.PENDING_REVIEW: (
        "We are reviewing your return {rma}",
        "A member of our team is checking your request and will decide within 2 business days.",
    ),
    S.AWAITING_EVIDENCE: (
        "Your return {rma} needs a short video",
        "Please upload an unboxing or inspection video; we approve as soon as it arrives.",
    ),
    S.LABEL_ISSUED: (
        "Your return label for {rma}",
        "Print the label, stick it on the parcel and drop it off with {carrier} by {valid_until}.",
    ),
    S.REJECTED: ("About your return {rma}", "We cannot accept this return: {reason}"),
    S.REFUNDED: (
        "Your refund for {rma} is on its way",
        "We refunded {amount}. Banks take 5-10 business days to show it on your statement.",
    ),
    S.CREDITED: ("Your store credit for {rma}", "We added {amount} of store credit to your account."),
    S.EXCHANGED: ("Your exchange for {rma} is on its way", "We are sending your replacement."),
    S.REFUND_FAILED: (
        "Your refund for {rma} needs another way",
        "Your bank could not take the refund. We can pay store credit at once, or by PayPal or "
        "bank transfer (5-7 business days); reply to tell us which you prefer.",
    ),
    S.EXPIRED: (
        "Your return {rma} has expired",
        "It was not sent in time; you can request it again while the return window is open.",
    ),
    S.CANCELLED: (
        "Your return {rma} is cancelled",
        "Nothing more to do; the items can be returned later while the window is open.",
    ),
}


def message_for(ret: Return, reason: str | None = None) -> Message | None:
    """The message for the return's current status, or None where the customer hears nothing."""
    template = _EN.get(ret.status)
    if template is None:
        return None
    amount = (
        ret.refund.amount if ret.refund else (ret.inspection.refund_total if ret.inspection else ret.amount)
    )
    values = {
        "rma": ret.rma,
        "carrier": ret.label.carrier if ret.label else "the carrier",
        "valid_until": f"{ret.label.valid_until:%Y-%m-%d}" if ret.label else "",
        "amount": str(amount),
        "reason": reason or "it does not meet the return policy.",
    }
    subject, body = template
    if ret.status is S.REFUND_FAILED:
        # What happens next depends on why it failed: the refund failure catalogue says it.
        body = refund_failure(ret.refund.failure_reason if ret.refund else None).customer_text
    # Translations come with the email channel (issue 8); until then every locale reads English.
    return Message(f"return.{ret.status.value}", "en", subject.format(**values), body.format(**values))
