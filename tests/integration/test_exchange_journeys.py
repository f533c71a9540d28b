"""Exchange journeys (issue 17) through the real state machine (synthesized from the CDK app,
executed by moto), the task Lambdas and the storefront API in-process on DynamoDB Local: a size
exchange in stock shipped with its tracking emailed, a cheaper variant with the difference refunded,
a replacement out of stock at resolution falling back to store credit (with the bonus, and the
customer told why), and a keep-the-item refund that issues no label."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from boomerang.auth.api_keys import hash_api_key
from boomerang.domain.models import Grade, Resolution, Wait
from boomerang.domain.policy import ExchangeTerms, KeepItem, default_policy
from boomerang.domain.refunds import RefundTerms
from boomerang.domain.status import ReturnStatus as S
from boomerang.services.workflow import Grading, ReturnWorkflow
from boomerang.store.catalog import CatalogStore
from boomerang.store.records import Repository
from local.demo.data import in_test_mode
from local.stepfunctions import LocalStepFunctions
from tests.integration.test_return_journeys import finished, flow, machine, waiting  # the journeys' fixtures
from tests.integration.test_storefront_api import _at

SHOP = "swapjourneys"
KEY = "bk_swapjourneys_journey_key"


@pytest.fixture(scope="module")
def shop(repo: Repository, machine: LocalStepFunctions) -> str:
    repo.put_shop(SHOP, SHOP)
    repo.put_api_key(hash_api_key(KEY), SHOP, "journeys")
    in_test_mode(repo, SHOP)  # sandbox labels and refunds: the journeys are about exchanges
    if repo.current_policy(SHOP) is None:
        changes = {
            "version": 2,
            "exchanges": ExchangeTerms(out_of_stock_fallback=Resolution.STORE_CREDIT),
            "keep_item": KeepItem(
                categories=["socks"], message="Keep the socks: hygiene items are not taken back."
            ),
            "refunds": RefundTerms(store_credit_bonus_percent=10),
        }
        repo.put_policy(SHOP, default_policy().model_copy(update=changes))
    return SHOP


def _product(
    api: Any, stock: dict[str, int], prices: dict[str, str], category: str = "apparel", key: str = KEY
) -> str:
    pid = f"tee{uuid.uuid4().hex[:8]}"
    body = {
        "product_id": pid,
        "title": "Tee",
        "category": category,
        "variants": [
            {
                "variant_id": f"{pid}-{size}",
                "sku": f"TEE-{size}",
                "title": size,
                "options": {"size": size},
                "price": {"amount": prices[size], "currency": "USD"},
                "available": units,
            }
            for size, units in stock.items()
        ],
    }
    assert api.call("POST", "/v1/products", body, api_key=key)[0] in (200, 201)
    return pid


def _request(
    api: Any,
    pid: str,
    price: str,
    variant: str | None,
    resolution: str = "exchange",
    category: str = "apparel",
    key: str = KEY,
    payment_reference: str = "pi_3MtwBwLkdIwHu7ix28a3tqPa",
) -> dict[str, Any]:
    oid = uuid.uuid4().hex[:12]
    order = {
        "order_id": oid, "order_number": f"#{oid}",
        "customer": {"email": f"{oid}@example.com", "country": "US"},
        "currency": "USD", "ordered_at": _at(8), "payment_reference": payment_reference,
        "lines": [{"line_id": "l1", "sku": "TEE-S", "title": "Tee", "category": category, "quantity": 1,
                   "unit_price": {"amount": price, "currency": "USD"}, "delivered_at": _at(5),
                   "product_id": pid, "variant_id": f"{pid}-S"}],
    }  # fmt: skip
    assert api.call("POST", "/v1/orders", order, api_key=key)[0] == 201
    item: dict[str, Any] = {"line_id": "l1", "quantity": 1, "reason": "size_too_small"}
    if variant:
        item["exchange_variant_id"] = f"{pid}-{variant}"
    status, ret = api.call(
        "POST", "/v1/returns", {"order_id": oid, "items": [item], "resolution": resolution},
        api_key=key, headers={"Idempotency-Key": uuid.uuid4().hex},
    )  # fmt: skip
    assert status == 201, ret
    return ret


def _told(repo: Repository, rma: str) -> list[str]:
    return [e["data"]["template"] for e in repo.outbox_events(rma) if e["type"] == "customer.notified"]


def _stock(repo: Repository, pid: str, variant: str, shop: str = SHOP) -> tuple[int, int, int]:
    product = CatalogStore(repo.table, repo.ddb).get(shop, pid)
    assert product is not None
    v = product.variant(f"{pid}-{variant}")
    assert v is not None
    return v.stock, v.reserved, v.available


def test_a_size_exchange_in_stock_ships_and_the_customer_gets_its_tracking(
    api: Any, repo: Repository, machine: LocalStepFunctions, flow: ReturnWorkflow, shop: str
) -> None:
    pid = _product(api, {"S": 1, "M": 3}, {"S": "20.00", "M": "20.00"})
    ret = _request(api, pid, "20.00", "M")
    assert ret["status"] == "approved" and _stock(repo, pid, "M") == (3, 1, 2)
    waiting(machine, repo, ret["rma"], Wait.CARRIER)
    flow.carrier_update(ret["rma"], S.DELIVERED, "carrier:test")  # a $20 size return: resolved on delivery
    waiting(machine, repo, ret["rma"], Wait.FULFILMENT)
    stored = repo.get_return(ret["rma"])[0]
    assert stored.status is S.EXCHANGED and stored.exchange is not None
    assert stored.exchange.hold == "ordered" and stored.exchange.replacement_order_id == f"EX-{ret['rma']}"
    assert _stock(repo, pid, "M") == (2, 0, 2)  # the held unit left with the replacement
    ordered = [e for e in repo.outbox_events(ret["rma"]) if e["type"] == "exchange.order_requested"]
    assert len(ordered) == 1 and ordered[0]["data"]["lines"][0]["sku"] == "TEE-M"
    assert ordered[0]["data"]["ship_to_order_id"] == ret["order_id"]
    # The merchant's WMS reports the shipment: the customer is emailed its tracking.
    shipment = {
        "carrier": "UPS",
        "tracking_number": "1Z999AA10123456784",
        "tracking_url": "https://ups.example/t/1Z9",
    }
    status, out = api.call("POST", f"/v1/returns/{ret['rma']}/exchange-fulfilment", shipment, api_key=KEY)
    assert status == 200 and out["status"] == "replacement_shipped", out
    assert out["exchange"]["shipment"]["tracking_number"] == "1Z999AA10123456784"
    again = api.call("POST", f"/v1/returns/{ret['rma']}/exchange-fulfilment", shipment, api_key=KEY)
    assert again[0] == 200  # the same shipment again changes nothing
    other = api.call(
        "POST",
        f"/v1/returns/{ret['rma']}/exchange-fulfilment",
        {**shipment, "tracking_number": "X"},
        api_key=KEY,
    )
    assert other[0] == 409 and other[1]["error"]["code"] == "no_replacement"
    finished(machine, ret["rma"], "Closed")
    assert _told(repo, ret["rma"]) == [
        "return.requested", "return.label_issued", "return.exchanged", "return.replacement_shipped",
    ]  # fmt: skip
    # No email of the exchange promises a refund.
    texts = [e.message for e in repo.get_return(ret["rma"])[1] if e.event.startswith("customer.notified")]
    assert not any("refund" in text.lower() for text in texts), texts


def test_a_cheaper_variant_refunds_the_difference(
    api: Any, repo: Repository, machine: LocalStepFunctions, flow: ReturnWorkflow, shop: str
) -> None:
    pid = _product(api, {"S": 1, "M": 3}, {"S": "30.00", "M": "24.50"})
    ret = _request(api, pid, "30.00", "M")
    assert ret["exchange"]["price_difference"] == {"amount": "5.50", "currency": "USD"}
    waiting(machine, repo, ret["rma"], Wait.CARRIER)
    flow.carrier_update(ret["rma"], S.DELIVERED, "carrier:test")
    waiting(machine, repo, ret["rma"], Wait.INSPECTION)  # $30: inspected before it is resolved
    flow.scan(ret["rma"], "us-nj", "staff:carl")
    flow.inspect(ret["rma"], [Grading("l1", Grade.RESELLABLE)], "staff:carl")
    waiting(machine, repo, ret["rma"], Wait.FULFILMENT)
    stored = repo.get_return(ret["rma"])[0]
    assert (
        stored.refund is not None and stored.refund.amount.amount == 550 and stored.refund.status == "pending"
    )
    flow.settlement(ret["rma"], True, "payments:test", reference=stored.refund.reference)
    stored = repo.get_return(ret["rma"])[0]
    assert stored.status is S.EXCHANGED and stored.refund is not None and stored.refund.status == "succeeded"
    assert "return.exchanged.difference" in _told(repo, ret["rma"])


def test_out_of_stock_at_resolution_falls_back_to_store_credit_with_its_bonus(
    api: Any, repo: Repository, machine: LocalStepFunctions, flow: ReturnWorkflow, shop: str
) -> None:
    pid = _product(api, {"S": 1, "M": 1}, {"S": "20.00", "M": "20.00"})
    ret = _request(api, pid, "20.00", "M")
    _product_again = {  # the shop sold its last M elsewhere: the feed reports 0 while one is held
        "product_id": pid, "title": "Tee", "category": "apparel",
        "variants": [{"variant_id": f"{pid}-M", "sku": "TEE-M",
                      "price": {"amount": "20.00", "currency": "USD"}, "available": 0}],
    }  # fmt: skip
    assert api.call("POST", "/v1/products", _product_again, api_key=KEY)[0] == 200
    assert _stock(repo, pid, "M") == (0, 1, -1)
    waiting(machine, repo, ret["rma"], Wait.CARRIER)
    flow.carrier_update(ret["rma"], S.DELIVERED, "carrier:test")
    finished(machine, ret["rma"], "Closed")
    stored, timeline = repo.get_return(ret["rma"])
    assert stored.resolution is Resolution.STORE_CREDIT and stored.refund is not None
    assert stored.refund.amount.amount == 2200  # $20 and the policy's 10% bonus
    assert stored.exchange is not None and stored.exchange.hold == "released"
    assert "out of stock" in (stored.exchange.fallback_reason or "")
    assert any(e.event == "exchange.fallen_back" for e in timeline)
    assert _stock(repo, pid, "M") == (0, 0, 0)
    assert "return.credited.out_of_stock" in _told(repo, ret["rma"])


def test_keep_the_item_resolves_without_a_label(
    api: Any, repo: Repository, machine: LocalStepFunctions, flow: ReturnWorkflow, shop: str
) -> None:
    pid = _product(api, {"S": 5}, {"S": "9.00"}, category="socks")
    ret = _request(api, pid, "9.00", None, resolution="refund", category="socks")
    assert ret["keep_item"] is True and ret["decision"]["rules"][-1]["rule_id"] == "keep_item"
    waiting(machine, repo, ret["rma"], Wait.SETTLEMENT)
    stored = repo.get_return(ret["rma"])[0]
    assert stored.label is None and stored.status is S.REFUND_PENDING
    flow.settlement(ret["rma"], True, "payments:test")
    entered = finished(machine, ret["rma"], "Closed")
    assert "Issue label" not in entered
    assert _told(repo, ret["rma"]) == ["return.requested", "return.approved.keep_item", "return.refunded"]
    # Nothing was received: the inventory feed (return.received / return.inspected) records no receipt.
    types = {e["type"] for e in repo.outbox_events(ret["rma"])}
    assert not types & {"return.label_issued", "return.received", "return.inspected"}
