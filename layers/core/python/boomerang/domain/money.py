"""Money as integer minor units with an ISO 4217 currency. Never floats."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# ISO 4217 minor-unit exponents that differ from 2; every other currency has two decimals.
_EXPONENTS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}  # fmt: skip

_DECIMAL = re.compile(r"-?\d{1,15}(\.\d{1,6})?")

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class MinorUnitsByCurrency:
    """Marks a table of amounts by currency (a threshold, a fee) held in minor units. Documents
    show such tables as the API shows money, decimal strings ({"USD": "50.00"}), and the one
    conversion (domain/policy_document.py) finds them by this marker, whatever model holds them."""


AmountsByCurrency = Annotated[dict[Currency, int], MinorUnitsByCurrency()]


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency, 2)


class Money(BaseModel):
    """An amount in minor units (cents) of a currency."""

    model_config = ConfigDict(frozen=True)

    amount: int = Field(description="Minor units, e.g. 1999 for USD 19.99")
    currency: Currency

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(amount=0, currency=currency)

    @classmethod
    def parse(cls, amount: str, currency: str) -> Money:
        """Parse the API's decimal string ("19.99") into minor units, refusing extra precision."""
        if not _DECIMAL.fullmatch(amount):
            raise ValueError(f"'{amount}' is not a decimal amount like '19.99'")
        value = Decimal(amount)
        scaled = value.scaleb(exponent(currency))
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{currency} has {exponent(currency)} decimals; '{amount}' has more")
        return cls(amount=int(scaled), currency=currency)

    def decimal_string(self) -> str:
        exp = exponent(self.currency)
        return str(Decimal(self.amount).scaleb(-exp).quantize(Decimal(1).scaleb(-exp)))

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __mul__(self, times: int) -> Money:
        return Money(amount=self.amount * times, currency=self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} and {other.currency}")

    def __str__(self) -> str:
        return f"{self.currency} {self.decimal_string()}"
