"""Automation options of a policy: three explainable rules that let more returns through with no
person, each off until the policy sets it. None of them outranks a risk rule: a rule sending the
return to a person (electronics, frequent returners) or asking for evidence still decides, since
an approval is the weakest effect.

- trusted customers: a customer with enough kept orders (orders without a return) and no flag on
  this request is approved up to a value;
- evidence-checked approval: where evidence was asked for, a plausible upload (its check passed)
  approves the return when no rule asked for a person and no flag was raised;
- refund on the first carrier scan: a trusted customer's approved return is refunded when the
  carrier first scans the parcel, rather than on delivery or after inspection.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from boomerang.domain.evidence import Evidence, EvidenceKind, EvidencePolicy
from boomerang.domain.models import EvidenceCheck
from boomerang.domain.money import AmountsByCurrency


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TrustedApproval(Strict):
    approve_up_to: AmountsByCurrency = Field(
        description="currency -> amount (the base currency's converted where not pinned); up to and including"
    )
    message: str = Field(
        default=(
            "The customer kept {kept_orders} earlier orders and carries no flag, so a return worth "
            "{return_amount} (up to {threshold}) is approved at once."
        ),
        min_length=1,
    )


class EvidenceCheckedApproval(Strict):
    kinds: list[EvidenceKind] = Field(
        default_factory=lambda: [EvidenceKind.VIDEO], min_length=1, description="what must be uploaded"
    )
    # By metadata alone a video smaller than this is no plausible unboxing (3 s at 240p is more).
    min_video_bytes: int = Field(default=100 * 1024, ge=1)
    up_to: AmountsByCurrency | None = Field(default=None, description="currency -> amount; none: any amount")


class FirstScanRefund(Strict):
    up_to: AmountsByCurrency | None = Field(default=None, description="currency -> amount; none: any amount")
    category_not_in: list[str] = Field(default_factory=lambda: ["electronics"])


class Automation(Strict):
    # Who counts as trusted: at least this many earlier orders kept (no return on them), and no flag.
    trusted_min_kept_orders: int = Field(default=3, ge=1, le=10_000)
    trusted_customers: TrustedApproval | None = None
    evidence_checked_approval: EvidenceCheckedApproval | None = None
    refund_on_first_scan: FirstScanRefund | None = None


def metadata_findings(
    evidence: list[Evidence], policy: EvidencePolicy, option: EvidenceCheckedApproval
) -> list[str]:
    """What keeps the stored evidence from being plausible by its metadata (kind, content type,
    size within the policy's bounds): empty where an upload of each wanted kind is plausible. The
    upload check (boomerang.media, issue 22) replaces this with what the bytes show."""
    findings: list[str] = []
    for kind in option.kinds:
        ours = [e for e in evidence if e.kind is kind and e.uploaded_by == "customer"]
        if not ours:
            findings.append(f"no {kind.value} uploaded")
            continue
        floor = option.min_video_bytes if kind is EvidenceKind.VIDEO else 1
        if not any(not policy.problems(kind, e.content_type, e.size) and e.size >= floor for e in ours):
            findings.append(f"no {kind.value} of a plausible type and size")
    return findings


def metadata_check(
    evidence: list[Evidence], policy: EvidencePolicy, option: EvidenceCheckedApproval | None, now: datetime
) -> EvidenceCheck:
    """The evidence check by metadata: what the return's stored evidence says of itself."""
    findings = metadata_findings(evidence, policy, option or EvidenceCheckedApproval())
    customer = [e for e in evidence if e.uploaded_by == "customer"]
    return EvidenceCheck(
        passed=not findings,
        basis="metadata",
        evidence_id=customer[-1].evidence_id if customer else None,
        findings=findings,
        checked_at=now,
    )
