"""ISO 4217: the currencies money may be in, their minor units, and the largest amount Boomerang holds.

The table is ISO 4217 list one as published on 2026-01-01 (the SIX Group's `list-one.xml`, as
shipped by the PyPI package `iso4217` 1.16.20260101), reduced to what a shop can price in: every
active code with a numeric minor unit. Left out, because they are not money a customer pays with:
- codes with no minor unit ("N.A."): precious metals (XAU, XAG, XPT, XPD), bond-market and
  accounting units (XBA-XBD, XDR, XSU, XUA), the testing code XTS and "no currency" XXX;
- funds codes (IsFund: BOV, CHE, CHW, CLF, COU, MXV, USN, UYI) and the other units of account
  (UYW, Uruguay's wage index; XAD, the Arab Accounting Dinar).
The CFA and CFP francs (XAF, XOF, XPF), the East Caribbean dollar (XCD) and the Caribbean
guilder (XCG) are real currencies despite their X.

Currencies withdrawn since Boomerang began (BGN, HRK, ANG, ZWL, SLL, CUC) are still read, so an
order or return stored in them keeps working, but no new amount is accepted in them.

Bounds. Every amount, given or computed (a line, an order's total, a return's amount, a refund, a
balance), stays below 10^12 major units of its currency: at most 999,999,999,999 JPY,
999,999,999,999.99 USD, 999,999,999,999.999 KWD. So its decimal string has at most 12 integer
digits (the API's documented amount pattern) and its minor units stay within 10^15, below
JavaScript's 2^53 (a client parsing minor units as a JSON number loses nothing), a float64's
exact integers (DuckDB, Athena), and DynamoDB's 38 digits. An order's lines (quantity at most
10,000 each) are checked against the bound as they come in, so no total can pass it.
"""

from __future__ import annotations

# Digits before the decimal point of any amount: amounts are below 10^MAX_INTEGER_DIGITS major units.
MAX_INTEGER_DIGITS = 12
# Units of one order line (and of one returned item).
MAX_QUANTITY = 10_000

_TWO = (
    "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF "
    "CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD "
    "HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA "
    "MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN "
    "QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP "
    "TRY TTD TWD TZS UAH USD UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG"
)
_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"

# Active currencies -> minor-unit exponent (decimals).
CURRENCIES: dict[str, int] = {
    **{code: 2 for code in _TWO.split()},
    **{code: 0 for code in _ZERO.split()},
    **{code: 3 for code in _THREE.split()},
}

# Withdrawn currencies still read in stored records -> (exponent, what replaced it).
WITHDRAWN: dict[str, tuple[int, str]] = {
    "BGN": (2, "EUR"),  # Bulgaria joined the euro on 2026-01-01
    "HRK": (2, "EUR"),  # Croatia, 2023-01-01
    "ANG": (2, "XCG"),  # Curaçao and Sint Maarten, 2025
    "ZWL": (2, "ZWG"),  # Zimbabwe, 2024
    "SLL": (2, "SLE"),  # Sierra Leone's redenomination
    "CUC": (2, "CUP"),  # Cuba ended the convertible peso in 2021
}

# What the codes people try most often are, when they are not money.
_NOT_MONEY = {
    "XXX": "ISO 4217's code for transactions with no currency",
    "XTS": "ISO 4217's code reserved for testing",
    "XAU": "gold",
    "XAG": "silver",
    "XPT": "platinum",
    "XPD": "palladium",
    "XDR": "the IMF's special drawing right, a unit of account",
}


class UnknownCurrency(ValueError):
    """Not an ISO 4217 currency that money may be in."""


def is_currency(code: str) -> bool:
    """An active ISO 4217 currency: one an amount may be given in."""
    return code in CURRENCIES


def check_currency(code: str) -> str:
    """The code, if money may be given in it now; else UnknownCurrency saying why not."""
    if code in CURRENCIES:
        return code
    if code in WITHDRAWN:
        raise UnknownCurrency(f"{code} is withdrawn from ISO 4217; use {WITHDRAWN[code][1]}")
    if code in _NOT_MONEY:
        raise UnknownCurrency(f"{code} is {_NOT_MONEY[code]}, not a currency")
    raise UnknownCurrency(f"'{code}' is not an active ISO 4217 currency code")


def check_known(code: str) -> str:
    """The code, if a stored amount may be in it (active, or withdrawn since)."""
    if code in CURRENCIES or code in WITHDRAWN:
        return code
    return check_currency(code)  # raises, saying why


def exponent(code: str) -> int:
    """Decimals of the currency's minor unit: JPY 0, USD 2, KWD 3."""
    if code in CURRENCIES:
        return CURRENCIES[code]
    if code in WITHDRAWN:
        return WITHDRAWN[code][0]
    check_currency(code)  # raises, saying why
    raise AssertionError  # pragma: no cover


def max_minor_units(code: str) -> int:
    """The largest amount in minor units: 10^12 major units less one minor unit."""
    return int(10 ** (MAX_INTEGER_DIGITS + exponent(code))) - 1
