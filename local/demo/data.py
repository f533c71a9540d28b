"""A demo shop, its API key and a few orders that show every path of the default policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from boomerang.auth.api_keys import hash_api_key
from boomerang.domain.branding import Branding
from boomerang.domain.customs import CustomsDefaults
from boomerang.domain.fx import parse_ecb_daily
from boomerang.domain.policy import Timeouts, default_policy
from boomerang.domain.providers import CarrierAccount, Mode, ProviderSettings
from boomerang.store.providers import ProviderSettingsStore
from boomerang.store.rates import RatesStore
from boomerang.store.records import Repository
from boomerang.store.shops import ShopStore

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


# Where each demo customer lives: a live shop's carrier needs the ship-from address of the return.
ADDRESSES: dict[str, dict[str, str]] = {
    "ada@example.com": {"name": "Ada Lovelace", "line1": "233 S Wacker Dr", "city": "Chicago",
                        "postal_code": "60606", "region": "IL", "country": "US", "phone": "+1 312 555 0100"},
    "grace@example.com": {"name": "Grace Hopper", "line1": "Friedrichstraße 123", "city": "Berlin",
                          "postal_code": "10117", "country": "DE", "phone": "+49 30 5550100"},
    "linus@example.com": {"name": "Linus Tanaka", "line1": "1-1 Marunouchi", "city": "Chiyoda-ku, Tokyo",
                          "postal_code": "100-0005", "country": "JP", "phone": "+81 3 5550 0100"},
    "kenji@example.com": {"name": "Kenji Sato", "line1": "2-3-1 Nishi-Shinjuku", "city": "Shinjuku-ku, Tokyo",
                          "postal_code": "163-8001", "country": "JP", "phone": "+81 3 5550 0101"},
}  # fmt: skip
# A street in each market the demo journeys use; any other country gets a generic one.
STREETS: dict[str, dict[str, str]] = {
    "US": {"line1": "233 S Wacker Dr", "city": "Chicago", "region": "IL", "postal_code": "60606"},
    "DE": {"line1": "Friedrichstraße 123", "city": "Berlin", "postal_code": "10117"},
    "FR": {"line1": "8 Rue de Rivoli", "city": "Paris", "postal_code": "75004"},
    "GB": {"line1": "10 Queen Street Place", "city": "London", "postal_code": "EC4R 1BE"},
    "JP": {"line1": "1-1 Marunouchi", "city": "Chiyoda-ku, Tokyo", "postal_code": "100-0005"},
    "CN": {"line1": "1 Shennan Blvd", "city": "Shenzhen", "region": "GD", "postal_code": "518000"},
    "AU": {"line1": "1 Martin Pl", "city": "Sydney", "region": "NSW", "postal_code": "2000"},
    "CA": {"line1": "100 Queen St W", "city": "Toronto", "region": "ON", "postal_code": "M5H 2N2"},
}


def address_in(country: str, name: str = "Demo Customer") -> dict[str, str]:
    """A ship-from address in the country, as a storefront sends the order's shipping address."""
    street = STREETS.get(country, {"line1": "1 Main Street", "city": "Capital", "postal_code": "10000"})
    return {"name": name, **street, "country": country, "phone": "+1 312 555 0100"}


DEMO_PAYMENT = "pi_3MtwBwLkdIwHu7ix28a3tqPa"  # Stripe's example PaymentIntent, refunded by the local stand-in


def _shipped(order: dict[str, Any]) -> dict[str, Any]:
    """The order as a live shop's storefront sends it: where it went and how it was paid."""
    return {
        "payment_reference": DEMO_PAYMENT,
        **order,
        "shipping_address": ADDRESSES[order["customer"]["email"]],
    }


def demo_orders() -> list[dict[str, Any]]:
    """Orders as a storefront would POST them to /v1/orders."""
    return [_shipped(order) for order in _demo_orders()]


def _demo_orders() -> list[dict[str, Any]]:
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


def in_test_mode(repo: Repository, shop: str) -> None:
    """The shop explicitly in test mode: sandbox labels (SPECIMEN) and sandbox refunds. A shop
    without provider settings is live with nothing configured, and gets no label."""
    ProviderSettingsStore(repo.table, repo.ddb).put(shop, ProviderSettings(mode=Mode.TEST))


def seed_shop(
    repo: Repository, shop: str = DEMO_SHOP, api_key: str = DEMO_API_KEY, name: str = "Demo Store"
) -> None:
    repo.put_shop(shop, name)
    repo.put_api_key(hash_api_key(api_key), shop, "local demo key")
    in_test_mode(repo, shop)
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


# A second shop with its own branding, to show that each shop's pages are its own (/northwind/returns).
BRANDED_SHOP = "northwind"
BRANDED_API_KEY = "bk_northwind_local_only_key_0000000"
BRANDINGS = {
    DEMO_SHOP: Branding(
        name="Demo Store",
        primary_colour="#1f4e79",
        accent_colour="#b85c00",
        support_email="help@demo.example",
    ),
    BRANDED_SHOP: Branding(
        name="Northwind Outfitters",
        primary_colour="#f2c14e",  # light: the pages put black text on it (domain/branding.py)
        accent_colour="#2e7d32",
        support_email="care@northwind.example",
    ),
}


def branded_orders() -> list[dict[str, Any]]:
    """The second shop's orders, as its storefront would POST them."""
    return [_shipped(order) for order in _branded_orders()]


