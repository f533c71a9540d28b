"""Exchanges (issue 17): the catalog fed by POST /v1/products, exchange options in eligibility,
a replacement named by a return item, its units held at the request and given back on cancel,
expiry and rejection, and the policy's own exchange rules."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from boomerang.domain.policy import ExchangeTerms, default_policy
from boomerang.store.catalog import CatalogStore
from boomerang.store.records import Repository
from local.demo.data import seed_shop

SHOP = "swapshop"
KEY = "bk_swapshop_local_only_key_00000000000"


def _at(days_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def shop(storefront: Any, repo: Repository) -> str:
    """A shop whose policy lets a tee be swapped for another tee (other products), up to $15 apart."""
    seed_shop(storefront.repo, shop=SHOP, api_key=KEY)
    if repo.current_policy(SHOP) is None:
        terms = ExchangeTerms(
            exchange_only_categories=["swimwear"], other_products=True, max_price_difference={"USD": 1500}
        )
        repo.put_policy(SHOP, default_policy().model_copy(update={"version": 2, "exchanges": terms}))
    return SHOP


def product_body(
    product_id: str, stock: dict[str, int], prices: dict[str, str] | None = None, **kw: Any
) -> dict[str, Any]:
    prices = prices or {}
    return {
        "product_id": product_id,
        "title": kw.get("title", "Tee"),
        "category": kw.get("category", "apparel"),
        "variants": [
            {
                "variant_id": f"{product_id}-{size}",
                "sku": f"{product_id.upper()}-{size}",
                "title": size,
                "options": {"size": size},
                "price": {"amount": prices.get(size, "39.00"), "currency": "USD"},
                "available": units,
            }
            for size, units in stock.items()
        ],
    }


def put_product(api: Any, body: dict[str, Any], key: str = KEY) -> tuple[int, Any]:
    return api.call("POST", "/v1/products", body, api_key=key)


def linked_order(
    api: Any, product_id: str, size: str = "S", price: str = "39.00", category: str = "apparel"
) -> dict[str, Any]:
    oid = uuid.uuid4().hex[:12]
    body = {
        "order_id": oid,
        "order_number": f"#{oid}",
        "customer": {"email": f"{oid}@example.com", "country": "US"},
        "currency": "USD",
        "ordered_at": _at(8),
        "payment_reference": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
        "lines": [
            {
                "line_id": f"{oid}-1",
                "sku": f"{product_id.upper()}-{size}",
                "title": "Tee",
                "category": category,
                "quantity": 1,
                "unit_price": {"amount": price, "currency": "USD"},
                "delivered_at": _at(5),
                "product_id": product_id,
                "variant_id": f"{product_id}-{size}",
            }
        ],
    }
    status, out = api.call("POST", "/v1/orders", body, api_key=KEY)
    assert status == 201, out
    return body


def exchange(api: Any, order: dict[str, Any], variant: str | None, **kw: Any) -> tuple[int, Any]:
    reason = kw.pop("reason", "size_too_small")
    item: dict[str, Any] = {"line_id": order["lines"][0]["line_id"], "quantity": 1, "reason": reason}
    if variant is not None:
        item["exchange_variant_id"] = variant
    body = {"order_id": order["order_id"], "items": [item], "resolution": kw.pop("resolution", "exchange")}
    return api.call(
        "POST", "/v1/returns", body, headers={"Idempotency-Key": uuid.uuid4().hex}, api_key=KEY, **kw
    )


def variant_stock(repo: Repository, product_id: str, variant_id: str) -> tuple[int, int, int]:
    product = CatalogStore(repo.table, repo.ddb).get(SHOP, product_id)
    assert product is not None
    v = product.variant(variant_id)
    assert v is not None
    return v.stock, v.reserved, v.available


def test_products_are_created_then_updated_and_answer_their_stock(api: Any, shop: str) -> None:
    pid = f"tee{uuid.uuid4().hex[:8]}"
    status, out = put_product(api, product_body(pid, {"S": 2, "M": 0}))
    assert status == 201, out
    assert out["variants"][0] == {
        "variant_id": f"{pid}-S", "sku": f"{pid.upper()}-S", "title": "S", "options": {"size": "S"},
        "price": {"amount": "39.00", "currency": "USD"}, "stock": 2, "reserved": 0, "available": 2,
    }  # fmt: skip
    status, out = put_product(api, product_body(pid, {"S": 5, "M": 1}))
    assert status == 200 and [v["available"] for v in out["variants"]] == [5, 1]


def test_products_take_an_api_key_only_and_bodies_are_checked(api: Any, shop: str) -> None:
    pid = f"tee{uuid.uuid4().hex[:8]}"
    body = product_body(pid, {"S": 1})
    status, out = api.call("POST", "/v1/products", body, api_key=None, token="not.a.token")
    assert status == 401
    body["variants"][0]["available"] = -1
    status, out = put_product(api, body)
    assert status == 422 and out["error"]["details"][0]["field"].endswith("available")
    body = product_body(pid, {"S": 1})
    body["variants"].append(dict(body["variants"][0]))
    assert put_product(api, body)[0] == 422


def test_eligibility_lists_exchange_options_with_availability(api: Any, shop: str) -> None:
    pid = f"tee{uuid.uuid4().hex[:8]}"
    put_product(api, product_body(pid, {"S": 3, "M": 0, "L": 2}, {"L": "29.00"}))
    other = f"polo{uuid.uuid4().hex[:8]}"
    put_product(api, product_body(other, {"M": 4}, title="Polo"))
    order = linked_order(api, pid)
    status, out = api.call("GET", f"/v1/orders/{order['order_id']}/eligibility", api_key=KEY)
    assert status == 200, out
    options = {o["variant_id"]: o for o in out["lines"][0]["exchange_options"]}
    assert f"{pid}-S" not in options  # the variant bought
    assert options[f"{pid}-M"]["available"] == 0 and options[f"{pid}-M"]["same_product"]
    assert options[f"{pid}-L"]["price_difference"] == {"amount": "10.00", "currency": "USD"}
    assert options[f"{other}-M"]["same_product"] is False  # the policy allows other products


def test_an_exchange_holds_its_replacement_and_a_cancel_gives_it_back(
    api: Any, shop: str, repo: Repository
) -> None:
    pid = f"tee{uuid.uuid4().hex[:8]}"
    put_product(api, product_body(pid, {"S": 1, "M": 2}))
    order = linked_order(api, pid)
    status, out = exchange(api, order, f"{pid}-M")
    assert status == 201, out
    assert out["items"][0]["exchange_variant_id"] == f"{pid}-M"
    assert out["exchange"]["hold"] == "held" and out["exchange"]["price_difference"]["amount"] == "0.00"
    assert variant_stock(repo, pid, f"{pid}-M") == (2, 1, 1)
    # The feed says 5 on the shelf: the held unit stays held.
    put_product(api, product_body(pid, {"S": 1, "M": 5}))
    assert variant_stock(repo, pid, f"{pid}-M") == (5, 1, 4)
    status, out = api.call("POST", f"/v1/returns/{out['rma']}/cancel", api_key=KEY)
    assert status == 200 and out["exchange"]["hold"] == "released"
    assert variant_stock(repo, pid, f"{pid}-M") == (5, 0, 5)


def test_no_units_left_answers_out_of_stock_naming_the_variant(api: Any, shop: str, repo: Repository) -> None:
    pid = f"tee{uuid.uuid4().hex[:8]}"
    put_product(api, product_body(pid, {"S": 1, "M": 0}))
    status, out = exchange(api, linked_order(api, pid), f"{pid}-M")
    assert status == 422 and out["error"]["code"] == "out_of_stock"
    assert out["error"]["details"][0]["variant_id"] == f"{pid}-M"
    assert variant_stock(repo, pid, f"{pid}-M") == (0, 0, 0)


def test_the_policy_rules_of_exchanges(api: Any, shop: str) -> None:
    pid = f"tee{uuid.uuid4().hex[:8]}"
    put_product(api, product_body(pid, {"S": 1, "M": 3, "L": 3, "XL": 3}, {"L": "19.00", "XL": "49.00"}))
    order = linked_order(api, pid)
    codes = {
        "dearer": exchange(api, order, f"{pid}-XL"),
        "too far apart": exchange(api, order, f"{pid}-L"),
        "unknown": exchange(api, order, "no-such-variant"),
        "not an exchange": exchange(api, order, f"{pid}-M", resolution="refund"),
    }
    assert {k: (v[0], v[1]["error"]["code"]) for k, v in codes.items()} == {
        "dearer": (422, "exchange_costs_more"),
        "too far apart": (422, "price_difference_too_large"),
        "unknown": (422, "exchange_variant_not_found"),
        "not an exchange": (422, "exchange_not_requested"),
    }
    # Exchange-only categories offer no refund.
    swim = f"swim{uuid.uuid4().hex[:8]}"
    put_product(api, product_body(swim, {"S": 1, "M": 1}, category="swimwear"))
    swim_order = linked_order(api, swim, category="swimwear")
    status, out = api.call("GET", f"/v1/orders/{swim_order['order_id']}/eligibility", api_key=KEY)
    assert out["lines"][0]["resolutions"] == ["exchange"]
    status, out = exchange(api, swim_order, None, resolution="refund")
    assert status == 422 and out["error"]["code"] == "resolution_not_allowed"
    # Without a variant named, the one bought is sent again (like for like).
    status, out = exchange(api, swim_order, None)
    assert status == 201 and out["exchange"]["lines"][0]["variant_id"] == f"{swim}-S"


def test_another_product_only_where_the_policy_allows(api: Any, storefront: Any) -> None:
    """The demo shop's default policy keeps exchanges to the same product."""
    from local.demo.data import DEMO_API_KEY

    pid, other = f"tee{uuid.uuid4().hex[:8]}", f"polo{uuid.uuid4().hex[:8]}"
    for product in (product_body(pid, {"S": 1}), product_body(other, {"M": 2})):
        assert put_product(api, product, key=DEMO_API_KEY)[0] == 201
    oid = uuid.uuid4().hex[:12]
    body = {
        "order_id": oid, "order_number": f"#{oid}",
        "customer": {"email": f"{oid}@example.com", "country": "US"},
        "currency": "USD", "ordered_at": _at(8),
        "lines": [{"line_id": "l1", "sku": "T-S", "category": "apparel", "quantity": 1,
                   "unit_price": {"amount": "39.00", "currency": "USD"}, "delivered_at": _at(5),
                   "product_id": pid, "variant_id": f"{pid}-S"}],
    }  # fmt: skip
    assert api.call("POST", "/v1/orders", body)[0] == 201
    status, out = api.call(
        "POST", "/v1/returns",
        {"order_id": oid, "items": [{"line_id": "l1", "quantity": 1, "reason": "size_too_small",
                                     "exchange_variant_id": f"{other}-M"}], "resolution": "exchange"},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )  # fmt: skip
    assert status == 422 and out["error"]["code"] == "exchange_product_not_allowed"


