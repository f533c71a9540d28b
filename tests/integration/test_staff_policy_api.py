"""A shop's policy through the staff API (functions/admin_api), on DynamoDB Local: the document and
its ETag, JSON Merge Patch under If-Match (428 without, 412 stale), server-assigned versions, 422
naming each bad field, money as the API writes it, the versions with who and when, simulation,
and the admin group on its own shops only."""

from __future__ import annotations

import json
import uuid
from types import ModuleType
from typing import Any

import pytest

from boomerang.store.records import Repository
from tests.conftest import StaffApi
from tests.integration.test_admin_api import new_return

MERGE_PATCH = "application/merge-patch+json"


@pytest.fixture
def shop(repo: Repository) -> str:
    made = f"pol-{uuid.uuid4().hex[:10]}"
    repo.put_shop(made, "Policy Test Shop")
    return made


def policy_url(shop: str, tail: str = "") -> str:
    return f"/admin/v1/shops/{shop}/policy{tail}"


def headers_of(result: dict[str, Any]) -> dict[str, str]:
    answered = dict(result.get("headers") or {})
    answered |= {k: ",".join(v) for k, v in (result.get("multiValueHeaders") or {}).items()}
    return answered


def read(staff_api: StaffApi, shop: str, **kwargs: Any) -> tuple[int, dict[str, str], Any]:
    result = staff_api.result("GET", policy_url(shop), **kwargs)
    body = json.loads(result["body"]) if result.get("body") else None
    return int(result["statusCode"]), headers_of(result), body


def patch(
    staff_api: StaffApi,
    shop: str,
    change: Any,
    if_match: str | None,
    content_type: str = MERGE_PATCH,
    **kwargs: Any,
) -> tuple[int, dict[str, str], Any]:
    headers = {"Content-Type": content_type}
    if if_match is not None:
        headers["If-Match"] = if_match
    result = staff_api.result("PATCH", policy_url(shop), change, headers=headers, **kwargs)
    body = json.loads(result["body"]) if result.get("body") else None
    return int(result["statusCode"]), headers_of(result), body


def fields(out: dict[str, Any]) -> list[str | None]:
    return [d.get("field") for d in out["error"]["details"]]


def test_the_document_answers_with_its_etag_and_money_as_in_the_api(staff_api: StaffApi, shop: str) -> None:
    status, headers, document = read(staff_api, shop)
    assert status == 200, document
    assert headers["ETag"] == '"v1"'  # the built-in default a shop starts on
    assert headers["Cache-Control"] == "no-store"
    assert document["version"] == 1
    assert document["window_days"] == 30
    assert document["hubs"][0]["cost_per_parcel"] == {"amount": "5.99", "currency": "USD"}


def test_a_merge_patch_under_if_match_makes_the_next_version(
    staff_api: StaffApi, repo: Repository, admin: ModuleType, shop: str
) -> None:
    status, headers, document = patch(
        staff_api, shop, {"window_days": 45, "refunds": {"return_shipping": {"USD": "5.99"}}}, '"v1"'
    )
    assert status == 200, document
    assert headers["ETag"] == '"v2"'
    assert document["version"] == 2
    assert document["window_days"] == 45
    assert document["refunds"]["return_shipping"] == {"USD": "5.99"}  # written and read in decimals
    # Stored in minor units, and it applies from the next request.
    assert admin.workflow.policy_for(shop).window_days == 45
    assert admin.workflow.policy_for(shop).refunds.return_shipping == {"USD": 599}
    # Plain application/json is a merge patch too; a null removes the member.
    status, headers, document = patch(
        staff_api, shop, {"refunds": {"return_shipping": {"USD": None}}}, '"v2"', "application/json"
    )
    assert status == 200, document
    assert (headers["ETag"], document["refunds"]["return_shipping"]) == ('"v3"', {})
    assert read(staff_api, shop)[1]["ETag"] == '"v3"'


def test_if_match_is_required_and_a_stale_one_answers_412(staff_api: StaffApi, shop: str) -> None:
    status, _, out = patch(staff_api, shop, {"window_days": 45}, None)
    assert status == 428, out
    assert out["error"]["code"] == "precondition_required"
    assert patch(staff_api, shop, {"window_days": 45}, '"v1"')[0] == 200
    status, _, out = patch(staff_api, shop, {"window_days": 60}, '"v1"')  # someone saved v2 meanwhile
    assert status == 412, out
    assert out["error"]["code"] == "precondition_failed"
    assert out["error"]["details"][0]["current_version"] == 2
    # Neither refusal made a version.
    assert read(staff_api, shop)[2]["window_days"] == 45


