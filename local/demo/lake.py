"""A year of activity for the local lake: orders, returns through their journeys, refunds, labels,
tickets, and the demo shop's outbound parcels from Shenzhen, for three shops, written as the lake's
rows (boomerang.analytics.lake) in its Parquet layout. `make demo` fills .boomerang/lake with it;
the reports' year test and `make bench` use it.

The spread is the market's: electronics come back at about 18% of units and apparel at 9%; sizes
dominate apparel's reasons and defects electronics'; most returns are decided by the policy at
once, some wait for a person. Seeded, so the same call writes the same rows.

    python -m local.demo.lake [--returns 100000] [--dir .boomerang/lake]
"""

from __future__ import annotations

import argparse
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from boomerang.analytics.lake import empty_row, partition_of
from local.lake import LocalLake

SHOPS = ("demo", "nordic-outdoor", "tokyo-tech")
CURRENCIES = {"demo": "USD", "nordic-outdoor": "EUR", "tokyo-tech": "JPY"}
YEAR_START = datetime(2025, 12, 1, tzinfo=UTC)
DAYS = 365


@dataclass(frozen=True)
class Category:
    name: str
    return_rate: float  # of units sold
    price: tuple[int, int]  # minor units
    reasons: dict[str, float]


CATEGORIES = (
    Category(
        "apparel",
        0.09,
        (1500, 9000),
        {
            "size_too_small": 0.34,
            "size_too_large": 0.26,
            "style": 0.1,
            "color": 0.08,
            "not_as_described": 0.08,
            "defective": 0.04,
            "unwanted": 0.08,
            "other": 0.02,
        },
    ),
    Category(
        "footwear",
        0.12,
        (4000, 16000),
        {"size_too_small": 0.4, "size_too_large": 0.3, "defective": 0.08, "style": 0.1, "unwanted": 0.12},
    ),
    Category(
        "electronics",
        0.18,
        (3000, 60000),
        {"defective": 0.38, "not_as_described": 0.22, "wrong_item": 0.08, "unwanted": 0.27, "other": 0.05},
    ),
    Category(
        "home",
        0.06,
        (1000, 20000),
        {"defective": 0.3, "not_as_described": 0.25, "wrong_item": 0.1, "unwanted": 0.3, "other": 0.05},
    ),
    Category("beauty", 0.04, (800, 6000), {"unwanted": 0.5, "defective": 0.3, "not_as_described": 0.2}),
)
CATEGORY_WEIGHTS = (0.4, 0.12, 0.18, 0.2, 0.1)
COUNTRIES = {"US": 0.45, "CA": 0.07, "DE": 0.14, "FR": 0.09, "GB": 0.1, "PL": 0.05, "JP": 0.1}
# Country -> (hub, label cost, cost of a label back to the origin warehouse), minor units.
HUBS = {
    "US": ("us-nj", 650, 1400),
    "CA": ("us-nj", 1100, 1900),
    "DE": ("eu-pl", 700, 2600),
    "FR": ("eu-pl", 800, 2700),
    "PL": ("eu-pl", 450, 2500),
    "GB": ("origin", 2100, 2100),
    "JP": ("origin", 3400, 3400),
}
REVIEW_RULES = ("consumer_electronics_review", "high_value_review", "frequent_returner_review")
FAILURE_REASONS = {
    "expired_or_canceled_card": 0.45,
    "lost_or_stolen_card": 0.2,
    "charge_for_pending_refund_disputed": 0.1,
    "insufficient_funds": 0.25,
}
TICKET_CATEGORIES = {
    "where_is_my_return": 0.3,
    "refund_status": 0.25,
    "damaged_item": 0.12,
    "wrong_item": 0.08,
    "exchange_request": 0.1,
    "other": 0.15,
}
LANGUAGES = {"US": "en", "CA": "en", "GB": "en", "DE": "de", "FR": "fr", "PL": "en", "JP": "ja"}
PRIORITY = {"damaged_item": "high", "wrong_item": "high", "other": "low"}
SKUS_PER_CATEGORY = 40


