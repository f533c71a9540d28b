"""Request and response bodies of the storefront API's store-credit routes (pydantic; OpenAPI).

Entries show what the caller already knows: the kind, the amount, the return (RMA) whose credit
was issued or spent, the storefront's own reference of a spend, and the time. No customer data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field, field_validator

from boomerang.api.schemas import Body, Email, MoneyIn, MoneyIO
from boomerang.domain.models import Identifier
from boomerang.domain.money import Money
from boomerang.store.dynamo import InvalidCursor, decode_cursor, encode_cursor

if TYPE_CHECKING:  # the ledger's code is imported by the routes, on first use
    from boomerang.services.store_credit import CreditAccount, LedgerEntry


class SpendAmountIn(MoneyIn):
    @field_validator("amount")
    @classmethod
    def _positive(cls, value: str) -> str:
        if not any(ch in "123456789" for ch in value):
            raise ValueError("spend a positive amount")
        return value


class CreditSpendIn(Body):
    customer_email: Email | None = Field(
        default=None, description="The shop's customer whose credit pays; required with the API key"
    )
    amount: SpendAmountIn = Field(description="What to spend, in the currency of the credit")
    reference: Identifier = Field(
        description="The storefront's order or checkout id: one spend per reference",
        examples=["checkout-5001"],
    )


class CreditEntryOut(BaseModel):
    kind: Literal["issue", "spend"]
    amount: MoneyIO = Field(description="Always positive; `kind` says which way it went")
    rma: str = Field(description="The return whose credit this entry issues or spends")
    reference: str | None = Field(description="A spend's reference (the storefront's id); null for an issue")
    at: str


class CreditAccountOut(BaseModel):
    """The balance in one currency and its ledger entries, oldest first (`next_cursor`: next page)."""

    balance: MoneyIO
    items: list[CreditEntryOut]
    next_cursor: str | None


class CreditSpendOut(BaseModel):
    reference: str
    amount: MoneyIO
    balance: MoneyIO = Field(description="The balance after the spend")
    items: list[CreditEntryOut] = Field(description="The spend's entries, one per return it draws from")


def entry_out(kind: str, amount: Money, rma: str, ref: str, at: str) -> CreditEntryOut:
    return CreditEntryOut(
        kind="issue" if kind == "issue" else "spend",
        amount=MoneyIO.of(Money(amount=abs(amount.amount), currency=amount.currency)),
        rma=rma,
        reference=ref if kind == "spend" else None,
        at=at,
    )


def _entry_key(e: LedgerEntry) -> list[str]:
    return [e.at, e.rma, e.kind, e.ref]


def account_out(account: CreditAccount, limit: int, cursor: str | None) -> CreditAccountOut:
    """One page of the ledger, oldest first; the cursor names the last entry shown, so entries
    added meanwhile never shift a page."""
    after: list[str] | None = None
    if cursor:
        value = decode_cursor(cursor)
        after = (value or {}).get("after")
        if not (isinstance(after, list) and len(after) == 4 and all(isinstance(p, str) for p in after)):
            raise InvalidCursor("The cursor is not one this API gave out.")
    entries = sorted(account.entries, key=_entry_key)
    if after is not None:
        entries = [e for e in entries if _entry_key(e) > after]
    page, more = entries[:limit], len(entries) > limit
    return CreditAccountOut(
        balance=MoneyIO.of(account.balance),
        items=[entry_out(e.kind, e.amount, e.rma, e.ref, e.at) for e in page],
        next_cursor=encode_cursor({"after": _entry_key(page[-1])}) if more else None,
    )


def spend_out(account: CreditAccount, reference: str, amount: Money) -> CreditSpendOut:
    mine = sorted((e for e in account.entries if e.kind == "spend" and e.ref == reference), key=_entry_key)
    return CreditSpendOut(
        reference=reference,
        amount=MoneyIO.of(amount),
        balance=MoneyIO.of(account.balance),
        items=[entry_out(e.kind, e.amount, e.rma, e.ref, e.at) for e in mine],
    )
