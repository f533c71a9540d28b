"""Markets on the default policy: the EU/EEA and UK 14-day right of withdrawal counted from delivery,
for any reason, next to the general 30 days; final sale, reasons, return shipping and the return hub
per market; the decision names the market whose terms applied."""

from __future__ import annotations

from datetime import timedelta

import pytest

from boomerang.domain.errors import Unprocessable
from boomerang.domain.markets import ReturnShipping, refund_terms_for
from boomerang.domain.models import Outcome, Resolution
from boomerang.domain.money import Money
from boomerang.domain.policy import Policy, check_request, default_policy, line_eligibility
from boomerang.domain.refunds import RefundTerms
from boomerang.domain.routing import choose_hub

from .factories import NOW, decision_for, default_document, item, line, order

POLICY = default_policy()


@pytest.mark.parametrize(
    ("country", "days"), [("DE", 14), ("FR", 14), ("NO", 14), ("GB", 14), ("US", 30), ("AU", 30)]
)
def test_the_window_follows_the_customers_market(country: str, days: int) -> None:
    the_line = line("L1", "40.00", delivered_days_ago=0)
    the_order = order(the_line, country=country)
    delivered = the_line.delivered_at
    assert delivered is not None
    assert line_eligibility(POLICY, the_order, the_line, delivered + timedelta(days=days)).eligible
    late = line_eligibility(POLICY, the_order, the_line, delivered + timedelta(days=days + 1))
    assert late.ineligible is not None and late.ineligible.code == "return_window_closed"
    assert f"{days}-day return window (from delivery)" in late.ineligible.message


def test_the_eu_window_counts_from_delivery_not_the_order() -> None:
    # Ordered 30 days ago, delivered 12 days ago: inside the EU's 14 days from delivery.
    the_line = line("L1", "40.00", delivered_days_ago=12)
    assert line_eligibility(
        POLICY, order(the_line, country="DE", ordered_days_ago=30), the_line, NOW
    ).eligible


def test_the_eu_window_holds_for_every_category() -> None:
    # The general terms give electronics 30 days; in the EU the market's 14 days apply to them too.
    the_line = line("L1", "40.00", category="electronics", delivered_days_ago=20)
    assert not line_eligibility(POLICY, order(the_line, country="DE"), the_line, NOW).eligible
    assert line_eligibility(POLICY, order(the_line, country="US"), the_line, NOW).eligible


def test_final_sale_is_per_market() -> None:
    # A clearance "final sale" cannot take away the EU right of withdrawal; gift cards stay excluded.
    sale = line("L1", "40.00", category="final_sale", delivered_days_ago=3)
    assert not line_eligibility(POLICY, order(sale, country="US"), sale, NOW).eligible
    assert line_eligibility(POLICY, order(sale, country="DE"), sale, NOW).eligible
    card = line("L1", "40.00", category="gift_card", delivered_days_ago=3)
    refused = line_eligibility(POLICY, order(card, country="DE"), card, NOW)
    assert refused.ineligible is not None and refused.ineligible.code == "category_not_returnable"


def test_any_reason_in_the_eu_even_where_the_general_terms_narrow_them() -> None:
    document = default_document()
    document["reasons"] = ["defective", "wrong_item"]
    narrow = Policy.model_validate(document)
    the_line = line("L1", "40.00", delivered_days_ago=3)
    check_request(narrow, order(the_line, country="DE"), [item(reason="unwanted")], Resolution.REFUND, NOW)
    with pytest.raises(Unprocessable) as refused:
        check_request(
            narrow, order(the_line, country="US"), [item(reason="unwanted")], Resolution.REFUND, NOW
        )
    assert refused.value.code == "reason_not_allowed"


def test_the_decision_names_the_market_whose_terms_applied() -> None:
    german = decision_for(
        POLICY,
        order(line("L1", "40.00", currency="EUR", delivered_days_ago=3), currency="EUR", country="DE"),
        [item()],
    )
    assert german.outcome is Outcome.APPROVED
    assert german.market is not None
    assert (german.market.market_id, german.market.name, german.market.window_days) == (
        "eu",
        "EU and EEA",
        14,
    )
    assert (german.market.window_from, german.market.return_shipping) == ("delivery", "merchant")
    australian = decision_for(
        POLICY, order(line("L1", "40.00", delivered_days_ago=3), country="AU"), [item()]
    )
    assert australian.market is not None and australian.market.market_id is None
    assert (australian.market.name, australian.market.window_days) == ("General terms", 30)


def test_the_markets_return_address_is_its_hub() -> None:
    document = default_document()
    document["markets"][1]["return_hub_id"] = "origin"
    policy = Policy.model_validate(document)
    assert choose_hub(policy, "DE", {"apparel"}).hub_id == "eu-pl-gls"  # ranked as usual
    assert choose_hub(policy, "DE", {"apparel"}, preferred="origin").hub_id == "origin"


def test_who_pays_return_shipping() -> None:
    terms = RefundTerms(return_shipping={"EUR": 595})
    assert refund_terms_for(terms, ReturnShipping.MERCHANT, None).return_shipping == {}
    fee = Money(amount=600, currency="EUR")
    assert refund_terms_for(terms, ReturnShipping.CUSTOMER, fee).return_shipping == {"EUR": 600}
    assert refund_terms_for(terms, None, None) == terms


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"countries": ["Atlantis"]}, "no country code or region"),
        ({"return_hub_id": "nowhere"}, "return_hub_id is not one of the hubs"),
    ],
)
def test_a_market_must_name_countries_and_hubs_the_policy_knows(
    change: dict[str, object], message: str
) -> None:
    document = default_document()
    document["markets"][0].update(change)
    with pytest.raises(ValueError, match=message):
        Policy.model_validate(document)


def test_markets_round_trip_through_the_policy_json() -> None:
    again = Policy.model_validate_json(POLICY.model_dump_json())
    assert again == POLICY
    assert [m.market_id for m in again.markets] == ["us", "eu", "uk"]


def test_the_new_fields_round_trip_through_the_policy_json_with_every_option_set() -> None:
    document = default_document()
    document["base_currency"] = "EUR"
    document["default_language"] = "de"
    document["fx_rates"] = {"KWD": {"per": "USD", "rate": "0.3066", "as_of": "2024-06-28", "note": "CBK"}}
    document["automation"] = {
        "trusted_min_kept_orders": 2,
        "trusted_customers": {"approve_up_to": {"EUR": 12000}},
        "evidence_checked_approval": {"up_to": {"EUR": 50000}},
        "refund_on_first_scan": {"up_to": {"EUR": 8000}},
    }
    policy = Policy.model_validate(document)
    assert Policy.model_validate_json(policy.model_dump_json()) == policy
    assert Policy.model_validate(policy.model_dump(mode="json")) == policy
    assert policy.model_dump(mode="json")["fx_rates"]["KWD"]["rate"] == "0.3066"
    assert not policy.pins("USD") and policy.pins("EUR")