def test_422_names_each_bad_field_and_the_server_numbers_versions(staff_api: StaffApi, shop: str) -> None:
    status, _, out = patch(
        staff_api,
        shop,
        {"window_days": "45", "refunds": {"return_shipping": {"USD": 599}}, "version": 7},
        '"v1"',
    )
    assert status == 422, out
    assert {"window_days", "refunds.return_shipping.USD", "version"} <= set(fields(out))
    assert read(staff_api, shop)[1]["ETag"] == '"v1"'


def test_a_body_that_is_not_json_is_refused_before_anything(staff_api: StaffApi, shop: str) -> None:
    status, _, out = patch(staff_api, shop, {"window_days": 45}, '"v1"', "text/plain")
    assert status == 415, out
    result = staff_api.result(
        "PATCH",
        policy_url(shop),
        raw_body="{not json",
        headers={"Content-Type": MERGE_PATCH, "If-Match": '"v1"'},
    )
    assert result["statusCode"] == 400, result
    assert read(staff_api, shop)[1]["ETag"] == '"v1"'


def test_versions_say_who_made_each_and_when(staff_api: StaffApi, shop: str) -> None:
    assert patch(staff_api, shop, {"window_days": 45}, '"v1"', user="alice")[0] == 200
    assert patch(staff_api, shop, {"window_days": 40}, '"v2"', user="carol")[0] == 200
    status, out = staff_api.call("GET", policy_url(shop, "/versions"))
    assert status == 200, out
    assert [(v["version"], v["created_by"], v["based_on"], v["changed"]) for v in out["items"]] == [
        (3, "staff:carol", 2, ["window_days"]),
        (2, "staff:alice", None, ["window_days"]),
    ]
    assert all(v["created_at"].endswith("Z") for v in out["items"])
    status, first = staff_api.call("GET", policy_url(shop, "/versions"), query={"limit": ["1"]})
    assert status == 200 and [v["version"] for v in first["items"]] == [3] and first["next_cursor"]


def test_simulate_answers_counts_and_the_returns_that_would_flip(
    staff_api: StaffApi, repo: Repository, shop: str
) -> None:
    size = new_return(repo, shop, price=3900, reason="size_too_small")  # $39 size: approved at once
    new_return(repo, shop, price=4000, reason="defective")  # review, under either policy
    status, _, document = read(staff_api, shop)
    assert status == 200
    rules = document["rules"]
    for rule in rules:
        if rule["rule_id"] == "auto_approve_size_under_50":
            rule["when"]["return_amount_below"] = {"USD": "30.00"}  # size approvals only under $30
    status, out = staff_api.call(
        "POST", policy_url(shop, "/simulate"), {"rules": rules}, query={"days": ["7"]}
    )
    assert status == 200, out
    assert (out["shop"], out["days"], out["returns"], out["current_version"]) == (shop, 7, 2, 1)
    assert out["counts"]["current"]["approved"] == 1 and out["counts"]["draft"]["approved"] == 0
    assert [(f["rma"], f["before"]["outcome"], f["after"]["outcome"]) for f in out["flips"]] == [
        (size.rma, "approved", "pending_review")
    ]
    # A draft is not saved; a bad one or a bad period names the field.
    assert read(staff_api, shop)[1]["ETag"] == '"v1"'
    status, out = staff_api.call("POST", policy_url(shop, "/simulate"), {"window_days": "x"})
    assert status == 422 and "window_days" in fields(out)
    status, out = staff_api.call("POST", policy_url(shop, "/simulate"), {}, query={"days": ["0"]})
    assert status == 422, out


@pytest.mark.parametrize(
    ("method", "tail"),
    [("GET", ""), ("PATCH", ""), ("GET", "/versions"), ("POST", "/simulate")],
)
def test_the_admin_group_only_on_its_own_shops(
    staff_api: StaffApi, shop: str, method: str, tail: str
) -> None:
    body = {"window_days": 45} if method != "GET" else None
    headers = {"If-Match": '"v1"'}
    for group in ("support", "warehouse", "finance"):
        status, out = staff_api.call(method, policy_url(shop, tail), body, groups=group, headers=headers)
        assert (status, out["error"]["code"]) == (403, "forbidden_group"), (group, out)
    # An administrator of another shop: as if the shop did not exist.
    status, out = staff_api.call(method, policy_url(shop, tail), body, shops="other-shop", headers=headers)
    assert (status, out["error"]["code"]) == (404, "shop_not_found")
    status, out = staff_api.call(method, policy_url("no-such-shop", tail), body, headers=headers)
    assert (status, out["error"]["code"]) == (404, "shop_not_found")
    # Their own shop, named in custom:shops among others.
    status, out = staff_api.call(method, policy_url(shop, tail), body, shops=f"x,{shop}", headers=headers)
    assert status == 200, out
