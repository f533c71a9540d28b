"""ISO 4217 in the domain: which codes money may be in, their minor units, and the largest amount."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from pydantic import ValidationError

from boomerang.domain.currency import (
    CURRENCIES,
    WITHDRAWN,
    UnknownCurrency,
    check_currency,
    check_known,
    exponent,
    is_currency,
    max_minor_units,
)
from boomerang.domain.money import AmountTooLarge, Money, largest


@pytest.mark.parametrize(
    ("code", "decimals"),
    [("USD", 2), ("EUR", 2), ("GBP", 2), ("JPY", 0), ("KRW", 0), ("VND", 0), ("CLP", 0), ("ISK", 0),
     ("XAF", 0), ("XOF", 0), ("XPF", 0), ("KWD", 3), ("BHD", 3), ("OMR", 3), ("JOD", 3), ("TND", 3),
     ("IQD", 3), ("LYD", 3), ("IDR", 2), ("XCD", 2), ("XCG", 2), ("ZWG", 2)],
)  # fmt: skip
def test_minor_units_follow_iso_4217(code: str, decimals: int) -> None:
    assert is_currency(code)
    assert exponent(code) == decimals


def test_the_table_is_list_one_less_what_is_not_money() -> None:
    # 178 codes in list one (2026-01-01): 13 without minor units, 8 funds, UYW and XAD left out.
    assert len(CURRENCIES) == 155
    assert all(len(code) == 3 and code.isupper() for code in CURRENCIES)
    assert {exponent(code) for code in CURRENCIES} == {0, 2, 3}
    assert "BGN" not in CURRENCIES  # Bulgaria uses the euro since 2026-01-01


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("XXX", "no currency"),
        ("XTS", "testing"),
        ("XAU", "gold"),
        ("XDR", "unit of account"),
        ("XBA", "not an active ISO 4217"),
        ("CLF", "not an active ISO 4217"),  # a funds code (4 decimals)
        ("USN", "not an active ISO 4217"),
        ("UYW", "not an active ISO 4217"),
        ("ABC", "not an active ISO 4217"),
        ("BGN", "withdrawn from ISO 4217; use EUR"),
        ("HRK", "use EUR"),
    ],
)
def test_codes_that_are_not_money_now_are_refused_with_the_reason(code: str, why: str) -> None:
    with pytest.raises(UnknownCurrency, match=why):
        check_currency(code)


def test_withdrawn_currencies_still_read() -> None:
    for code, (decimals, _successor) in WITHDRAWN.items():
        assert check_known(code) == code
        assert exponent(code) == decimals
        assert Money(amount=1999, currency=code).decimal_string() == "19.99"
    with pytest.raises(UnknownCurrency):
        check_known("XXX")
    with pytest.raises(ValidationError):
        Money(amount=1, currency="XXX")


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("JPY", "999999999999"),
        ("USD", "999999999999.99"),
        ("KWD", "999999999999.999"),
        ("EUR", "999999999999.99"),
    ],
)
def test_the_largest_amount_has_twelve_integer_digits_in_every_currency(code: str, text: str) -> None:
    assert largest(code).decimal_string() == text
    assert Money.parse(text, code) == largest(code)


def test_every_amount_is_exact_in_json_numbers_floats_and_dynamodb() -> None:
    for code in CURRENCIES:
        top = max_minor_units(code)
        assert top < 2**53  # JavaScript's and float64's exact integers
        assert float(top) == top
        assert len(str(top)) <= 38  # DynamoDB numbers
        assert json.loads(json.dumps(top)) == top
        assert Decimal(largest(code).decimal_string()).scaleb(exponent(code)) == top


@pytest.mark.parametrize("code", ["JPY", "USD", "KWD"])
def test_past_the_largest_amount_nothing_is_built(code: str) -> None:
    top = max_minor_units(code)
    assert Money(amount=-top, currency=code).amount == -top
    with pytest.raises(ValidationError, match="largest amount"):
        Money(amount=top + 1, currency=code)
    with pytest.raises(ValidationError):
        Money(amount=-top - 1, currency=code)
    with pytest.raises(ValidationError):
        largest(code) + Money(amount=1, currency=code)
    with pytest.raises(ValidationError):
        largest(code) * 2
    with pytest.raises(AmountTooLarge):
        Money.parse("1" + "0" * 12, code)