def _branded_orders() -> list[dict[str, Any]]:
    return [
        {  # a Japanese customer: the portal shows Japanese for this order
            "order_id": "7001",
            "order_number": "NW-7001",
            "customer": {"email": "kenji@example.com", "country": "JP", "locale": "ja-JP"},
            "currency": "USD",
            "ordered_at": _at(8),
            "lines": [
                _line("7001-1", "BOOT-42", "Trail boots, 42", "apparel", "45.00", "USD", 4),
                _line("7001-2", "SOCK-W", "Wool socks", "apparel", "12.00", "USD", 4),
            ],
        }
    ]


def seed_branded_shops(repo: Repository) -> None:
    """Branding for the demo shop, and the second shop with its own."""
    seed_shop(repo, BRANDED_SHOP, BRANDED_API_KEY, BRANDINGS[BRANDED_SHOP].name)
    shops = ShopStore(repo)
    for shop, branding in BRANDINGS.items():
        shops.set_branding(shop, branding)


# A live shop whose labels EasyPost buys: make local's EasyPost is the stand-in of local/easypost.py
# (EASYPOST_API_BASE), with its recorded replies. A US merchant with one hub, in New Jersey, for
# every country: a German customer's parcel crosses a customs border on its way there.
LIVE_SHOP = "demo-live"
LIVE_API_KEY = "bk_demo-live_local_only_key_0000000"
LIVE_EASYPOST_KEY = "EZTK_local_stand_in_not_a_real_key"


def go_live(repo: Repository, shop: str, secrets: object | None = None) -> None:
    """The shop live, as a merchant connects one: EasyPost buys every hub's labels (customs defaults
    and the legal name that signs customs papers), its EasyPost key in Secrets Manager."""
    import json

    import boto3

    store = ProviderSettingsStore(repo.table, repo.ddb)
    # US hubs rate with every account of the key (USPS, UPS); the Polish hub with the shop's GLS
    # account and the origin hub with its DHL account (local/easypost.py knows both).
    settings = ProviderSettings(
        mode=Mode.LIVE,
        carriers={
            "*": CarrierAccount(),
            "eu-pl-gls": CarrierAccount(carrier_accounts=["ca_local_gls"]),
            "origin": CarrierAccount(carrier_accounts=["ca_local_dhl"]),
        },
        customs=CustomsDefaults(hs_code="650500", origin_country="US", description="Apparel"),
        legal_name="Boomerang Demo Store Inc.",
        tracking=store.get(shop).tracking,  # its outbound parcels' provider and origin stay (seed_outbound)
    )
    store.put(shop, settings)
    client: Any = secrets or boto3.client("secretsmanager")
    name = f"boomerang/{shop}/easypost"
    value = json.dumps({"api_key": LIVE_EASYPOST_KEY})
    try:
        client.create_secret(Name=name, SecretString=value)
    except client.exceptions.ResourceExistsException:
        client.put_secret_value(SecretId=name, SecretString=value)


def seed_live_shop(repo: Repository, secrets: object | None = None) -> None:
    """The live EasyPost shop: provider settings (EasyPost for every hub, customs defaults, the legal
    name that signs customs papers), its EasyPost key in Secrets Manager, its one-hub policy."""
    repo.put_shop(LIVE_SHOP, "Demo Store (live labels)")
    repo.put_api_key(hash_api_key(LIVE_API_KEY), LIVE_SHOP, "local demo key")
    go_live(repo, LIVE_SHOP, secrets)
    if repo.current_policy(LIVE_SHOP) is None:
        policy = default_policy()
        nj = next(h for h in policy.hubs if h.hub_id == "us-nj")
        nj = nj.model_copy(update={"serves": ["*"], "carriers": ["USPS", "DHLExpress"]})
        # Every market's parcels go to New Jersey too (the default EU market names the Polish hub).
        markets = [
            m.model_copy(update={"return_hub_id": "us-nj"}) if m.return_hub_id else m for m in policy.markets
        ]
        document = policy.model_copy(
            update={"version": 2, "hubs": [nj], "fallback_hub_id": "us-nj", "markets": markets}
        ).model_dump(mode="json")
        repo.put_policy(LIVE_SHOP, type(policy).model_validate(document))
    seed_rates(repo)


# Exchanges (issue 17): a shop whose policy lets socks be kept (returnless) and adds a 10% bonus
# to store credit, the fallback of an exchange whose replacement runs out.
SWAP_SHOP = "demo-swap"
SWAP_API_KEY = "bk_demo-swap_local_only_key_0000000"
INSTANT_SHOP = "demo-instant"
INSTANT_API_KEY = "bk_demo-instant_local_only_key_000"


def seed_swap_shop(repo: Repository) -> None:
    from boomerang.domain.policy import ExchangeTerms, KeepItem
    from boomerang.domain.refunds import RefundTerms

    seed_shop(repo, SWAP_SHOP, SWAP_API_KEY)
    if repo.current_policy(SWAP_SHOP) is None:
        changes = {
            "version": 2,
            "keep_item": KeepItem(
                categories=["socks"], message="Keep the socks: hygiene items are not taken back."
            ),
            "refunds": RefundTerms(store_credit_bonus_percent=10),
            # A dearer replacement: the customer pays the difference first (Stripe Checkout).
            "exchanges": ExchangeTerms(dearer_replacements=True),
        }
        repo.put_policy(SWAP_SHOP, default_policy().model_copy(update=changes))
    # Instant exchange: the replacement ships with the label; a return not sent in 3 s is captured.
    from datetime import timedelta

    from boomerang.domain.policy import InstantExchange

    seed_shop(repo, INSTANT_SHOP, INSTANT_API_KEY)
    if repo.current_policy(INSTANT_SHOP) is None:
        instant = ExchangeTerms(instant=InstantExchange(ship_within=timedelta(seconds=3)))
        repo.put_policy(
            INSTANT_SHOP, default_policy().model_copy(update={"version": 2, "exchanges": instant})
        )
