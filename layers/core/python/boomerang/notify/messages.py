"""What the customer is told when their return reaches a status, in their language where we have it.

Messages carry the RMA and amounts, never other people's data; the channel (email by SES, issue 8)
adds the address from the order at send time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from boomerang.domain.models import Resolution, Return
from boomerang.domain.refund_failures import refund_failure
from boomerang.domain.status import ReturnStatus as S
from boomerang.notify.templates import render


@dataclass(frozen=True)
class Message:
    template: str
    locale: str
    subject: str
    body: str
    # What the text was filled with: an email channel renders the customer's language from these.
    values: dict[str, str] = field(default_factory=dict)
    # What makes a message one of a kind for a channel that sends once (default: its template per
    # return); a message a return may get more than once (a refused upload) names itself.
    once_key: str = ""


_EN: dict[S, tuple[str, str]] = {
    S.REQUESTED: (
        "We received your return request {rma}",
        "Thank you: we will email you as soon as it is decided.",
    ),
    S.RECEIVED: (
        "We received your parcel for return {rma}",
        "It has arrived at our returns hub; we will email you when your refund is on its way.",
    ),
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
    S.EXCHANGED: (
        "Your replacement for {rma} is being prepared",
        "We have ordered your replacement and will email you its tracking number as soon as it ships.",
    ),
    S.REPLACEMENT_SHIPPED: (
        "Your replacement for {rma} has shipped",
        "It is on its way with {carrier}. Tracking number: {tracking_number} {tracking_url}",
    ),
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


def message_for(
    ret: Return,
    reason: str | None = None,
    options: str | None = None,
    *,
    language: str | None = None,
    order_number: str | None = None,
) -> Message | None:
    """The message for the return's current status, or None where the customer hears nothing.
    With a `language`, its subject and body are the library's text in that language (what the
    sandbox keeps and the timeline quotes); without one, English."""
    name = template_name(ret)
    template = _EN.get(ret.status)
    if template is None and name == f"return.{ret.status.value}":
        return None
    amount = (
        ret.refund.amount if ret.refund else (ret.inspection.refund_total if ret.inspection else ret.amount)
    )
    # The facts only; what is not known (no reason given, no label) each language says its own way.
    values = {"rma": ret.rma, "amount": str(amount)}
    if ret.label:
        label = ret.label
        values |= {
            "carrier": label.carrier,
            "valid_until": f"{label.valid_until:%Y-%m-%d}",
            "tracking_number": label.tracking_number,
        }
        # The carrier's own links (they last as long as the label); a PDF Boomerang stored is
        # printed from the return's page, which hands out a fresh link (each language says so).
        if label.url:
            values["label_url"] = label.url
        if label.qr_code_url:
            values["qr_code_url"] = label.qr_code_url
        if label.customs_invoice_url:
            values["customs_invoice_url"] = label.customs_invoice_url
        if label.customs_invoice_url or label.customs_document_key:
            values["customs_papers"] = "yes"
    shipment = ret.exchange.shipment if ret.exchange else None
    if shipment is not None:
        values |= {
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "tracking_url": shipment.tracking_url or "",
        }
    payment = ret.exchange.payment if ret.exchange else None
    if payment is not None:  # a dearer replacement's difference: the link the customer pays at
        values |= {"payment_url": payment.url, "amount_due": str(payment.amount)}
    if reason:
        values["reason"] = reason
    if options:  # a refund failure's next steps (the payments catalogue)
        values["options"] = options
    filled = {
        "carrier": "the carrier",
        "valid_until": "",
        "reason": "it does not meet the return policy.",
        "label_url": "on your return's page",
        "tracking_number": "",
        "tracking_url": "",
    }
    filled |= values
    if name != f"return.{ret.status.value}" or template is None:
        # A variant of the status's message (an exchange's, a fallback's, a kept item's): the
        # catalogue's text, English where no language is asked for.
        rendered = render(language or "en", name, {**values, "order_number": order_number or ""})
        if rendered is None:
            return None
        return Message(name, language or "en", rendered[0], rendered[1], values)
    subject, body = template
    if ret.status is S.REFUND_FAILED:
        # What happens next depends on why it failed: the refund failure catalogue says it, in
        # English here; the email channel picks the same next steps in the customer's language.
        failure = refund_failure(ret.refund.failure_reason if ret.refund else None)
        body = failure.customer_text
        values["next_steps"] = failure.next_steps
    # The email channel (notify/ses.py) renders the customer's language (and the shop's own text)
    # from the template files with `values`.
    if language is not None:
        rendered = render(language, name, {**values, "order_number": order_number or ""})
        if rendered is not None:
            return Message(name, language, rendered[0], rendered[1], values)
    return Message(name, "en", subject.format(**filled), body.format(**filled), values)


def template_name(ret: Return) -> str:
    """The template for the return's current status: the status's own, or its variant for an
    exchange (ordered, with a difference paid back or paid by the customer, or arranged by staff),
    a dearer replacement's difference due, an exchange that fell back for want of stock or of the
    difference's payment, and a return the customer keeps."""
    name = f"return.{ret.status.value}"
    exchange = ret.exchange
    if ret.status is S.RECEIVED and ret.resolution is Resolution.EXCHANGE:
        return name + ".exchange"
    payment = exchange.payment if exchange else None
    if ret.status is S.REFUND_PENDING and payment is not None and payment.status == "open":
        return name + ".payment_due"
    if ret.status is S.EXCHANGED:
        if exchange is None or exchange.replacement_order_id is None:
            return name + ".manual"
        if payment is not None and payment.status == "paid":
            return name + ".paid"
        return name + ".difference" if ret.refund and ret.refund.amount.amount else name
    if ret.status in (S.CREDITED, S.REFUNDED) and exchange is not None and exchange.fallback_reason:
        return name + (".unpaid" if payment is not None and payment.status == "expired" else ".out_of_stock")
    if ret.status is S.APPROVED and ret.decision.keep_item:
        return name + ".keep_item"
    return name


def evidence_refused(ret: Return, reason: str, offer_id: str) -> Message:
    """A customer's upload was refused (boomerang.domain.evidence.customer_reason names why). The
    English text is the en catalogue's; the email channel words `reason` in the customer's language
    from that language's `evidence_<reason>` default."""
    from boomerang.notify.templates import catalogue

    english = catalogue("en")
    template = english.templates["evidence.refused"]
    text = english.defaults.get(f"evidence_{reason}", english.defaults["evidence_other"])
    subject, body = template.render({"rma": ret.rma, "reason": text})
    return Message(
        "evidence.refused",
        "en",
        subject,
        body,
        {"rma": ret.rma, "evidence_problem": reason},
        once_key=f"evidence.refused.{offer_id}",
    )
