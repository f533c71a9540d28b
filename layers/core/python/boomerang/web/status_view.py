"""What a return's status page shows: the decision in words, what the customer does next, the
label, tracking, the refund and the timeline. Plain Python (the QR code needs reportlab, from the
labels layer, imported when a label is shown)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from boomerang.domain.models import Order, Outcome, Return, TimelineEntry
from boomerang.domain.policy import Policy
from boomerang.domain.status import ReturnStatus

# Steps a customer sees on the progress bar, in order; other statuses map onto one of them.
STEPS = ("requested", "approved", "shipped", "received", "refunded")
STEP_OF = {
    ReturnStatus.REQUESTED: 0,
    ReturnStatus.PENDING_REVIEW: 0,
    ReturnStatus.AWAITING_EVIDENCE: 0,
    ReturnStatus.APPROVED: 1,
    ReturnStatus.LABEL_ISSUED: 1,
    ReturnStatus.IN_TRANSIT: 2,
    ReturnStatus.DELIVERED: 2,
    ReturnStatus.RECEIVED: 3,
    ReturnStatus.INSPECTED: 3,
    ReturnStatus.REFUND_PENDING: 3,
    ReturnStatus.REFUND_FAILED: 3,
    ReturnStatus.REFUNDED: 4,
    ReturnStatus.CREDITED: 4,
    ReturnStatus.EXCHANGED: 4,
    ReturnStatus.CLOSED: 4,
}


@dataclass(frozen=True)
class StatusView:
    outcome: str
    reasons: list[str]  # the rules that decided, in the policy's words
    step: int | None  # None: cancelled, rejected or expired
    evidence_needed: bool
    evidence_received: int
    items: list[dict[str, Any]]
    timeline: list[TimelineEntry]
    accepts: str  # what the upload field accepts


def status_view(ret: Return, timeline: list[TimelineEntry], order: Order, policy: Policy) -> StatusView:
    titles = {line.line_id: line.title for line in order.lines}
    # Rules that flag the customer for a person (frequent returns) are for staff, not the customer's page.
    flagging = {rule.rule_id for rule in policy.rules if rule.flag}
    decided = [r.message for r in ret.decision.rules if not r.overridden and r.rule_id not in flagging]
    evidence_needed = ret.status is ReturnStatus.AWAITING_EVIDENCE or (
        ret.decision.outcome is Outcome.AWAITING_EVIDENCE and ret.status is ReturnStatus.REQUESTED
    )
    rules = policy.evidence
    return StatusView(
        outcome=ret.decision.outcome.value,
        reasons=decided,
        step=STEP_OF.get(ret.status),
        evidence_needed=evidence_needed,
        evidence_received=len(ret.evidence),
        items=[
            {
                "title": titles.get(item.line_id, item.sku),
                "quantity": item.quantity,
                "reason": item.reason,
                "amount": item.amount,
            }
            for item in ret.items
        ],
        timeline=sorted(
            (e for e in timeline if e.for_customers), key=lambda e: (e.at, e.version), reverse=True
        ),
        accepts=",".join([*rules.video_content_types, *rules.photo_content_types]),
    )


def qr_svg(rma: str) -> str:
    """An SVG QR code of the RMA: what a drop-off point scans instead of a printed label."""
    from reportlab.graphics import renderSVG
    from reportlab.graphics.barcode import qr
    from reportlab.graphics.shapes import Drawing

    size = 160.0
    widget = qr.QrCodeWidget(rma, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    svg = str(renderSVG.drawToString(drawing))
    return svg[svg.index("<svg") :]