def _workflow(repo: Repository) -> Any:
    from boomerang.carriers.sandbox import SandboxCarrier
    from boomerang.payments.sandbox import SandboxPayments
    from boomerang.services.workflow import ReturnWorkflow
    from tests.integration.test_workflow_service import RecordingEngine

    policy = repo.current_policy(SHOP)
    return ReturnWorkflow(
        repo,
        lambda shop: policy,
        RecordingEngine(),
        SandboxCarrier(),
        SandboxPayments(),
        lambda: datetime.now(UTC),
    )


def test_a_rejection_and_an_expiry_give_the_held_units_back(api: Any, shop: str, repo: Repository) -> None:
    pid = f"tee{uuid.uuid4().hex[:8]}"
    put_product(api, product_body(pid, {"S": 2, "M": 2}))
    flow = _workflow(repo)
    reviewed = linked_order(api, pid)
    status, out = exchange(api, reviewed, f"{pid}-M", reason="defective")
    assert status == 201 and out["status"] == "pending_review", out
    approved = linked_order(api, pid)
    status, later = exchange(api, approved, f"{pid}-M")
    assert status == 201 and later["status"] == "approved", later
    assert variant_stock(repo, pid, f"{pid}-M") == (2, 2, 0)
    rejected = flow.reject(out["rma"], "staff:alice", "Worn")
    assert rejected.exchange is not None and rejected.exchange.hold == "released"
    assert variant_stock(repo, pid, f"{pid}-M") == (2, 1, 1)
    flow.issue_label(later["rma"])
    from boomerang.domain.models import Wait

    assert flow.expire(later["rma"], Wait.CARRIER)["status"] == "expired"
    assert variant_stock(repo, pid, f"{pid}-M") == (2, 0, 2)
