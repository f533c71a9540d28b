"""Reference rates: the ECB's daily file as recorded, conversions between ISO 4217 minor units, and
policy thresholds in any currency (issue 19: a CNY, a JPY and a KWD return decided at the recorded rate)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from boomerang.domain.fx import FixedRate, Rates, RatesUnreadable, parse_ecb_daily
from boomerang.domain.models import Decision, Outcome
from boomerang.domain.money import Money
from boomerang.domain.policy import Policy, decide, default_policy, facts_for

from .factories import NOW, default_document, item, line, message_of, order, rule_ids

RECORDED = Path(__file__).resolve().parents[2] / "events/samples/ecb/eurofxref-daily-2024-06-28.xml"
TABLE = parse_ecb_daily(RECORDED.read_bytes())
KWD_PER_USD = FixedRate(per="USD", rate=Decimal("0.3066"), as_of=date(2024, 6, 28), note="CBK, 28 June 2024")


def test_the_recorded_file_reads_as_the_ecb_published_it() -> None:
    assert TABLE.source == "ECB" and TABLE.base == "EUR"
    assert TABLE.date == date(2024, 6, 28)
    assert len(TABLE.rates) == 30
    assert TABLE.rates["USD"] == Decimal("1.0705")
    assert TABLE.rates["JPY"] == Decimal("171.94")
    assert TABLE.rates["CNY"] == Decimal("7.7748")
    assert "KWD" not in TABLE.rates and "BHD" not in TABLE.rates  # the ECB publishes no Gulf currency


@pytest.mark.parametrize(
    "document",
    [
        b"not xml",
        b"<html><body>Service unavailable</body></html>",
        b"<gesmes:Envelope xmlns:gesmes='http://www.gesmes.org/xml/2002-08-01' "
        b"xmlns='http://www.ecb.int/vocabulary/2002-08-01/eurofxref'><Cube><Cube time='2024-06-28'>"
        b"<Cube currency='USD' rate='-1'/></Cube></Cube></gesmes:Envelope>",
        b"<gesmes:Envelope xmlns:gesmes='http://www.gesmes.org/xml/2002-08-01' "
        b"xmlns='http://www.ecb.int/vocabulary/2002-08-01/eurofxref'><Cube><Cube time='2024-06-28'/>"
        b"</Cube></gesmes:Envelope>",
    ],
)
def test_what_is_not_the_ecbs_daily_file_is_refused(document: bytes) -> None:
    with pytest.raises(RatesUnreadable):
        parse_ecb_daily(document)


@pytest.mark.parametrize(
    ("currency", "usd_50", "rate"),
    [
        # 50 USD at 7.7748 / 1.0705 CNY per USD = 363.1385..., two decimals
        ("CNY", Money(amount=36314, currency="CNY"), "7.262774404"),
        # JPY has no minor unit: 50 * 171.94 / 1.0705 = 8030.83 -> 8031 yen
        ("JPY", Money(amount=8031, currency="JPY"), "160.6165343"),
        # KRW neither: 50 * 1377.730033 = 68886.50165 -> 68887
        ("KRW", Money(amount=68887, currency="KRW"), "1377.730033"),
        # KWD has three decimals and is the shop's own rate: 50 * 0.3066 = 15.330
        ("KWD", Money(amount=15330, currency="KWD"), "0.3066"),
    ],
)
def test_conversions_land_in_the_currencys_minor_units(currency: str, usd_50: Money, rate: str) -> None:
    conversion = Rates(TABLE, {"KWD": KWD_PER_USD}).conversion("USD", currency)
    assert conversion is not None
    assert conversion.rate == Decimal(rate)
    assert conversion.apply(Money(amount=5000, currency="USD")) == usd_50


def test_a_shop_rate_through_another_currency_names_both_sources() -> None:
    bhd = FixedRate(per="USD", rate=Decimal("0.376"), as_of=date(2024, 1, 2))
    conversion = Rates(TABLE, {"BHD": bhd}).conversion("EUR", "BHD")
    assert conversion is not None
    assert conversion.source == "policy+ECB" and conversion.date == date(2024, 1, 2)
    assert conversion.apply(Money(amount=10000, currency="EUR")) == Money(amount=40251, currency="BHD")
    assert "the shop's own rate and the ECB reference rate" in conversion.describe()


def test_no_table_and_no_shop_rate_converts_nothing() -> None:
    assert Rates(None).conversion("USD", "CNY") is None
    assert Rates(TABLE).conversion("USD", "KWD") is None


def _decided(currency: str, price: str, reason: str, country: str, policy: Policy | None = None) -> Decision:
    policy = policy or default_policy()
    the_order = order(
        line("L1", price, currency=currency, delivered_days_ago=5), currency=currency, country=country
    )
    rates = Rates(TABLE, policy.fx_rates)
    return decide(policy, facts_for(the_order, [item(reason=reason)], 0, NOW), NOW, rates)


def test_a_cny_299_dress_is_approved_at_the_recorded_rate() -> None:
    # Issue 19: it went to awaiting_evidence, "over the limit (none is set for CNY)".
    decision = _decided("CNY", "299.00", "size_too_small", "CN")
    assert decision.outcome is Outcome.APPROVED
    assert rule_ids(decision) == ["auto_approve_size_under_50"]
    assert "CNY 363.14" in message_of(decision, "auto_approve_size_under_50")  # USD 50.00 converted
    rate = decision.exchange_rate
    assert rate is not None
    assert (rate.from_currency, rate.to_currency, rate.date, rate.source) == ("USD", "CNY", TABLE.date, "ECB")
    assert rate.rate == Decimal("7.262774404")


def test_a_jpy_return_over_the_converted_evidence_threshold_needs_a_video() -> None:
    # USD 100 = JPY 16,062 at the recorded rate: JPY 16,500 is over it, JPY 16,000 is not.
    over = _decided("JPY", "16500", "unwanted", "JP")
    assert over.outcome is Outcome.AWAITING_EVIDENCE
    assert "JPY 16062" in message_of(over, "evidence_over_100")
    assert over.exchange_rate is not None and over.exchange_rate.date == date(2024, 6, 28)
    under = _decided("JPY", "16000", "unwanted", "JP")
    assert "evidence_over_100" not in rule_ids(under)


def test_a_kwd_return_is_decided_at_the_shops_recorded_rate_with_three_decimals() -> None:
    document = default_document()
    document["fx_rates"] = {"KWD": KWD_PER_USD.model_dump(mode="json")}
    policy = Policy.model_validate(document)
    decision = _decided("KWD", "14.995", "size_too_large", "KW", policy)
    assert decision.outcome is Outcome.APPROVED
    assert "KWD 15.330" in message_of(decision, "auto_approve_size_under_50")
    assert decision.exchange_rate is not None
    assert decision.exchange_rate.source == "policy"
    assert decision.exchange_rate.rate == Decimal("0.3066")
    assert decision.exchange_rate.date == date(2024, 6, 28)
    over = _decided("KWD", "15.331", "size_too_large", "KW", policy)
    assert over.outcome is Outcome.PENDING_REVIEW


def test_a_pinned_threshold_wins_over_the_conversion() -> None:
    decision = _decided("EUR", "49.00", "size_too_small", "DE")
    assert decision.outcome is Outcome.APPROVED
    assert "EUR 50.00" in message_of(decision, "auto_approve_size_under_50")
    assert decision.exchange_rate is None  # EUR is pinned in the default policy
    assert default_policy().pins("EUR") and not default_policy().pins("CNY")


def test_without_rates_a_currency_with_no_pin_is_never_waved_through() -> None:
    policy = default_policy()
    the_order = order(line("L1", "10.00", currency="CNY", delivered_days_ago=5), currency="CNY", country="CN")
    decision = decide(policy, facts_for(the_order, [item(reason="size_too_small")], 0, NOW), NOW, Rates(None))
    assert decision.outcome is Outcome.AWAITING_EVIDENCE  # the cautious evidence rule fires
    assert "none is set for CNY" in message_of(decision, "evidence_over_100")
