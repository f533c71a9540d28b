"""The exchange rules as plain domain code: options per line, the policy's checks, keep the item."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from boomerang.domain.catalog import Product, Variant, options_for
from boomerang.domain.decision import Thresholds
from boomerang.domain.errors import Unprocessable
from boomerang.domain.exchanges import choose_replacements, keep_item
from boomerang.domain.models import HubChoice, Order, OrderLine, Resolution
from boomerang.domain.money import Money
from boomerang.domain.policy import ExchangeTerms, KeepItem, RequestedItem, default_policy

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def usd(cents: int) -> Money:
    return Money(amount=cents, currency="USD")


def product(pid: str, sizes: dict[str, tuple[int, int]], category: str = "apparel") -> Product:
    return Product(
        shop="s",
        product_id=pid,
        category=category,
        variants=[
            Variant(variant_id=f"{pid}-{size}", sku=f"{pid}-{size}", options={"size": size}, price=usd(price),
                    stock=units, available=units)
            for size, (price, units) in sizes.items()
        ],
    )  # fmt: skip


ORDER = Order(
    shop="s", order_id="o1", order_number="#1", customer_email="a@example.com", customer_country="US",
    currency="USD", ordered_at=NOW - timedelta(days=5),
    lines=[OrderLine(line_id="l1", sku="tee-S", category="apparel", quantity=2, unit_price=usd(3000),
                     delivered_at=NOW - timedelta(days=2), product_id="tee", variant_id="tee-S")],
)  # fmt: skip
TEE = product("tee", {"S": (3000, 1), "M": (3000, 1), "L": (2000, 5), "XL": (3500, 5)})
POLO = product("polo", {"M": (2800, 3)})


def choose(variant: str | None, quantity: int = 1, terms: ExchangeTerms | None = None) -> object:
    policy = default_policy().model_copy(update={"exchanges": terms or ExchangeTerms()})
    items = [
        RequestedItem(line_id="l1", quantity=quantity, reason="size_too_small", exchange_variant_id=variant)
    ]
    limits = Thresholds("USD", "USD")
    return choose_replacements(
        policy, ORDER, items, Resolution.EXCHANGE, {"tee": TEE}, lambda c: [TEE, POLO], limits
    )


def code_of(variant: str | None, **kw: object) -> str:
    with pytest.raises(Unprocessable) as raised:
        choose(variant, **kw)  # type: ignore[arg-type]
    return raised.value.code


def test_options_list_the_other_variants_and_other_products_only_where_allowed() -> None:
    line = ORDER.lines[0]
    same = options_for(line, [TEE, POLO], other_products=False)
    assert [o.variant_id for o in same] == ["tee-M", "tee-L", "tee-XL"]
    assert [o.difference.amount for o in same] == [0, 1000, -500]
    assert "polo-M" in [o.variant_id for o in options_for(line, [TEE, POLO], other_products=True)]


def test_a_replacement_is_chosen_with_its_difference() -> None:
    exchange = choose("tee-L")
    assert exchange.lines[0].variant_id == "tee-L" and exchange.difference.amount == 1000  # type: ignore[attr-defined]
    assert choose(None).lines[0].variant_id == "tee-S"  # type: ignore[attr-defined]  # like for like


def test_the_policys_checks_name_what_is_wrong() -> None:
    assert code_of("tee-XL") == "exchange_costs_more"
    assert code_of("polo-M") == "exchange_product_not_allowed"
    assert code_of("nope") == "exchange_variant_not_found"
    assert (
        code_of("tee-L", terms=ExchangeTerms(max_price_difference={"USD": 500}))
        == "price_difference_too_large"
    )
    assert code_of("tee-M", quantity=2) == "out_of_stock"  # one M left, two asked


def test_keep_the_item_by_category_or_label_cost() -> None:
    hub = HubChoice(
        hub_id="h", name="H", country="US", cost=usd(800), fallback_hub_id="h", fallback_cost=usd(800)
    )
    by_category = KeepItem(categories=["socks"])
    assert keep_item(by_category, ["socks"], usd(900), hub) is not None
    assert keep_item(by_category, ["socks", "apparel"], usd(900), hub) is None
    by_cost = KeepItem(label_cost_share_above=50)
    assert keep_item(by_cost, ["apparel"], usd(1500), hub) is not None  # $8 label for $15 of goods
    assert keep_item(by_cost, ["apparel"], usd(1700), hub) is None
    assert keep_item(None, ["socks"], usd(100), hub) is None
