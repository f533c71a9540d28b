"""How much a return refunds: plain arithmetic on the return, the policy's refund terms, what the
charge already refunded and what it captured. No AWS, no provider.

Order of deductions, per item then per return: the inspection grade's percent (or the whole item
where policy refunds on delivery), the restocking fee where the reason is the customer's choice,
then the return shipping fee once per return where no item's reason is the merchant's fault; the
result is never more than the charge has left (captured minus earlier refunds) and never negative.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from boomerang.domain.currency import max_minor_units
from boomerang.domain.models import Return
from boomerang.domain.money import AmountsByCurrency, Money

# Reasons that are the merchant's fault: no fee is deducted from their refund.
MERCHANT_FAULT_REASONS = ("defective", "not_as_described", "wrong_item")


class RefundTerms(BaseModel):
    """The policy's refund terms (the `refunds` section of a policy document)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    restocking_percent: int = Field(default=0, ge=0, le=100, description="of each item's refund")
    return_shipping: AmountsByCurrency = Field(
        default_factory=dict, description="currency -> amount, deducted once per return"
    )
    fee_exempt_reasons: list[str] = Field(default_factory=lambda: list(MERCHANT_FAULT_REASONS))
    store_credit_bonus_percent: int = Field(
        default=0, ge=0, le=100, description="added to the refund when the customer chooses store credit"
    )


class RefundLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    line_id: str
    paid: Money  # what the customer paid for the returned units
    graded: Money  # after the inspection grade
    restocking_fee: Money
    refund: Money


class RefundQuote(BaseModel):
    """What a return refunds and why, every figure in minor units of the charge's currency."""

    model_config = ConfigDict(frozen=True)

    lines: list[RefundLine]
    return_shipping_fee: Money
    left_on_charge: Money  # captured minus earlier refunds on the same charge
    amount: Money

    @property
    def capped(self) -> bool:
        return (
            sum(line.refund.amount for line in self.lines) - self.return_shipping_fee.amount
            > self.amount.amount
        )


def quote_refund(ret: Return, terms: RefundTerms, captured: Money, earlier_refunds: Money) -> RefundQuote:
    currency = ret.amount.currency
    graded_by_line = {i.line_id: i.refund for i in ret.inspection.items} if ret.inspection else {}
    exempt = set(terms.fee_exempt_reasons)
    lines: list[RefundLine] = []
    for item in ret.items:
        graded = graded_by_line.get(item.line_id, item.amount)
        fee_percent = 0 if item.reason in exempt else terms.restocking_percent
        fee = Money(amount=graded.amount * fee_percent // 100, currency=currency)
        lines.append(
            RefundLine(
                line_id=item.line_id,
                paid=item.amount,
                graded=graded,
                restocking_fee=fee,
                refund=Money(amount=graded.amount - fee.amount, currency=currency),
            )
        )
    customer_choice = all(item.reason not in exempt for item in ret.items)
    shipping = Money(
        amount=terms.return_shipping.get(currency, 0) if customer_choice else 0, currency=currency
    )
    due = max(0, sum(line.refund.amount for line in lines) - shipping.amount)
    left = max(0, captured.amount - earlier_refunds.amount)
    return RefundQuote(
        lines=lines,
        return_shipping_fee=shipping,
        left_on_charge=Money(amount=left, currency=currency),
        amount=Money(amount=min(due, left), currency=currency),
    )


def store_credit_amount(refund: Money, terms: RefundTerms) -> tuple[Money, Money]:
    """(credit issued, of which bonus) for a customer who chose store credit over cash. The bonus
    stops at the currency's largest amount, which no credit passes."""
    room = max_minor_units(refund.currency) - refund.amount
    bonus = Money(
        amount=min(refund.amount * terms.store_credit_bonus_percent // 100, room), currency=refund.currency
    )
    return refund + bonus, bonus
