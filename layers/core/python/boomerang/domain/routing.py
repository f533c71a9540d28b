"""Which return hub a parcel goes to: the cheapest open hub that serves the customer's country and
accepts every item in the parcel.

Hubs are policy data. A hub serves ISO countries, named regions (the policy's `regions`, e.g.
"EU") or "*" (anywhere), and accepts order-line categories (or "*"). A hub naming the country
beats one naming its region, which beats a "*" hub; among equals, the cheapest wins (costs
compared only within one currency; a hub in another currency ranks after). Where no hub fits, the
parcel goes to the policy's fallback hub (the origin warehouse, which takes back whatever it sold):
a customer in a country no hub serves still gets a label, never an error.
"""

from __future__ import annotations

from collections.abc import Iterable

from boomerang.domain.errors import Unprocessable
from boomerang.domain.models import Hub, HubChoice
from boomerang.domain.policy import Policy


def _specificity(hub: Hub, country: str, regions: dict[str, list[str]]) -> int | None:
    if country in hub.serves:
        return 2
    if any(country in regions.get(name, []) for name in hub.serves):
        return 1
    if "*" in hub.serves:
        return 0
    return None


def accepts(hub: Hub, categories: Iterable[str]) -> bool:
    return "*" in hub.accepts or all(category in hub.accepts for category in categories)


def choose_hub(
    policy: Policy, country: str, categories: Iterable[str] = (), preferred: str | None = None
) -> HubChoice:
    """`preferred`: the return address the customer's market names; it wins while it is open and
    takes every item, else the hubs are ranked as usual."""
    wanted = set(categories)
    fallback = next(hub for hub in policy.hubs if hub.hub_id == policy.fallback_hub_id)
    candidates: list[tuple[int, Hub]] = []
    for hub in policy.hubs:
        rank = _specificity(hub, country, policy.regions)
        if hub.hub_id == preferred and hub.open and accepts(hub, wanted):
            rank = 3
        if hub.open and rank is not None and accepts(hub, wanted):
            candidates.append((rank, hub))
    if not candidates:
        if not fallback.open:
            raise Unprocessable(
                f"No open return hub serves {country}.",
                code="no_hub_for_country",
                details=[{"country": country}],
            )
        candidates = [(0, fallback)]
    best_rank = max(rank for rank, _ in candidates)
    best = [hub for rank, hub in candidates if rank == best_rank]
    currency = best[0].cost_per_parcel.currency
    chosen = min(best, key=lambda h: (h.cost_per_parcel.currency != currency, h.cost_per_parcel.amount))
    return HubChoice(
        hub_id=chosen.hub_id,
        name=chosen.name,
        country=chosen.address.country,
        cost=chosen.cost_per_parcel,
        fallback_hub_id=fallback.hub_id,
        fallback_cost=fallback.cost_per_parcel,
    )
