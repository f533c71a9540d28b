"""Issue 13, items 3 and 6, through the handlers on DynamoDB Local: amounts bounded per ISO 4217
currency and strict integers at the input, so no write happens whose answer cannot be produced;
and one stored record that no longer reads never fails a list (skipped, logged by key, counted)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from boomerang.store import keys
from boomerang.store.dynamo import from_item, to_item
from boomerang.store.records import Repository
from tests.conftest import StaffApi
from tests.integration.test_storefront_api import create_order, items_of, order_body, request_return


def queue(staff_api: StaffApi, status: str, shop: str = "demo") -> list[dict[str, Any]]:
    """Every return in a staff queue, page after page."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {"shop": [shop], "status": [status], "limit": ["100"]}
        if cursor:
            query["cursor"] = [cursor]
        code, page = staff_api.call("GET", "/admin/v1/returns", query=query)
        assert code == 200, page
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


# --- the issue's case: quantity 2 of 999999999999.99, a return on it, the evidence queue ----------


def test_the_issues_huge_order_is_refused_naming_the_line_and_writes_nothing(
    api: Any, staff_api: StaffApi, repo: Repository, local_aws: Any
) -> None:
    before = items_of(repo, local_aws.table)
    body = order_body(price="999999999999.99", quantity=2, country="JP")
    status, out = api.call("POST", "/v1/orders", body)
    assert status == 422, out
    assert out["error"]["code"] == "validation_failed"
    assert [(d["field"], d["code"]) for d in out["error"]["details"]] == [("lines[0]", "amount_too_large")]
    assert "999999999999.99" in out["error"]["details"][0]["message"]
    assert items_of(repo, local_aws.table) == before

    # The return on it finds no order (nothing was saved), so no units are used up by a 500.
    status, out = request_return(api, body, "not_as_described", quantity=2)
    assert (status, out["error"]["code"]) == (404, "order_not_found")
    assert items_of(repo, local_aws.table) == before
    queue(staff_api, "awaiting_evidence")  # answers 200 for every staff member


def test_the_largest_amount_goes_through_order_return_and_the_evidence_queue(
    api: Any, staff_api: StaffApi
) -> None:
    order = create_order(api, price="999999999999.99", quantity=1, country="JP")
    status, ret = request_return(api, order, "not_as_described")
    assert status == 201, ret
    assert ret["status"] == "awaiting_evidence"
    assert ret["amount"] == {"amount": "999999999999.99", "currency": "USD"}
    assert ret["rma"] in [r["rma"] for r in queue(staff_api, "awaiting_evidence")]


@pytest.mark.parametrize(
    ("currency", "price", "quantity", "lines"),
    [("JPY", "999999999999", 1, 1), ("KWD", "999999999999.999", 1, 1), ("KWD", "0.001", 10_000, 250)],
)
def test_amounts_at_the_bound_of_each_currency_are_taken_and_answered(
    api: Any, currency: str, price: str, quantity: int, lines: int
) -> None:
    body = order_body(price=price, currency=currency, quantity=quantity)
    line = body["lines"][0]
    body["lines"] = [{**line, "line_id": f"{line['line_id']}-{n}"} for n in range(lines)]
    status, out = api.call("POST", "/v1/orders", body)
    assert status == 201, out
    assert out["total"]["currency"] == currency


def test_an_order_whose_total_passes_the_bound_is_refused_naming_the_lines(
    api: Any, repo: Repository, local_aws: Any
) -> None:
    body = order_body(price="500000000000", currency="JPY")
    body["lines"].append({**body["lines"][0], "line_id": "second"})
    before = items_of(repo, local_aws.table)
    status, out = api.call("POST", "/v1/orders", body)
    assert status == 422, out
    assert [(d["field"], d["code"]) for d in out["error"]["details"]] == [("lines", "amount_too_large")]
    assert items_of(repo, local_aws.table) == before


