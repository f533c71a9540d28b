"""The public returns policy page, read off the enforced policy document itself (the one the engine
decides with), so what the page promises and what the engine does cannot drift apart; and its
schema.org MerchantReturnPolicy JSON-LD for search engines.

Plain Python: the page's data, no HTML (templates/policy.html renders it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from boomerang.domain.models import Effect, Hub, Resolution
from boomerang.domain.money import Money
from boomerang.domain.policy import Policy, When

SCHEMA = "https://schema.org/"
REFUND_TYPES = {
    Resolution.REFUND: "FullRefund",
    Resolution.STORE_CREDIT: "StoreCreditRefund",
    Resolution.EXCHANGE: "ExchangeRefund",
}


@dataclass(frozen=True)
class Terms:
    """One market's (or the general) terms: its window and what counts it, its text."""

    name: str
    countries: list[str]
    window_days: int
    window_from: str  # delivery | order
    text: str | None
    final_sale: list[str]


@dataclass(frozen=True)
class Threshold:
    """A rule's condition on amounts, in the policy's base currency where it names one."""

    effect: str  # require_evidence | review | approve | reject
    above: Money | None
    below: Money | None
    categories: list[str]
    reasons: list[str]
    days_since_order_below: int | None


@dataclass(frozen=True)
class PolicyPage:
    policy: Policy
    general: Terms
    markets: list[Terms]
    categories: list[tuple[str, int | None, str | None]]  # name, own window, why not returnable
    evidence: list[Threshold]
    reviews: list[Threshold]
    hubs: list[tuple[Hub, list[str]]]  # each return address and the countries/regions it serves
    return_fee: Money | None
    refund_on_delivery_below: Money | None


def _in_base(policy: Policy, table: dict[str, int] | None) -> Money | None:
    if not table:
        return None
    currency = policy.base_currency if policy.base_currency in table else sorted(table)[0]
    return Money(amount=table[currency], currency=currency)


def _threshold(policy: Policy, effect: Effect, when: When) -> Threshold:
    return Threshold(
        effect=effect.value,
        above=_in_base(policy, when.return_amount_above) or _in_base(policy, when.order_total_above),
        below=_in_base(policy, when.return_amount_below),
        categories=list(when.category_in or []),
        reasons=list(when.reason_in or []),
        days_since_order_below=when.days_since_order_below,
    )


def policy_page(policy: Policy) -> PolicyPage:
    general = Terms(
        name="",
        countries=[],
        window_days=policy.window_days,
        window_from=policy.window_from.value,
        text=policy.conditions,
        final_sale=[name for name, rule in policy.categories.items() if not rule.returnable],
    )
    markets = [
        Terms(
            name=m.name,
            countries=list(m.countries),
            window_days=m.window_days if m.window_days is not None else policy.window_days,
            window_from=policy.window_from_for(m).value,
            text=m.terms,
            final_sale=list(
                m.final_sale_categories if m.final_sale_categories is not None else general.final_sale
            ),
        )
        for m in policy.markets
    ]
    categories = [
        (name, rule.window_days, None if rule.returnable else rule.not_returnable_message)
        for name, rule in sorted(policy.categories.items())
    ]
    return PolicyPage(
        policy=policy,
        general=general,
        markets=markets,
        categories=categories,
        evidence=[
            _threshold(policy, r.effect, r.when) for r in policy.rules if r.effect is Effect.REQUIRE_EVIDENCE
        ],
        reviews=[_threshold(policy, r.effect, r.when) for r in policy.rules if r.effect is Effect.REVIEW],
        hubs=[(hub, list(hub.serves)) for hub in policy.hubs if hub.open],
        return_fee=_in_base(policy, policy.refunds.return_shipping),
        refund_on_delivery_below=(
            _in_base(policy, policy.refund_on_delivery.return_amount_below)
            if policy.refund_on_delivery
            else None
        ),
    )


def _countries(policy: Policy, names: list[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        for country in policy.regions.get(name, [name]):
            if len(country) == 2 and country.isalpha() and country not in out:
                out.append(country)
    return out


def _one(
    policy: Policy, page_url: str, name: str, countries: list[str], days: int, fee: Money | None
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "@type": "MerchantReturnPolicy",
        "name": name,
        "url": page_url,
        "returnPolicyCategory": SCHEMA
        + ("MerchantReturnFiniteReturnWindow" if days else "MerchantReturnNotPermitted"),
        "returnMethod": SCHEMA + "ReturnByMail",
        "refundType": [SCHEMA + REFUND_TYPES[r] for r in policy.resolutions if r in REFUND_TYPES],
        "inStoreReturnsOffered": False,
    }
    if days:
        block["merchantReturnDays"] = days
    if countries:
        block["applicableCountry"] = countries
    if fee is None or fee.amount == 0:
        block["returnFees"] = SCHEMA + "FreeReturn"
    else:
        block["returnFees"] = SCHEMA + "ReturnShippingFees"
        block["returnShippingFeesAmount"] = {
            "@type": "MonetaryAmount",
            "value": fee.decimal_string(),
            "currency": fee.currency,
        }
    return block


def merchant_return_policy(page: PolicyPage, shop_name: str, page_url: str) -> dict[str, Any]:
    """schema.org MerchantReturnPolicy: the general terms, then one per market (its countries)."""
    policy = page.policy
    blocks = [_one(policy, page_url, f"{shop_name}: returns", [], page.general.window_days, page.return_fee)]
    for market in page.markets:
        blocks.append(
            _one(
                policy,
                page_url,
                f"{shop_name}: returns ({market.name})",
                _countries(policy, market.countries),
                market.window_days,
                page.return_fee,
            )
        )
    return {"@context": "https://schema.org", "@graph": blocks}
