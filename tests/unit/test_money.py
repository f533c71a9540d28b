"""Money: integer minor units per ISO 4217 exponent, parsed from decimal strings, never floats."""

from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from boomerang.domain.money import Money, exponent


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("19.99", "USD", 1999),
        ("0.05", "USD", 5),
        ("0", "USD", 0),
        ("100", "EUR", 10000),
        ("4.2", "EUR", 420),
        ("19.990", "USD", 1999),  # trailing zeros are not extra precision
        ("500", "JPY", 500),
        ("1.234", "KWD", 1234),
        ("12", "KWD", 12000),
    ],
)
def test_parse_into_minor_units(text: str, currency: str, minor: int) -> None:
    money = Money.parse(text, currency)
    assert money.amount == minor
    assert money.currency == currency
    assert isinstance(money.amount, int)


def test_exponents() -> None:
    assert exponent("USD") == 2
    assert exponent("EUR") == 2
    assert exponent("JPY") == 0
    assert exponent("KRW") == 0
    assert exponent("KWD") == 3
    assert exponent("BHD") == 3


@pytest.mark.parametrize(
    ("text", "currency"),
    [("5.5", "JPY"), ("500.1", "JPY"), ("19.999", "USD"), ("0.001", "EUR"), ("1.2345", "KWD")],
)
def test_extra_precision_refused(text: str, currency: str) -> None:
    with pytest.raises(ValueError) as caught:
        Money.parse(text, currency)
    message = str(caught.value)
    assert currency in message
    assert f"{exponent(currency)} decimals" in message


@pytest.mark.parametrize(
    "text", ["abc", "", "NaN", "nan", "Infinity", "-Infinity", "1.2.3", "19,99", "$19.99", "0x10", "1 0"]
)
def test_non_numbers_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a decimal amount"):
        Money.parse(text, "USD")


def test_currency_must_be_iso_4217_shaped() -> None:
    with pytest.raises(ValidationError):
        Money(amount=100, currency="usd")
    with pytest.raises(ValidationError):
        Money(amount=100, currency="US")


def test_float_amounts_refused() -> None:
    with pytest.raises(ValidationError):
        Money(amount=19.99, currency="USD")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (1999, "USD", "19.99"),
        (5, "USD", "0.05"),
        (0, "USD", "0.00"),
        (-250, "USD", "-2.50"),
        (10000, "EUR", "100.00"),
        (500, "JPY", "500"),
        (1234, "KWD", "1.234"),
        (5, "KWD", "0.005"),
    ],
)
def test_decimal_string(minor: int, currency: str, text: str) -> None:
    assert Money(amount=minor, currency=currency).decimal_string() == text


def test_str_shows_currency_and_amount() -> None:
    assert str(Money(amount=1999, currency="USD")) == "USD 19.99"
    assert str(Money(amount=500, currency="JPY")) == "JPY 500"


def test_decimal_string_round_trips() -> None:
    rng = random.Random(4217)
    for currency in ("USD", "EUR", "JPY", "KWD", "GBP", "BHD", "KRW"):
        samples = [0, 1, 9, 10, 99, 100, 101, 999, 1000, 123456789]
        samples += [rng.randrange(-(10**9), 10**12) for _ in range(300)]
        for minor in samples:
            money = Money(amount=minor, currency=currency)
            assert Money.parse(money.decimal_string(), currency) == money


def test_add_and_multiply_same_currency() -> None:
    total = Money.parse("19.99", "USD") + Money.parse("0.01", "USD")
    assert total == Money(amount=2000, currency="USD")
    assert Money.parse("4.20", "EUR") * 3 == Money(amount=1260, currency="EUR")
    assert Money.zero("JPY") == Money(amount=0, currency="JPY")


def test_adding_different_currencies_raises() -> None:
    with pytest.raises(ValueError) as caught:
        Money.parse("1", "USD") + Money.parse("1", "EUR")
    assert "USD" in str(caught.value)
    assert "EUR" in str(caught.value)


def test_money_is_immutable() -> None:
    money = Money.parse("1", "USD")
    with pytest.raises(ValidationError):
        money.amount = 5  # type: ignore[misc]
