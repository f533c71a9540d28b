"""Routing: the customer's country picks the cheapest open hub that serves it; hubs are data."""

from __future__ import annotations

from typing import Any

import pytest

from boomerang.domain.errors import Unprocessable
from boomerang.domain.money import Money
from boomerang.domain.policy import Policy, default_policy, load_policy
from boomerang.domain.routing import choose_hub

from .factories import default_document

POLICY = default_policy()
ORIGIN_COST = Money(amount=2500, currency="USD")


def _policy_with(change: Any) -> Policy:
    document = default_document()
    change(document)
    return load_policy(document)


def _hub(document: dict[str, Any], hub_id: str) -> dict[str, Any]:
    return next(hub for hub in document["hubs"] if hub["hub_id"] == hub_id)


def _extra_hub(hub_id: str, serves: list[str], amount: int, currency: str = "USD") -> dict[str, Any]:
    return {
        "hub_id": hub_id,
        "name": f"Hub {hub_id}",
        "address": {"name": hub_id, "line1": "1 Street", "city": "City", "postal_code": "1", "country": "US"},
        "serves": serves,
        "cost_per_parcel": {"amount": amount, "currency": currency},
    }


def test_us_goes_to_new_jersey() -> None:
    choice = choose_hub(POLICY, "US")
    assert choice.hub_id == "us-nj"
    assert choice.country == "US"
    assert choice.cost == Money(amount=599, currency="USD")
    assert choice.cost.decimal_string() == "5.99"
    assert choice.fallback_hub_id == "origin"
    assert choice.fallback_cost == ORIGIN_COST


@pytest.mark.parametrize("country", ["DE", "PL", "FR"])
def test_eu_goes_to_poland(country: str) -> None:
    choice = choose_hub(POLICY, country)
    assert choice.hub_id == "eu-pl-gls"
    assert choice.country == "PL"
    assert choice.cost == Money(amount=420, currency="EUR")
    assert choice.fallback_hub_id == "origin"
    assert choice.fallback_cost == ORIGIN_COST


def test_every_eu_country_goes_to_poland() -> None:
    assert len(POLICY.regions["EU"]) == 27
    for country in POLICY.regions["EU"]:
        assert choose_hub(POLICY, country).hub_id == "eu-pl-gls", country


@pytest.mark.parametrize("country", ["JP", "BR", "GB", "CH", "CA", "AU", "CN"])
def test_elsewhere_goes_to_origin(country: str) -> None:
    choice = choose_hub(POLICY, country)
    assert choice.hub_id == "origin"
    assert choice.country == "CN"
    assert choice.cost == ORIGIN_COST
    assert choice.fallback_hub_id == "origin"
    assert choice.fallback_cost == ORIGIN_COST


def test_a_closed_hub_sends_its_countries_to_origin() -> None:
    policy = _policy_with(lambda d: _hub(d, "us-nj").update(open=False))
    choice = choose_hub(policy, "US")
    assert choice.hub_id == "origin"
    assert choice.cost == ORIGIN_COST
    assert choose_hub(policy, "DE").hub_id == "eu-pl-gls"


def test_a_cheaper_second_hub_wins() -> None:
    def add(document: dict[str, Any]) -> None:
        document["hubs"].append(_extra_hub("us-ca-dear", ["US"], 799))
        document["hubs"].append(_extra_hub("us-tx-cheap", ["US"], 499))

    choice = choose_hub(_policy_with(add), "US")
    assert choice.hub_id == "us-tx-cheap"
    assert choice.cost == Money(amount=499, currency="USD")
    assert choice.fallback_hub_id == "origin"


def test_a_closed_cheaper_hub_does_not_win() -> None:
    def add(document: dict[str, Any]) -> None:
        cheap = _extra_hub("us-tx-cheap", ["US"], 499)
        cheap["open"] = False
        document["hubs"].append(cheap)

    assert choose_hub(_policy_with(add), "US").hub_id == "us-nj"


def test_naming_the_country_beats_the_region_and_the_region_beats_anywhere() -> None:
    def add(document: dict[str, Any]) -> None:
        document["hubs"].append(_extra_hub("de-direct", ["DE"], 900, "EUR"))
        document["hubs"].append(_extra_hub("cheap-anywhere", ["*"], 1, "EUR"))

    policy = _policy_with(add)
    assert choose_hub(policy, "DE").hub_id == "de-direct"
    assert choose_hub(policy, "FR").hub_id == "eu-pl-gls"


def test_no_open_hub_at_all_is_unprocessable() -> None:
    def close_all(document: dict[str, Any]) -> None:
        for hub in document["hubs"]:
            hub["open"] = False

    policy = _policy_with(close_all)
    for country in ("US", "DE", "JP"):
        with pytest.raises(Unprocessable) as caught:
            choose_hub(policy, country)
        assert caught.value.code == "no_hub_for_country"
        assert caught.value.http_status == 422
        assert caught.value.details == [{"country": country}]
        assert country in caught.value.message


def test_a_closed_origin_still_leaves_the_regional_hubs() -> None:
    policy = _policy_with(lambda d: _hub(d, "origin").update(open=False))
    assert choose_hub(policy, "US").hub_id == "us-nj"
    assert choose_hub(policy, "PL").hub_id == "eu-pl-gls"
    with pytest.raises(Unprocessable):
        choose_hub(policy, "JP")


def _refusing(hub_id: str, accepted: list[str]) -> Policy:
    return _policy_with(lambda d: _hub(d, hub_id).update(accepts=accepted))


def test_a_hub_that_refuses_a_category_sends_the_parcel_to_origin() -> None:
    # A GLS parcel point that takes apparel only: headphones from Germany go to the origin.
    policy = _refusing("eu-pl-gls", ["general", "apparel"])
    assert choose_hub(policy, "DE", {"apparel"}).hub_id == "eu-pl-gls"
    refused = choose_hub(policy, "DE", {"apparel", "electronics"})
    assert refused.hub_id == "origin"
    assert refused.cost == ORIGIN_COST
    assert choose_hub(policy, "DE", set()).hub_id == "eu-pl-gls"


def test_a_cheaper_hub_refusing_the_category_loses_to_one_that_accepts_it() -> None:
    def add(document: dict[str, Any]) -> None:
        cheap = _extra_hub("us-tx-cheap", ["US"], 499)
        cheap["accepts"] = ["apparel"]
        document["hubs"].append(cheap)

    policy = _policy_with(add)
    assert choose_hub(policy, "US", {"apparel"}).hub_id == "us-tx-cheap"
    assert choose_hub(policy, "US", {"electronics"}).hub_id == "us-nj"


@pytest.mark.parametrize(
    ("country", "hub_id", "cost"),
    [
        ("US", "us-nj", Money(amount=599, currency="USD")),
        ("DE", "eu-pl-gls", Money(amount=420, currency="EUR")),
        ("FR", "eu-pl-gls", Money(amount=420, currency="EUR")),
        ("PL", "eu-pl-gls", Money(amount=420, currency="EUR")),
        ("GB", "origin", ORIGIN_COST),
        ("CN", "origin", ORIGIN_COST),
        ("AU", "origin", ORIGIN_COST),
        ("ZZ", "origin", ORIGIN_COST),  # a country code no hub and no region names
    ],
)
def test_routing_table(country: str, hub_id: str, cost: Money) -> None:
    choice = choose_hub(POLICY, country, {"apparel"})
    assert (choice.hub_id, choice.cost, choice.fallback_cost) == (hub_id, cost, ORIGIN_COST)