# The demo shop ships from Shenzhen (issue 21): its outbound parcels, by carrier, with a median
# door-to-door time in days and how widely it spreads (a lognormal's sigma).
OUTBOUND_CARRIERS = {
    "yunexpress": (0.35, 9.5, 0.25),
    "yanwen": (0.2, 13.0, 0.3),
    "4px": (0.2, 10.5, 0.25),
    "cainiao": (0.15, 12.0, 0.3),
    "chinapost": (0.1, 17.0, 0.35),
}
OUTBOUND_EXCEPTIONS = {
    "customs_hold": 0.5,
    "failed_delivery": 0.25,
    "address": 0.1,
    "returned_to_sender": 0.15,
}


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class YearOfActivity:
    def __init__(self, returns: int = 100_000, seed: int = 18) -> None:
        self.rng = random.Random(seed)
        # Parcels draw from their own generator: the returns' rows stay what this seed always wrote.
        self.parcels_rng = random.Random(seed * 7919 + 1)
        self.target_returns = returns
        self.customers = max(1000, returns // 2)

    def rows(self, shop: str, share: float) -> Iterator[dict[str, Any]]:
        """One shop's year: `share` of the returns."""
        rng = self.rng
        expected_rate = sum(c.return_rate * w for c, w in zip(CATEGORIES, CATEGORY_WEIGHTS, strict=True))
        units_per_order = 2.2
        # Calibrated: returns requested after the year's end, and orders with no return, fall away.
        orders = int(self.target_returns * share / (expected_rate * units_per_order) * 1.2)
        for n in range(orders):
            placed = YEAR_START + timedelta(seconds=rng.uniform(0, DAYS * 86400))
            country = _pick(rng, COUNTRIES)
            customer = f"cust-{shop}-{rng.randrange(self.customers)}"
            lines = []
            for i in range(rng.choice((1, 1, 2, 2, 3, 4))):
                category = rng.choices(CATEGORIES, weights=CATEGORY_WEIGHTS)[0]
                k = rng.randrange(SKUS_PER_CATEGORY)
                quantity = rng.choice((1, 1, 1, 2))
                price = rng.randint(*category.price)
                lines.append((f"L{i}", category, f"{category.name[:3].upper()}-{k:03d}", quantity, price))
            order_id = f"{shop}-o{n}"
            yield self._row(
                "order.imported",
                shop,
                placed,
                order_id=order_id,
                customer_ref=customer,
                country=country,
                currency=CURRENCIES[shop],
                amount=sum(q * p for *_, q, p in lines),
                lines=[_line(lid, sku, c.name, None, q, p) for lid, c, sku, q, p in lines],
            )
            if shop == "demo":
                yield from self._parcel(shop, order_id, country, placed)
            returned = [(lid, c, sku, q, p) for lid, c, sku, q, p in lines if rng.random() < c.return_rate]
            if returned:
                requested = placed + timedelta(days=rng.uniform(4, 28))
                if requested < YEAR_START + timedelta(days=DAYS):
                    yield from self._journey(shop, order_id, customer, country, requested, returned)

    def _journey(
        self, shop: str, order_id: str, customer: str, country: str, at: datetime, returned: list[Any]
    ) -> Iterator[dict[str, Any]]:
        rng = self.rng
        rma = "R" + uuid.UUID(int=rng.getrandbits(128)).hex[:10].upper()
        base = {
            "rma": rma, "order_id": order_id, "customer_ref": customer, "country": country,
            "currency": CURRENCIES[shop],  # the amounts' and the labels' (minor units)
        }  # fmt: skip
        hub, label_cost, origin_cost = HUBS[country]
        amount = sum(q * p for *_, q, p in returned)
        electronics = any(c.name == "electronics" for _, c, *_ in returned)
        yield self._row(
            "return.requested",
            shop,
            at,
            **base,
            amount=amount,
            hub=hub,
            label_cost=label_cost,
            origin_cost=origin_cost,
            lines=[_line(lid, sku, c.name, _pick(rng, c.reasons), q, p) for lid, c, sku, q, p in returned],
        )
        held = rng.random() < (0.55 if electronics else 0.12 if amount > 10000 else 0.05)
        if held:
            rules = [REVIEW_RULES[0]] if electronics else [rng.choice(REVIEW_RULES[1:])]
            yield self._row(
                "return.pending_review", shop, at, **base, outcome="review", actor="policy", rules=rules
            )
            at += timedelta(hours=rng.lognormvariate(2.2, 0.8))  # a person looks: hours, sometimes days
            actor = "staff"
        else:
            actor = "policy"
        if rng.random() < (0.12 if held else 0.03):
            yield self._row("return.rejected", shop, at, **base, outcome="reject", actor=actor)
            return
        yield self._row("return.approved", shop, at, **base, outcome="approve", actor=actor)
        if rng.random() < 0.04:  # never sent
            return
        at += timedelta(minutes=rng.uniform(1, 30))
        yield self._row(
            "return.label_issued",
            shop,
            at,
            **base,
            hub=hub,
            carrier="easypost",
            label_cost=int(label_cost * rng.uniform(0.9, 1.1)),
            origin_cost=origin_cost,
        )
        at += timedelta(days=rng.lognormvariate(1.4, 0.45))
        yield self._row("return.received", shop, at, **base, hub=hub)
        at += timedelta(hours=rng.lognormvariate(2.8, 0.7))  # inspection
        choice = rng.random()
        if choice < 0.08:
            yield self._row("return.exchanged", shop, at, **base, amount=amount, method="exchange")
        elif choice < 0.25:
            yield self._row("return.credited", shop, at, **base, amount=amount, method="store_credit")
        else:
            if rng.random() < 0.03:
                yield self._row(
                    "refund.failed", shop, at, **base, reason=_pick(rng, FAILURE_REASONS), method="card"
                )
                at += timedelta(days=rng.uniform(1, 6))
                method = rng.choice(("store_credit", "bank_transfer", "paypal", "card"))
                if rng.random() < 0.1:
                    return  # still unpaid
                yield self._row(
                    "return.credited" if method == "store_credit" else "refund.succeeded",
                    shop,
                    at,
                    **base,
                    amount=amount,
                    method=method,
                )
            else:
                yield self._row("refund.succeeded", shop, at, **base, amount=amount, method="card")
        if rng.random() < 0.15:
            yield from self._ticket(shop, country, at - timedelta(days=rng.uniform(0, 5)), rma)

    def _parcel(self, shop: str, order_id: str, country: str, placed: datetime) -> Iterator[dict[str, Any]]:
        """The order's parcel from Shenzhen: shipped, perhaps late or in trouble, delivered."""
        rng = self.parcels_rng
        weights = [w for w, _, _ in OUTBOUND_CARRIERS.values()]
        carrier = rng.choices(list(OUTBOUND_CARRIERS), weights=weights)[0]
        _, median_days, sigma = OUTBOUND_CARRIERS[carrier]
        lane = {
            "order_id": order_id,
            "carrier": carrier,
            "origin_country": "CN",
            "destination_country": country,
        }
        shipped = placed + timedelta(hours=rng.uniform(6, 60))
        yield self._row("shipment.created", shop, shipped, rng, **lane, status="pre_transit")
        hours = rng.lognormvariate(0, sigma) * median_days * 24
        if hours > median_days * 24 * 1.5:  # past about the lane's p90: told once, mid-way
            reason = "past_p90" if rng.random() < 0.7 else "no_news"
            yield self._row("shipment.delayed", shop, shipped + timedelta(hours=hours * 0.8), rng, **lane,
                            status="in_transit", reason=reason)  # fmt: skip
        if rng.random() < 0.02:
            kind = _pick(rng, OUTBOUND_EXCEPTIONS)
            yield self._row("shipment.exception", shop, shipped + timedelta(hours=hours * 0.7), rng, **lane,
                            status="exception", reason=kind)  # fmt: skip
            if kind == "returned_to_sender":
                return
        yield self._row(
            "shipment.delivered", shop, shipped + timedelta(hours=hours), rng, **lane, status="delivered",
            transit_hours=round(hours, 2),
        )  # fmt: skip

    def _ticket(self, shop: str, country: str, at: datetime, rma: str) -> Iterator[dict[str, Any]]:
        rng = self.rng
        ticket_id = "TK-" + uuid.UUID(int=rng.getrandbits(128)).hex[:12].upper()
        category = _pick(rng, TICKET_CATEGORIES)
        yield self._row(
            "ticket.opened",
            shop,
            at,
            ticket_id=ticket_id,
            rma=rma,
            category=category,
            language=LANGUAGES[country],
            priority=PRIORITY.get(category, "normal"),
            method="email",
        )
        yield self._row(
            "ticket.replied",
            shop,
            at + timedelta(hours=rng.lognormvariate(1.3, 0.9)),
            ticket_id=ticket_id,
            actor="staff",
        )

    def _row(
        self, kind: str, shop: str, at: datetime, rng: random.Random | None = None, **columns: Any
    ) -> dict[str, Any]:
        row = empty_row()
        ids = rng or self.rng
        row.update(event_id=uuid.UUID(int=ids.getrandbits(128)).hex, type=kind, occurred_at=at, **columns)
        row.update(partition_of(shop, at))
        return row


def _line(
    line_id: str, sku: str, category: str, reason: str | None, quantity: int, price: int
) -> dict[str, Any]:
    product = f"{category.title()} {sku[-3:]}"
    return {
        "line_id": line_id,
        "sku": sku,
        "product": product,
        "category": category,
        "reason": reason,
        "quantity": quantity,
        "amount": price * quantity,
    }


def has_parcels(lake: LocalLake) -> bool:
    """Whether the lake was written with the outbound parcels (a lake from before has none)."""
    _, rows = lake.engine().run("SELECT COUNT(*) FROM events WHERE type = 'shipment.delivered'", [])
    return bool(rows[0][0])


def fill(lake: LocalLake, returns: int = 100_000, seed: int = 18) -> int:
    """Write a year of activity (about `returns` returns across the three shops); the rows written."""
    year = YearOfActivity(returns, seed)
    shares = (0.5, 0.3, 0.2)
    return sum(lake.append(year.rows(shop, share)) for shop, share in zip(SHOPS, shares, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description="Fill the local lake with a year of activity")
    parser.add_argument("--returns", type=int, default=100_000)
    parser.add_argument(
        "--dir", default=None, help="the lake's directory (default .boomerang/lake, or LAKE_DIR)"
    )
    args = parser.parse_args()
    lake = LocalLake(args.dir)
    if lake.files():
        print(f"the lake at {lake.root} has events already; leaving it as it is")
        if not has_parcels(lake):
            print(f"(written before the outbound parcels: remove {lake.root} and run this again to fill "
                  "shipping_performance)")  # fmt: skip
        return
    written = fill(lake, args.returns)
    print(f"wrote {written} events for {len(SHOPS)} shops into {lake.events_dir}")


if __name__ == "__main__":
    main()
