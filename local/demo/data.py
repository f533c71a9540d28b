"""A demo shop, its API key and a few orders that show every path of the default policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from boomerang.auth.api_keys import hash_api_key
from boomerang.domain.fx import parse_ecb_daily
from boomerang.domain.policy import Timeouts, default_policy
from boomerang.store.rates import RatesStore
from boomerang.store.records import Repository

DEMO_SHOP = "demo"
# A fixed key so the README's curls work as printed; it only ever opens the local demo shop.
DEMO_API_KEY = "bk_demo_local_only_key_0000000000000"


def _at(days_ago: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _line(
    line_id: str, sku: str, title: str, category: str, price: str, currency: str, days: int
) -> dict[str, Any]:
    return {
        "line_id": line_id,
        "sku": sku,
        "title": title,
        "category": category,
        "quantity": 1,
        "unit_price": {"amount": price, "currency": currency},
        "delivered_at": _at(days),
    }


def demo_orders() -> list[dict[str, Any]]:
    """Orders as a storefront would POST them to /v1/orders."""
    return [
        {  # a $39 T-shirt in the wrong size: auto-approved
            "order_id": "1001",
            "order_number": "#1001",
            "customer": {"email": "ada@example.com", "country": "US"},
            "currency": "USD",
            "ordered_at": _at(9),
            "payment_reference": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
            "lines": [_line("1001-1", "TEE-BLK-M", "Black tee, M", "apparel", "39.00", "USD", 5)],
        },
        {  # headphones: electronics go to manual review
            "order_id": "1002",
            "order_number": "#1002",
            "customer": {"email": "grace@example.com", "country": "DE", "locale": "de-DE"},
            "currency": "EUR",
            "ordered_at": _at(12),
            "lines": [_line("1002-1", "HP-200", "Wireless headphones", "electronics", "79.00", "EUR", 8)],
        },
        {  # a $180 jacket: over $100 needs an unboxing video first
            "order_id": "1003",
            "order_number": "#1003",
            "customer": {"email": "linus@example.com", "country": "JP"},
            "currency": "USD",
            "ordered_at": _at(6),
            "lines": [_line("1003-1", "JKT-RAIN-L", "Rain jacket, L", "apparel", "180.00", "USD", 3)],
        },
        {  # delivered 45 days ago: outside the 30-day window
            "order_id": "1004",
            "order_number": "#1004",
            "customer": {"email": "ada@example.com", "country": "US"},
            "currency": "USD",
            "ordered_at": _at(50),
            "lines": [_line("1004-1", "MUG-01", "Mug", "home", "15.00", "USD", 45)],
        },
    ]


# A second demo shop whose waits are seconds long, so expiry and escalation can be watched.
HURRIED_SHOP = "demo-hurried"
HURRIED_API_KEY = "bk_demo-hurried_local_only_key_00000"


# The ECB's reference rates as recorded (events/samples/ecb/README.md): what a deployment's daily
# fetch (functions/fx_rates) would have stored; the local stack has no network.
RECORDED_RATES = (
    Path(__file__).resolve().parents[2] / "events" / "samples" / "ecb" / "eurofxref-daily-2024-06-28.xml"
)


def seed_rates(repo: Repository) -> None:
    RatesStore(repo.table, repo.ddb).put(parse_ecb_daily(RECORDED_RATES.read_bytes()), datetime.now(UTC))


def seed_shop(repo: Repository, shop: str = DEMO_SHOP, api_key: str = DEMO_API_KEY) -> None:
    repo.put_shop(shop, "Demo Store")
    repo.put_api_key(hash_api_key(api_key), shop, "local demo key")
    seed_rates(repo)
    if shop == DEMO_SHOP:
        seed_outbound(repo, shop)


# The demo shop's outbound parcels leave Shenzhen; "where is my order" is answered with no person
# while its parcels are on time. Its YunExpress lane to the US has a history of 12 deliveries.
DEMO_LANE_DAYS = (7, 8, 8, 9, 9, 9, 10, 10, 11, 12, 13, 15)


def seed_outbound(repo: Repository, shop: str) -> None:
    from boomerang.domain.providers import TrackingSettings
    from boomerang.store.parcels import ParcelStore
    from boomerang.store.providers import ProviderSettingsStore

    settings = ProviderSettingsStore(repo.table, repo.ddb)
    current = settings.get(shop)
    if current.tracking is None:
        tracking = TrackingSettings(provider="sandbox", origin_country="CN", auto_answer=True)
        settings.put(shop, current.model_copy(update={"tracking": tracking}))
    parcels = ParcelStore(repo.table, repo.ddb)
    now = datetime.now(UTC)
    for n, days in enumerate(DEMO_LANE_DAYS):
        parcels.put_transit_sample(
            shop, ("yunexpress", "CN", "US"), now - timedelta(days=30 + 3 * n), f"history{n}", days * 24.0
        )


def seed_hurried_shop(repo: Repository) -> None:
    """The demo shop with a policy whose labels are valid 5 seconds and reviews escalate after 5."""
    seed_shop(repo, HURRIED_SHOP, HURRIED_API_KEY)
    if repo.current_policy(HURRIED_SHOP) is None:
        fast = Timeouts(
            label_valid=timedelta(seconds=5), review=timedelta(seconds=5), evidence=timedelta(seconds=5)
        )
        repo.put_policy(HURRIED_SHOP, default_policy().model_copy(update={"version": 2, "timeouts": fast}))
