"""Money as integer minor units with an ISO 4217 currency. Never floats.

A Money holds at most `max_minor_units` of its currency either way (below 10^12 major units, see
domain/currency.py): an amount past it cannot be built, so nothing past it is stored or answered.
Stored amounts may be in a currency withdrawn since; new amounts come in active currencies only
(`ActiveCurrency`, what the API takes).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from boomerang.domain.currency import UnknownCurrency, check_currency, check_known, exponent, max_minor_units

__all__ = [
    "ActiveCurrency",
    "AmountTooLarge",
    "AmountsByCurrency",
    "Currency",
    "MinorUnitsByCurrency",
    "Money",
    "exponent",
]

_DECIMAL = re.compile(r"-?\d{1,15}(\.\d{1,6})?")

_CODE = r"^[A-Z]{3}$"


def _active(code: str) -> str:
    try:
        return check_currency(code)
    except UnknownCurrency as exc:  # a detail code of its own in a 422, with ISO 4217's reason
        raise PydanticCustomError("unknown_currency", str(exc)) from exc


# A currency a stored amount may be in (active, or withdrawn since it was stored).
Currency = Annotated[str, StringConstraints(pattern=_CODE), AfterValidator(check_known)]
# A currency a new amount may be given in: active ISO 4217 money, no X-codes such as XXX or XTS.
ActiveCurrency = Annotated[
    str,
    StringConstraints(pattern=_CODE),
    AfterValidator(_active),
    Field(description="An active ISO 4217 currency code (not XXX, XTS, metals or funds)"),
]


class MinorUnitsByCurrency:
    """Marks a table of amounts by currency (a threshold, a fee) held in minor units. Documents
    show such tables as the API shows money, decimal strings ({"USD": "50.00"}), and the one
    conversion (domain/policy_document.py) finds them by this marker, whatever model holds them."""


AmountsByCurrency = Annotated[dict[Currency, int], MinorUnitsByCurrency()]


class AmountTooLarge(ValueError):
    """An amount, given or computed, past the largest one its currency may hold."""


class Money(BaseModel):
    """An amount in minor units (cents) of a currency."""

    model_config = ConfigDict(frozen=True)

    amount: int = Field(description="Minor units, e.g. 1999 for USD 19.99")
    currency: Currency

    @model_validator(mode="after")
    def _bounded(self) -> Money:
        if abs(self.amount) > max_minor_units(self.currency):
            raise AmountTooLarge(too_large_message(self.currency))
        return self

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
        if abs(scaled) > max_minor_units(currency):
            raise AmountTooLarge(too_large_message(currency))
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


def largest(currency: str) -> Money:
    """The largest amount Boomerang holds in the currency (999999999999.99 USD)."""
    return Money(amount=max_minor_units(currency), currency=currency)


def too_large_message(currency: str) -> str:
    return f"over the largest amount Boomerang holds in {currency}, {largest(currency).decimal_string()}"
