"""Exchange rates for policy amounts: the ECB's daily euro reference rates, the rates a shop sets
for currencies the ECB does not publish, and converting an amount into an order's currency.

A policy sets its thresholds in the shop's base currency (and may pin one per currency); a return in
another currency compares against the base amount converted at the latest reference rate. The
decision records the conversion it used (rate, date, source), so it can be read and recomputed later.

Plain Python: the ECB's XML is parsed here, fetched and stored elsewhere (services/rates.py).
Amounts convert in Decimal from minor units to minor units (ISO 4217 exponents: JPY 0, KWD 3),
rounded half to even; never through floats.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from xml.etree import ElementTree

from pydantic import BaseModel, ConfigDict, Field

from boomerang.domain.money import Currency, Money, exponent

ECB_DAILY_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
_ECB = {"ref": "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"}
# Rates are kept to 10 significant digits (the ECB publishes 5 or 6): a recorded rate is the one used.
_RATE = Context(prec=10, rounding=ROUND_HALF_EVEN)


class RatesUnreadable(ValueError):
    """A reference rates document that is not the ECB's daily file (or holds no rates)."""


class RateTable(BaseModel):
    """One day's reference rates: units of each currency per one unit of `base`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str = "ECB"
    date: date
    base: Currency = "EUR"
    rates: dict[Currency, Decimal]

    def per_base(self, currency: str) -> Decimal | None:
        return Decimal(1) if currency == self.base else self.rates.get(currency)


class FixedRate(BaseModel):
    """A rate the shop sets (a policy's `fx_rates`) for a currency the reference table lacks:
    one `per` is worth `rate` of the currency, as the shop recorded it on `as_of`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    per: Currency = Field(description="the currency of one unit, e.g. USD")
    rate: Decimal = Field(gt=0, description="units of this currency per one `per`, e.g. 0.3072")
    as_of: date = Field(description="when the shop recorded the rate; the decision names it")
    note: str | None = Field(default=None, max_length=200, description="where the rate comes from")


class Conversion(BaseModel):
    """The rate a decision used: one `from_currency` is `rate` of `to_currency`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    from_currency: str
    to_currency: str
    rate: Decimal
    date: date
    source: str  # "ECB", "policy" (the shop's rate), or "policy+ECB" (the shop's rate via the ECB's)

    def describe(self) -> str:
        where = {
            "ECB": "the ECB reference rate",
            "policy": "the shop's own rate",
            "policy+ECB": "the shop's own rate and the ECB reference rate",
        }.get(self.source, self.source)
        return f"1 {self.from_currency} = {self.rate:f} {self.to_currency} ({where} of {self.date:%Y-%m-%d})"

    def apply(self, money: Money) -> Money:
        if money.currency != self.from_currency:
            raise ValueError(f"this conversion is from {self.from_currency}, not {money.currency}")
        return convert_minor(money.amount, self.from_currency, self.to_currency, self.rate)


def convert_minor(amount: int, from_currency: str, to_currency: str, rate: Decimal) -> Money:
    """Minor units of one currency to minor units of another at `rate`, rounded half to even."""
    major = Decimal(amount).scaleb(-exponent(from_currency)) * rate
    minor = major.scaleb(exponent(to_currency)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return Money(amount=int(minor), currency=to_currency)


class Rates:
    """What a decision may convert with: the latest reference table (or none) and the shop's own rates."""

    def __init__(self, reference: RateTable | None, fixed: Mapping[str, FixedRate] | None = None):
        self.reference = reference
        self.fixed = dict(fixed or {})

    def _per_base(self, currency: str) -> tuple[Decimal, date, bool] | None:
        """Units of `currency` per one unit of the reference base, its date, and whether a shop's
        rate was needed; None where neither the table nor the shop knows it."""
        ref = self.reference
        if ref is not None and (found := ref.per_base(currency)) is not None:
            return found, ref.date, False
        fixed = self.fixed.get(currency)
        if fixed is None or ref is None or (leg := ref.per_base(fixed.per)) is None:
            return None
        return fixed.rate * leg, min(fixed.as_of, ref.date), True

    def conversion(self, from_currency: str, to_currency: str) -> Conversion | None:
        if from_currency == to_currency:
            return None
        direct = self.fixed.get(to_currency)
        if direct is not None and direct.per == from_currency:
            # The shop's rate names this very pair: no reference rate is involved.
            return Conversion(
                from_currency=from_currency,
                to_currency=to_currency,
                rate=_RATE.plus(direct.rate),
                date=direct.as_of,
                source="policy",
            )
        source, target = self._per_base(from_currency), self._per_base(to_currency)
        if source is None or target is None:
            return None
        try:
            rate = _RATE.divide(target[0], source[0])
        except (InvalidOperation, ZeroDivisionError):
            return None
        shop_rate = source[2] or target[2]
        return Conversion(
            from_currency=from_currency,
            to_currency=to_currency,
            rate=rate,
            date=min(source[1], target[1]),
            source="policy+ECB" if shop_rate else (self.reference.source if self.reference else "ECB"),
        )


def parse_ecb_daily(document: bytes | str) -> RateTable:
    """The ECB's eurofxref-daily.xml: its day and the rate of each currency per euro."""
    try:
        # The ECB's own file over HTTPS (or a recorded copy). Python's expat (>= 2.4.1) refuses the
        # entity-expansion attacks defusedxml guards against, and the file declares no entities.
        root = ElementTree.fromstring(document)  # noqa: S314
    except ElementTree.ParseError as exc:
        raise RatesUnreadable(f"not XML: {exc}") from exc
    day = root.find("ref:Cube/ref:Cube[@time]", _ECB)
    if day is None:
        raise RatesUnreadable("no <Cube time='...'> element: not the ECB's daily reference rates")
    try:
        published = date.fromisoformat(day.attrib["time"])
        rates = {
            cube.attrib["currency"]: Decimal(cube.attrib["rate"]) for cube in day.findall("ref:Cube", _ECB)
        }
    except (KeyError, ValueError, InvalidOperation) as exc:
        raise RatesUnreadable(f"a rate or the date cannot be read: {exc}") from exc
    if not rates or any(rate <= 0 for rate in rates.values()):
        raise RatesUnreadable("no rates, or a rate that is not positive")
    try:
        return RateTable(source="ECB", date=published, base="EUR", rates=rates)
    except ValueError as exc:
        raise RatesUnreadable(str(exc)) from exc
