"""The storefront API end to end through its handler, on DynamoDB Local and moto."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.demo.data import DEMO_API_KEY

OTHER_KEY = "bk_other_local_only_key_000000000000"


def _at(days_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def order_body(
    *,
    category: str = "apparel",
    price: str = "39.00",
    currency: str = "USD",
    country: str = "US",
    delivered_days_ago: float = 5,
    quantity: int = 1,
    email: str | None = None,
    lines: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    oid = uuid.uuid4().hex[:12]
    return {
        "order_id": oid,
        "order_number": f"#{oid}",
        "customer": {"email": email or f"{oid}@example.com", "country": country},
        "currency": currency,
        "ordered_at": _at(delivered_days_ago + 3),
        "payment_reference": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
        "lines": lines
        or [
            {
                "line_id": f"{oid}-1",
                "sku": "SKU-1",
                "title": "Thing",
                "category": category,
                "quantity": quantity,
                "unit_price": {"amount": price, "currency": currency},
                "delivered_at": _at(delivered_days_ago),
            }
        ],
    }


def create_order(api: Any, **kwargs: Any) -> dict[str, Any]:
    body = order_body(**kwargs)
    status, out = api.call("POST", "/v1/orders", body)
    assert status == 201, out
    return body


def request_return(
    api: Any, order: dict[str, Any], reason: str = "size_too_small", quantity: int = 1, **kw: Any
) -> tuple[int, Any]:
    body = {
        "order_id": order["order_id"],
        "items": [{"line_id": order["lines"][0]["line_id"], "quantity": quantity, "reason": reason}],
        "resolution": kw.pop("resolution", "refund"),
    }
    key = kw.pop("idempotency_key", uuid.uuid4().hex)
    return api.call("POST", "/v1/returns", body, headers={"Idempotency-Key": key}, **kw)


def session(api: Any, order: dict[str, Any]) -> str:
    status, out = api.call(
        "POST",
        "/v1/sessions",
        {"shop": "demo", "order_number": order["order_number"], "email": order["customer"]["email"]},
        api_key=None,
    )
    assert status == 201, out
    return str(out["token"])


def items_of(repo: Any, table: str) -> int:
    got = repo.ddb.scan(TableName=table, Select="COUNT")  # tests only: counting what was written
    return int(got["Count"])


# --- the three outcomes of the default policy ---------------------------------------------------


def test_size_return_under_50_is_approved_and_reads_back_with_timeline(api: Any) -> None:
    order = create_order(api, price="39.00")
    status, ret = request_return(api, order, "size_too_small")
    assert status == 201, ret
    assert ret["status"] == "approved"
    assert ret["decision"]["outcome"] == "approved"
    assert [r["rule_id"] for r in ret["decision"]["rules"]] == ["auto_approve_size_under_50"]
    assert "USD 39.00" in ret["decision"]["rules"][0]["message"]
    assert ret["hub"] == {
        "hub_id": "us-nj",
        "name": "New Jersey returns hub",
        "country": "US",
        "cost": {"amount": "5.99", "currency": "USD"},
    }
    assert ret["evidence_required"] is False

    status, read = api.call("GET", f"/v1/returns/{ret['rma']}")
    assert status == 200
    assert read["status"] == "approved"
    assert [e["event"] for e in read["timeline"]] == ["return.requested", "return.approved"]
    assert read["timeline"][1]["actor"] == "policy:v1"


def test_electronics_go_to_review(api: Any) -> None:
    order = create_order(api, category="electronics", price="79.00", currency="EUR", country="DE")
    status, ret = request_return(api, order, "defective")
    assert status == 201
    assert ret["status"] == "pending_review"
    assert "electronics_manual_review" in [r["rule_id"] for r in ret["decision"]["rules"]]
    assert ret["hub"]["hub_id"] == "eu-pl-gls"
    assert ret["items"][0]["acceptance"] == "manual_intervention_required"


def test_order_over_100_needs_evidence(api: Any) -> None:
    order = create_order(api, price="180.00", country="JP")
    status, ret = request_return(api, order, "not_as_described")
    assert status == 201
    assert ret["status"] == "awaiting_evidence"
    assert ret["evidence_required"] is True
    assert ret["hub"]["hub_id"] == "origin"


def test_three_earlier_returns_in_30_days_flag_the_next_for_review_not_block_it(api: Any) -> None:
    # Issue 19: the customer's earlier returns count, not the one being decided.
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    outcomes = []
    for _ in range(4):
        order = create_order(api, price="20.00", email=email)
        status, ret = request_return(api, order, "size_too_large")
        assert status == 201
        decision = ret["decision"]
        outcomes.append((ret["status"], decision["flags"], decision["earlier_returns"]))
        assert decision["returns_window_days"] == 30
    assert outcomes[:3] == [("approved", [], 0), ("approved", [], 1), ("approved", [], 2)]
    assert outcomes[3] == ("pending_review", ["frequent_returner"], 3)
    flagged = next(r for r in ret["decision"]["rules"] if r["rule_id"] == "frequent_returner_review")
    assert "3 earlier returns in the last 30 days" in flagged["message"]


# --- idempotency ----------------------------------------------------------------------------------


def test_same_idempotency_key_and_body_returns_the_same_return(api: Any, repo: Any, local_aws: Any) -> None:
    order = create_order(api)
    first = request_return(api, order, idempotency_key="same-key-1")
    before = items_of(repo, local_aws.table)
    again = request_return(api, order, idempotency_key="same-key-1")
    assert first[0] == again[0] == 201
    assert first[1]["rma"] == again[1]["rma"]
    assert items_of(repo, local_aws.table) == before


def test_same_idempotency_key_with_another_body_is_409_and_writes_nothing(
    api: Any, repo: Any, local_aws: Any
) -> None:
    order = create_order(api, quantity=2)
    assert request_return(api, order, idempotency_key="same-key-2")[0] == 201
    before = items_of(repo, local_aws.table)
    status, out = request_return(api, order, reason="size_too_large", idempotency_key="same-key-2")
    assert status == 409
    assert out["error"]["code"] == "idempotency_key_reused"
    assert items_of(repo, local_aws.table) == before


def test_missing_idempotency_key_is_400(api: Any) -> None:
    order = create_order(api)
    body = {
        "order_id": order["order_id"],
        "items": [{"line_id": order["lines"][0]["line_id"], "quantity": 1, "reason": "size_too_small"}],
        "resolution": "refund",
    }
    status, out = api.call("POST", "/v1/returns", body)
    assert status == 400
    assert out["error"]["code"] == "idempotency_key_required"


# --- bad input: clear 4xx, nothing written ------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "status", "code", "field"),
    [
        (lambda o, b: b.update(order_id="no-such-order"), 404, "order_not_found", None),
        (lambda o, b: b["items"][0].update(line_id="nope"), 422, "line_not_on_order", "items[0].line_id"),
        (
            lambda o, b: b["items"][0].update(quantity=2),
            422,
            "quantity_exceeds_returnable",
            "items[0].quantity",
        ),
        (
            lambda o, b: b["items"][0].update(reason="changed_my_mind"),
            422,
            "reason_not_allowed",
            "items[0].reason",
        ),
        (lambda o, b: b["items"][0].update(quantity="two"), 422, "validation_failed", "items[0].quantity"),
        (lambda o, b: b.update(resolution="cash"), 422, "validation_failed", "resolution"),
        (lambda o, b: b.pop("items"), 422, "validation_failed", "items"),
        (lambda o, b: b.update(surprise=True), 422, "validation_failed", "surprise"),
    ],
)
def test_bad_return_requests(
    api: Any, repo: Any, local_aws: Any, mutate: Any, status: int, code: str, field: str | None
) -> None:
    order = create_order(api)
    body = {
        "order_id": order["order_id"],
        "items": [{"line_id": order["lines"][0]["line_id"], "quantity": 1, "reason": "size_too_small"}],
        "resolution": "refund",
    }
    mutate(order, body)
    before = items_of(repo, local_aws.table)
    got, out = api.call("POST", "/v1/returns", body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert got == status, out
    assert out["error"]["code"] == code
    assert out["error"]["message"]
    assert out["error"]["request_id"]
    if field:
        assert field in [d["field"] for d in out["error"]["details"]]
    assert items_of(repo, local_aws.table) == before


def test_window_passed_is_422(api: Any) -> None:
    order = create_order(api, delivered_days_ago=31)
    status, out = request_return(api, order)
    assert status == 422
    assert out["error"]["code"] == "return_window_closed"


def test_malformed_json_is_400(api: Any) -> None:
    status, out = api.call("POST", "/v1/returns", raw_body='{"order_id": ', headers={"Idempotency-Key": "x"})
    assert status == 400
    assert out["error"]["code"] == "malformed_json"


def test_oversized_body_is_413(api: Any) -> None:
    status, out = api.call("POST", "/v1/orders", raw_body="{" + " " * 300_000 + "}")
    assert status == 413
    assert out["error"]["code"] == "payload_too_large"


def test_quantity_is_reserved_so_a_second_return_cannot_exceed_it(api: Any) -> None:
    order = create_order(api, quantity=2)
    assert request_return(api, order, quantity=2)[0] == 201
    status, out = request_return(api, order, quantity=1)
    assert status == 422
    assert out["error"]["code"] == "already_returned"


# --- auth ----------------------------------------------------------------------------------------


def test_no_credentials_is_401(api: Any) -> None:
    status, out = api.call("GET", "/v1/policy", api_key=None)
    assert status == 401
    assert out["error"]["code"] == "unauthenticated"


def test_wrong_api_key_is_401(api: Any) -> None:
    status, out = api.call("GET", "/v1/policy", api_key="bk_demo_wrong")
    assert status == 401
    assert out["error"]["code"] == "invalid_api_key"


def test_another_shops_key_cannot_see_the_order_or_return(api: Any) -> None:
    order = create_order(api)
    _, ret = request_return(api, order)
    assert api.call("GET", f"/v1/orders/{order['order_id']}/eligibility", api_key=OTHER_KEY)[0] == 404
    assert api.call("GET", f"/v1/returns/{ret['rma']}", api_key=OTHER_KEY)[0] == 404


def test_customer_token_reaches_its_own_order_only(api: Any) -> None:
    mine, theirs = create_order(api), create_order(api)
    token = session(api, mine)
    assert api.call("GET", f"/v1/orders/{mine['order_id']}/eligibility", token=token)[0] == 200
    status, out = api.call("GET", f"/v1/orders/{theirs['order_id']}/eligibility", token=token)
    assert status == 404
    assert out["error"]["code"] == "order_not_found"
    status, out = request_return(api, theirs, token=token)
    assert status == 404
    _, their_return = request_return(api, theirs)
    assert api.call("GET", f"/v1/returns/{their_return['rma']}", token=token)[0] == 404
    status, own = request_return(api, mine, token=token)
    assert status == 201
    assert api.call("GET", f"/v1/returns/{own['rma']}", token=token)[0] == 200


def test_customer_token_cannot_import_orders(api: Any) -> None:
    order = create_order(api)
    status, out = api.call("POST", "/v1/orders", order_body(), token=session(api, order))
    assert status == 403
    assert out["error"]["code"] == "api_key_required"


def test_tampered_token_is_401(api: Any) -> None:
    order = create_order(api)
    token = session(api, order)
    status, out = api.call("GET", "/v1/policy", token=token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    assert status == 401
    assert out["error"]["code"] == "invalid_token"


def test_session_answers_the_same_404_for_wrong_number_and_wrong_email(api: Any) -> None:
    order = create_order(api)
    wrong_email = api.call(
        "POST",
        "/v1/sessions",
        {"shop": "demo", "order_number": order["order_number"], "email": "someone@example.com"},
        api_key=None,
    )
    wrong_number = api.call(
        "POST",
        "/v1/sessions",
        {"shop": "demo", "order_number": "#nope", "email": order["customer"]["email"]},
        api_key=None,
    )
    assert wrong_email[0] == wrong_number[0] == 404
    assert wrong_email[1]["error"]["code"] == wrong_number[1]["error"]["code"] == "order_not_found"
    assert wrong_email[1]["error"]["message"] == wrong_number[1]["error"]["message"]


def test_session_email_is_case_insensitive_and_needs_a_shop(api: Any) -> None:
    order = create_order(api)
    body = {
        "shop": "demo",
        "order_number": order["order_number"],
        "email": order["customer"]["email"].upper(),
    }
    assert api.call("POST", "/v1/sessions", body, api_key=None)[0] == 201
    body.pop("shop")
    status, out = api.call("POST", "/v1/sessions", body, api_key=None)
    assert status == 422
    assert out["error"]["code"] == "shop_required"
    assert api.call("POST", "/v1/sessions", body, api_key=DEMO_API_KEY)[0] == 201


# --- eligibility, cancel, policy, orders, openapi -----------------------------------------------


def test_eligibility_explains_each_line(api: Any) -> None:
    oid = uuid.uuid4().hex[:10]
    lines = [
        {
            "line_id": "a",
            "sku": "A",
            "category": "apparel",
            "quantity": 2,
            "unit_price": {"amount": "10.00", "currency": "USD"},
            "delivered_at": _at(3),
        },
        {
            "line_id": "b",
            "sku": "B",
            "category": "final_sale",
            "quantity": 1,
            "unit_price": {"amount": "10.00", "currency": "USD"},
            "delivered_at": _at(3),
        },
        {
            "line_id": "c",
            "sku": "C",
            "category": "apparel",
            "quantity": 1,
            "unit_price": {"amount": "10.00", "currency": "USD"},
            "delivered_at": _at(40),
        },
    ]
    body = order_body(lines=lines)
    body["order_id"] = oid
    body["order_number"] = f"#{oid}"
    assert api.call("POST", "/v1/orders", body)[0] == 201
    status, out = api.call("GET", f"/v1/orders/{oid}/eligibility")
    assert status == 200
    by_line = {line["line_id"]: line for line in out["lines"]}
    assert by_line["a"]["eligible"] is True
    assert by_line["a"]["returnable_quantity"] == 2
    assert "size_too_small" in by_line["a"]["reasons"]
    assert by_line["b"]["ineligible"]["code"] == "category_not_returnable"
    assert by_line["c"]["ineligible"]["code"] == "return_window_closed"
    assert by_line["c"]["deadline"].endswith("Z")


def test_cancel_releases_quantity_and_cannot_repeat(api: Any) -> None:
    order = create_order(api)
    _, ret = request_return(api, order)
    status, cancelled = api.call("POST", f"/v1/returns/{ret['rma']}/cancel")
    assert status == 200
    assert cancelled["status"] == "cancelled"
    assert cancelled["version"] == 2
    assert cancelled["timeline"][-1]["event"] == "return.cancelled"
    status, out = api.call("POST", f"/v1/returns/{ret['rma']}/cancel")
    assert status == 409
    assert out["error"]["code"] == "illegal_transition"
    assert "cancelled" in out["error"]["message"]
    # The quantity is free again.
    assert request_return(api, order)[0] == 201


def test_rma_typed_with_a_typo_is_refused(api: Any) -> None:
    order = create_order(api)
    _, ret = request_return(api, order)
    rma = ret["rma"]
    assert api.call("GET", f"/v1/returns/{rma.lower().replace('-', '')}")[0] == 200
    swapped = rma[1] + rma[0] + rma[2:] if rma[0] != rma[1] else rma[0] + rma[2] + rma[1] + rma[3:]
    status, out = api.call("GET", f"/v1/returns/{swapped}")
    assert status == 404
    assert out["error"]["code"] in ("invalid_rma", "return_not_found")


def test_updating_an_order_keeps_returned_quantities(api: Any) -> None:
    order = create_order(api, quantity=2)
    assert request_return(api, order, quantity=1)[0] == 201
    status, out = api.call("POST", "/v1/orders", order)
    assert status == 200
    assert out["lines"][0]["returned_quantity"] == 1
    assert out["version"] == 3  # created, reserved by the return, updated


def test_order_with_mixed_currencies_or_float_money_is_422(api: Any) -> None:
    body = order_body()
    body["lines"][0]["unit_price"] = {"amount": "39.00", "currency": "EUR"}
    status, out = api.call("POST", "/v1/orders", body)
    assert status == 422
    body = order_body()
    body["lines"][0]["unit_price"] = {"amount": 39.0, "currency": "USD"}
    status, out = api.call("POST", "/v1/orders", body)
    assert status == 422
    assert any("unit_price" in (d["field"] or "") for d in out["error"]["details"])
    body = order_body()
    body["lines"][0]["unit_price"] = {"amount": "39.001", "currency": "USD"}
    assert api.call("POST", "/v1/orders", body)[0] == 422


def test_policy_is_readable(api: Any) -> None:
    status, out = api.call("GET", "/v1/policy")
    assert status == 200
    assert out["window_days"] == 30
    assert "hubs" not in out
    assert {r["rule_id"] for r in out["rules"]} >= {"evidence_over_100", "auto_approve_size_under_50"}


def test_openapi_lists_every_route_and_error_codes(api: Any) -> None:
    status, doc = api.call("GET", "/v1/openapi.json", api_key=None)
    assert status == 200
    paths = doc["paths"]
    for path in (
        "/v1/orders",
        "/v1/sessions",
        "/v1/sessions/revoke",
        "/v1/orders/{order_id}/eligibility",
        "/v1/returns",
        "/v1/returns/{rma}",
        "/v1/returns/{rma}/cancel",
        "/v1/policy",
    ):
        assert path in paths, path
    assert "409" in paths["/v1/returns"]["post"]["responses"]
    assert json.dumps(doc).count("idempotency-key") >= 1


def test_unknown_route_is_404_json(api: Any) -> None:
    status, out = api.call("GET", "/v1/nothing-here")
    assert status == 404
    assert out["error"]["code"] == "route_not_found"


def test_a_shops_own_policy_version_decides(api: Any, repo: Any) -> None:
    from boomerang.auth.api_keys import hash_api_key
    from boomerang.domain.policy import default_policy

    shop = f"strict{uuid.uuid4().hex[:6]}"
    key = f"bk_{shop}_test_key"
    repo.put_shop(shop, "Strict shop")
    repo.put_api_key(hash_api_key(key), shop, "test")
    strict = default_policy().model_copy(update={"version": 2, "window_days": 3, "rules": []})
    repo.put_policy(shop, strict)
    status, policy = api.call("GET", "/v1/policy", api_key=key)
    assert (status, policy["version"], policy["window_days"]) == (200, 2, 3)
    order = order_body(delivered_days_ago=5)
    assert api.call("POST", "/v1/orders", order, api_key=key)[0] == 201
    status, out = request_return(api, order, api_key=key)
    assert status == 422
    assert out["error"]["code"] == "return_window_closed"


def test_an_aws_fault_answers_500_with_the_request_id_and_writes_nothing(
    api: Any, repo: Any, local_aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    order = create_order(api)
    before = items_of(repo, local_aws.table)

    def throttled(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "TransactWriteItems"
        )

    monkeypatch.setattr(api.module.repo.ddb, "transact_write_items", throttled)
    status, out = request_return(api, order, idempotency_key="fault-1")
    assert status == 500
    assert out["error"]["code"] == "internal_error"
    assert out["error"]["request_id"]
    monkeypatch.undo()
    assert items_of(repo, local_aws.table) == before
    # The idempotency record was released: the same key works once the fault is gone.
    assert request_return(api, order, idempotency_key="fault-1")[0] == 201