def test_a_return_on_an_order_in_a_currency_withdrawn_since_is_created_and_answered(
    api: Any, repo: Repository
) -> None:
    """Bulgaria's lev left ISO 4217 on 2026-01-01: an order stored in it before still takes a return,
    and the answer shows the amount (answers never refuse what the store holds)."""
    from boomerang.domain.models import Order, OrderLine
    from boomerang.domain.money import Money

    body = order_body(price="45.00", currency="EUR", country="BG")
    body["currency"] = body["lines"][0]["unit_price"]["currency"] = "BGN"
    status, out = api.call("POST", "/v1/orders", body)
    assert (status, out["error"]["details"][0]["code"]) == (422, "unknown_currency")
    assert "use EUR" in out["error"]["details"][0]["message"]

    line = body["lines"][0]
    order = Order(
        shop="demo",
        order_id=body["order_id"],
        order_number=body["order_number"],
        customer_email=body["customer"]["email"],
        customer_country="BG",
        currency="BGN",
        ordered_at=body["ordered_at"],
        lines=[
            OrderLine(
                line_id=line["line_id"],
                sku=line["sku"],
                category=line["category"],
                quantity=1,
                unit_price=Money(amount=4500, currency="BGN"),
                delivered_at=line["delivered_at"],
            )
        ],
    )
    repo.upsert_order(order)
    status, ret = request_return(api, body, "size_too_small")
    assert status == 201, ret
    assert ret["amount"] == {"amount": "45.00", "currency": "BGN"}


# --- strict types and ISO 4217 --------------------------------------------------------------------


