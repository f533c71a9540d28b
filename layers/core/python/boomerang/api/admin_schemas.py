"""Request and response bodies of the staff (admin) API.

Staff see more of a return than a customer does (label, inspection, refund, failures, the open
wait), but still no personal data: the customer is a one-way reference, never an email, and the
workflow's task token stays inside.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from boomerang.api.schemas import Body, MoneyIO, ReturnLabelOut, ReturnOut, utc
from boomerang.api.text import MULTILINE, PLAIN, FlagsHiddenText, PlainText
from boomerang.domain.models import SHOPIFY_DISPOSITIONS, Grade, Identifier, Return, TimelineEntry
from boomerang.domain.refund_failures import PayoutMethod, refund_failure
from boomerang.services.workflow import Grading

# A note may run over lines; a reference and a reason are one line (boomerang.api.text).
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), MULTILINE]
PayoutReference = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128), PLAIN
]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500), PLAIN]
# Our grades, and Shopify's return dispositions that map onto them (boomerang.domain.models).
GradeName = Literal[
    "resellable", "needs_repair", "scrap", "restocked", "processing_required", "not_restocked"
]


# --- requests --------------------------------------------------------------------------------------


class ApproveIn(Body):
    note: Note | None = Field(default=None, description="Shown on the timeline after 'Approved by staff'")


class RejectIn(Body):
    reason: Reason = Field(
        description="Why, in words the customer may read; recorded with who decided",
        examples=["Worn and washed: not returnable under the policy's condition rule."],
    )


class ScanIn(Body):
    code: PlainText = Field(
        min_length=1,
        max_length=64,
        description="The RMA as scanned or typed: any case, with or without hyphens",
        examples=["k7q4m2xac", "K7Q-4M2-XAC"],
    )
    hub: Identifier = Field(description="The hub where the parcel was scanned", examples=["us-nj"])


class GradeIn(Body):
    line_id: Identifier
    grade: GradeName = Field(
        description=(
            "resellable, needs_repair or scrap; Shopify's dispositions are accepted too: "
            "restocked = resellable, processing_required = needs_repair, not_restocked = scrap"
        )
    )
    notes: Annotated[str, Field(max_length=2000), MULTILINE] | None = None

    def to_grading(self) -> Grading:
        grade = SHOPIFY_DISPOSITIONS.get(self.grade) or Grade(self.grade)
        return Grading(line_id=self.line_id, grade=grade, notes=self.notes)


class InspectionIn(Body):
    items: list[GradeIn] = Field(min_length=1, max_length=100, description="One grade per returned item")

    def gradings(self) -> list[Grading]:
        return [item.to_grading() for item in self.items]


# --- responses -------------------------------------------------------------------------------------


class LabelOut(ReturnLabelOut):
    """The label as the customer sees it, and when it was issued."""

    issued_at: str


class InspectedItemOut(BaseModel):
    line_id: str
    grade: str
    notes: str | None
    refund: MoneyIO


class InspectionOut(BaseModel):
    items: list[InspectedItemOut]
    refund_total: MoneyIO
    inspected_by: str
    inspected_at: str


class RefundRetryIn(Body):
    method: PayoutMethod = Field(
        description=(
            "card: the original payment again (a new attempt); store_credit: at once; paypal: a "
            "PayPal payout to the order's customer email; bank_transfer: paid by finance outside "
            "Boomerang, named by `reference`"
        )
    )
    reference: PayoutReference | None = Field(
        default=None, description="The bank transfer's id (required for it)"
    )


class RefundOut(BaseModel):
    method: str
    amount: MoneyIO
    status: str
    reference: str | None
    failure_reason: str | None
    attempt: int = 1
    paid_via: str | None = None
    failure_note: str | None = Field(default=None, description="What the failure means, for finance")


class FailureOut(BaseModel):
    step: str
    error: str
    at: str


class CarrierExceptionOut(BaseModel):
    """The carrier reported the parcel will not reach the hub as planned (return to sender, failed
    delivery, exception): support follows it up."""

    status: str
    detail: str
    carrier: str
    tracking_number: str
    at: str


class EvidenceCheckOut(BaseModel):
    passed: bool
    basis: str = Field(description='"metadata" (type and size as stored) or "content" (the bytes read)')
    evidence_id: str | None
    findings: list[str]
    checked_at: str


class StaffReturnOut(ReturnOut, FlagsHiddenText):
    """A return as staff see it: everything the storefront shows, and how the work on it stands."""

    shop: str
    customer_ref: str = Field(description="A one-way reference to the customer; never an email")
    label: LabelOut | None
    inspection: InspectionOut | None
    refund: RefundOut | None
    failure: FailureOut | None
    received_at_hub: str | None
    escalated: bool
    waiting_for: str | None = Field(
        description="What the workflow waits for (review, evidence, carrier, inspection, settlement...)"
    )
    carrier_exception: CarrierExceptionOut | None = None
    dispute: str | None = Field(default=None, description="The payment's dispute: nothing refunds it again")
    evidence_check: EvidenceCheckOut | None = Field(
        default=None, description="Whether the evidence is plausible enough that no person needs to look"
    )

    @classmethod
    def of_staff(cls, ret: Return, timeline: list[TimelineEntry] | None = None) -> StaffReturnOut:
        base = ReturnOut.of(ret, timeline, staff=True)
        label, inspection, refund, failure = ret.label, ret.inspection, ret.refund, ret.failure
        return cls(
            **{k: v for k, v in dict(base).items() if k != "label"},
            shop=ret.shop,
            customer_ref=ret.customer_ref,
            label=None
            if label is None or base.label is None
            else LabelOut(**dict(base.label), issued_at=utc(label.issued_at)),
            inspection=None
            if inspection is None
            else InspectionOut(
                items=[
                    InspectedItemOut(
                        line_id=i.line_id, grade=i.grade.value, notes=i.notes, refund=MoneyIO.of(i.refund)
                    )
                    for i in inspection.items
                ],
                refund_total=MoneyIO.of(inspection.refund_total),
                inspected_by=inspection.inspected_by,
                inspected_at=utc(inspection.inspected_at),
            ),
            refund=None
            if refund is None
            else RefundOut(
                method=refund.method.value,
                amount=MoneyIO.of(refund.amount),
                status=refund.status,
                reference=refund.reference,
                failure_reason=refund.failure_reason,
                attempt=refund.attempt,
                paid_via=refund.paid_via,
                failure_note=(
                    refund_failure(refund.failure_reason).staff_note if refund.status == "failed" else None
                ),
            ),
            failure=None
            if failure is None
            else FailureOut(step=failure.step, error=failure.error, at=utc(failure.at)),
            received_at_hub=ret.received_at_hub,
            escalated=ret.escalated,
            waiting_for=ret.waiting_for.value if ret.waiting_for else None,
            carrier_exception=None
            if ret.carrier_exception is None
            else CarrierExceptionOut(
                **ret.carrier_exception.model_dump(exclude={"at"}), at=utc(ret.carrier_exception.at)
            ),
            dispute=ret.dispute,
            evidence_check=None
            if ret.evidence_check is None
            else EvidenceCheckOut(
                **ret.evidence_check.model_dump(exclude={"checked_at"}),
                checked_at=utc(ret.evidence_check.checked_at),
            ),
        )


class QueueOut(BaseModel):
    """One page of a queue, oldest first; `next_cursor` fetches the next page (null: no more)."""

    items: list[StaffReturnOut]
    next_cursor: str | None
