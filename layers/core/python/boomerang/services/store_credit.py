"""Store credit: a ledger per customer and currency on the single table.

The balance item and the ledger entries change in one transaction. Issuing is part of the return's
own write (Repository.save's extra items), so a return's credit is issued exactly when the return
moves to `credited`, once. Spending is conditional on the balance's version and on enough balance,
and takes the oldest credit first; each spend entry names the return whose credit it uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from boomerang.domain.errors import Conflict, StaleVersion, Unprocessable
from boomerang.domain.money import Money
from boomerang.services.retry import retry_stale
from boomerang.store import keys
from boomerang.store.dynamo import cancellation_reasons, from_item, to_item
from boomerang.store.lenient import readable
from boomerang.store.records import Repository, iso


@dataclass(frozen=True)
class LedgerEntry:
    rma: str
    kind: str  # issue | spend
    ref: str  # issue: "credit" or "bonus"; spend: the spend's id (e.g. the order paid with it)
    amount: Money  # positive for issue, negative for spend
    at: str


@dataclass(frozen=True)
class CreditAccount:
    balance: Money
    version: int
    entries: list[LedgerEntry]

    def left_per_return(self) -> list[tuple[str, int]]:
        """(rma, credit left) oldest first: what a spend draws from."""
        left: dict[str, int] = {}
        first_at: dict[str, str] = {}
        for e in self.entries:
            left[e.rma] = left.get(e.rma, 0) + e.amount.amount
            if e.kind == "issue":
                first_at[e.rma] = min(first_at.get(e.rma, e.at), e.at)
        return [(rma, left[rma]) for rma in sorted(first_at, key=lambda r: (first_at[r], r)) if left[rma] > 0]

    def spent_on(self, spend_id: str) -> int | None:
        """Minor units already spent under `spend_id` (None: no such spend)."""
        parts = [-e.amount.amount for e in self.entries if e.kind == "spend" and e.ref == spend_id]
        return sum(parts) if parts else None


def _entry(raw: dict[str, Any], currency: str) -> LedgerEntry:
    values = from_item(raw)
    if values["kind"] not in ("issue", "spend"):
        raise ValueError("an entry is an issue or a spend")
    sign = 1 if values["kind"] == "issue" else -1
    return LedgerEntry(
        rma=str(values["rma"]),
        kind=str(values["kind"]),
        ref=str(values["ref"]),
        amount=Money(amount=sign * int(values["amount"]), currency=currency),
        at=str(values["at"]),
    )


class StoreCredit:
    def __init__(self, repo: Repository):
        self.repo = repo

    def issue_items(
        self, shop: str, customer_ref: str, rma: str, amount: Money, bonus: Money, at: datetime
    ) -> list[dict[str, Any]]:
        """TransactItems issuing `amount` (of which `bonus`) for return `rma`: for the return's write."""
        table = self.repo.table
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": table,
                    "Key": to_item(keys.credit_balance(shop, customer_ref, amount.currency)),
                    "UpdateExpression": "ADD balance :a, version :one SET currency = :c",
                    "ExpressionAttributeValues": to_item(
                        {":a": amount.amount, ":one": 1, ":c": amount.currency}
                    ),
                }
            }
        ]
        parts = [("credit", amount.amount - bonus.amount), ("bonus", bonus.amount)]
        for ref, value in parts:
            if value <= 0:
                continue
            entry = keys.credit_entry(shop, customer_ref, amount.currency, rma, "issue", ref)
            items.append(
                {
                    "Put": {
                        "TableName": table,
                        "Item": to_item(
                            {**entry, "rma": rma, "kind": "issue", "ref": ref, "amount": value, "at": iso(at)}
                        ),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        return items

    def account(self, shop: str, customer_ref: str, currency: str) -> CreditAccount:
        got = self.repo.ddb.query(
            TableName=self.repo.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_item({":pk": keys.credit_pk(shop, customer_ref, currency)}),
            ConsistentRead=True,
        )
        balance, version, raw_entries = 0, 0, []
        for raw in got.get("Items", []):
            values = from_item(raw)
            if values[keys.SK] == keys.CREDIT_BALANCE_SK:
                balance, version = int(values["balance"]), int(values["version"])
            else:
                raw_entries.append(raw)
        entries = readable(raw_entries, lambda raw: _entry(raw, currency), "store_credit_entry")
        return CreditAccount(Money(amount=balance, currency=currency), version, entries)

    def spend_once(
        self, shop: str, customer_ref: str, amount: Money, spend_id: str, at: datetime
    ) -> tuple[CreditAccount, bool]:
        """Spend as `spend`, but the same spend_id with the same amount answers the spend already
        recorded: (account, False). The same spend_id with another amount is refused (409).
        True: this call spent."""
        try:
            return self.spend(shop, customer_ref, amount, spend_id, at), True
        except Conflict as exc:
            if exc.code != "credit_already_spent":
                raise
            account = self.account(shop, customer_ref, amount.currency)
            if account.spent_on(spend_id) != amount.amount:
                raise Conflict(
                    f"Spend {spend_id} is already recorded with another amount.",
                    code="credit_already_spent",
                    details=[
                        {"field": "reference", "code": "credit_already_spent", "message": "Spent before."}
                    ],
                ) from exc
            return account, False

    @retry_stale
    def spend(
        self, shop: str, customer_ref: str, amount: Money, spend_id: str, at: datetime
    ) -> CreditAccount:
        """Spend `amount` of the customer's credit (e.g. on order `spend_id`), oldest credit first.
        The same spend_id twice is refused (409), never spent twice."""
        if amount.amount <= 0:
            raise Unprocessable("Spend a positive amount.", code="validation_failed")
        account = self.account(shop, customer_ref, amount.currency)
        if any(e.kind == "spend" and e.ref == spend_id for e in account.entries):
            raise Conflict(f"Spend {spend_id} is already recorded.", code="credit_already_spent")
        if account.version == 0:
            # Credit is kept per currency: none was ever issued to the customer in this one.
            raise Unprocessable(
                f"The customer has no store credit in {amount.currency}.",
                code="insufficient_credit",
                details=[
                    {
                        "field": "amount.currency",
                        "code": "no_credit_in_currency",
                        "message": "No credit in this currency.",
                    }
                ],
            )
        if account.balance.amount < amount.amount:
            raise Unprocessable(
                f"The store credit balance is {account.balance}, less than {amount}.",
                code="insufficient_credit",
            )
        table, pk = self.repo.table, keys.credit_balance(shop, customer_ref, amount.currency)
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": table,
                    "Key": to_item(pk),
                    "UpdateExpression": "SET balance = balance - :a, version = version + :one",
                    "ConditionExpression": "version = :v AND balance >= :a",
                    "ExpressionAttributeValues": to_item(
                        {":a": amount.amount, ":v": account.version, ":one": 1}
                    ),
                }
            }
        ]
        still = amount.amount
        for rma, left in account.left_per_return():
            take = min(left, still)
            entry = keys.credit_entry(shop, customer_ref, amount.currency, rma, "spend", spend_id)
            items.append(
                {
                    "Put": {
                        "TableName": table,
                        "Item": to_item(
                            {
                                **entry,
                                "rma": rma,
                                "kind": "spend",
                                "ref": spend_id,
                                "amount": take,
                                "at": iso(at),
                            }
                        ),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
            still -= take
            if still == 0:
                break
        try:
            self.repo.ddb.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            if "ConditionalCheckFailed" in cancellation_reasons(exc)[1:]:
                raise Conflict(f"Spend {spend_id} is already recorded.", code="credit_already_spent") from exc
            raise StaleVersion("The store credit balance") from exc
        return self.account(shop, customer_ref, amount.currency)