@pytest.mark.parametrize("quantity", ["1", True, 1.0])
def test_a_quantity_must_be_a_json_integer(api: Any, repo: Repository, local_aws: Any, quantity: Any) -> None:
    before = items_of(repo, local_aws.table)
    body = order_body()
    body["lines"][0]["quantity"] = quantity
    status, out = api.call("POST", "/v1/orders", body)
    assert status == 422, out
    assert [d["field"] for d in out["error"]["details"]] == ["lines[0].quantity"]
    assert items_of(repo, local_aws.table) == before

    order = create_order(api, quantity=2)
    before = items_of(repo, local_aws.table)
    status, out = api.call(
        "POST",
        "/v1/returns",
        {
            "order_id": order["order_id"],
            "items": [
                {"line_id": order["lines"][0]["line_id"], "quantity": quantity, "reason": "size_too_small"}
            ],
            "resolution": "refund",
        },
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert status == 422, out
    assert [d["field"] for d in out["error"]["details"]] == ["items[0].quantity"]
    assert items_of(repo, local_aws.table) == before


@pytest.mark.parametrize(
    ("currency", "price", "field", "code"),
    [
        ("XXX", "10.00", "currency", "unknown_currency"),
        ("XTS", "10.00", "currency", "unknown_currency"),
        ("ABC", "10.00", "currency", "unknown_currency"),
        ("JPY", "5.5", "lines[0].unit_price", "too_many_decimals"),
        ("KWD", "1.2345", "lines[0].unit_price.amount", "string_pattern_mismatch"),
    ],
)
def test_money_is_in_an_iso_4217_currency_with_its_decimals(
    api: Any, currency: str, price: str, field: str, code: str
) -> None:
    status, out = api.call("POST", "/v1/orders", order_body(price=price, currency=currency))
    assert status == 422, out
    assert (field, code) in [(d["field"], d["code"]) for d in out["error"]["details"]]


def test_a_store_credit_spend_in_xxx_is_refused(api: Any) -> None:
    status, out = api.call(
        "POST",
        "/v1/store-credit/spend",
        {
            "customer_email": "a@example.com",
            "amount": {"amount": "1.00", "currency": "XXX"},
            "reference": "r-1",
        },
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert status == 422, out
    assert [(d["field"], d["code"]) for d in out["error"]["details"]] == [
        ("amount.currency", "unknown_currency")
    ]


# --- one stored record never fails a list ---------------------------------------------------------


def _copy_with(repo: Repository, key: dict[str, str], new_key: dict[str, str], doc: str) -> None:
    got = repo.ddb.get_item(TableName=repo.table, Key=to_item(key))
    values = from_item(got["Item"])
    values.update(new_key, doc=doc)
    repo.ddb.put_item(TableName=repo.table, Item=to_item(values))


def _skips_logged(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [r.__dict__ for r in caplog.records if r.getMessage().startswith("stored record skipped")]


def test_a_return_that_no_longer_reads_is_skipped_in_the_staff_queue_logged_and_counted(
    api: Any, staff_api: StaffApi, repo: Repository, caplog: pytest.LogCaptureFixture, capsys: Any
) -> None:
    order = create_order(api, price="180.00", country="JP")
    status, ret = request_return(api, order, "not_as_described")
    assert (status, ret["status"]) == (201, "awaiting_evidence")
    # A copy written before the bound: its line is past the largest USD amount.
    got = repo.ddb.get_item(TableName=repo.table, Key=to_item(keys.return_(ret["rma"])))
    doc = json.loads(from_item(got["Item"])["doc"])
    doc["items"][0]["unit_price"]["amount"] = 10**20
    _copy_with(repo, keys.return_(ret["rma"]), keys.return_("BAD-RMA-000"), json.dumps(doc))
    capsys.readouterr()

    listed = [r["rma"] for r in queue(staff_api, "awaiting_evidence")]
    assert ret["rma"] in listed
    assert "BAD-RMA-000" not in listed
    skips = _skips_logged(caplog)
    assert [(s["kind"], s["key"]["pk"]) for s in skips] == [("return", keys.return_pk("BAD-RMA-000"))]
    assert order["customer"]["email"] not in json.dumps(skips, default=str)
    assert "RecordSkipped" in capsys.readouterr().out  # the EMF metric the function flushed
    repo.ddb.delete_item(TableName=repo.table, Key=to_item(keys.return_("BAD-RMA-000")))


def test_a_ticket_that_no_longer_reads_is_skipped_in_its_queue(
    repo: Repository, caplog: pytest.LogCaptureFixture
) -> None:
    from boomerang.store.tickets import TicketRepository

    tickets = TicketRepository(repo.table, repo.ddb)
    queue_pk = keys.ticket_queue_pk("demo", "triage", "open")
    item = {
        **keys.ticket("tkt_unreadable"),
        "gsi3pk": queue_pk,
        "gsi3sk": "0000-01-01T00:00:00Z#x",
        "doc": "{",
    }
    repo.ddb.put_item(TableName=repo.table, Item=to_item(item))
    try:
        page = tickets.queue("demo", "triage", "open", 100)
        assert "tkt_unreadable" not in [t.ticket_id for t in page.items]
        assert [s["key"]["pk"] for s in _skips_logged(caplog)] == [keys.ticket_pk("tkt_unreadable")]
    finally:
        repo.ddb.delete_item(TableName=repo.table, Key=to_item(keys.ticket("tkt_unreadable")))


def test_a_store_credit_entry_that_no_longer_reads_is_skipped_in_the_ledger(
    api: Any, repo: Repository, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.integration.test_store_credit_api import credited_customer, read

    c = credited_customer(api, repo, 2500)
    entry = keys.credit_entry("demo", c["ref"], "USD", "BAD-RMA-001", "issue", "credit")
    bad = {**entry, "rma": "BAD-RMA-001", "kind": "issue", "ref": "credit", "amount": 10**20,
           "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}  # fmt: skip
    repo.ddb.put_item(TableName=repo.table, Item=to_item(bad))
    status, account = read(api, c["email"])
    assert status == 200, account
    assert [e["rma"] for e in account["items"]] == [c["rma"]]
    assert account["balance"]["amount"] == "25.00"
    assert [s["kind"] for s in _skips_logged(caplog)] == ["store_credit_entry"]


def test_a_webhook_subscription_that_no_longer_reads_is_skipped(
    repo: Repository, caplog: pytest.LogCaptureFixture
) -> None:
    from boomerang.outbound.subscriptions import SubscriptionStore

    key = keys.webhook_subscription("shop-with-a-bad-subscription", "sub_bad")
    repo.ddb.put_item(TableName=repo.table, Item=to_item({**key, "doc": json.dumps({"url": "ftp://x"})}))
    assert SubscriptionStore(repo.table, repo.ddb).of_shop("shop-with-a-bad-subscription") == []
    assert [s["kind"] for s in _skips_logged(caplog)] == ["webhook_subscription"]
