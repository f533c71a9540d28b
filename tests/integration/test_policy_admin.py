"""Policy administration on DynamoDB Local: versions numbered by the server, If-Match, one winner of
two racing saves, every version kept with who and when, the next request runs the new version,
and simulation over the shop's recent returns found by Query."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from boomerang.auth.principal import Principal
from boomerang.domain.errors import NotFound, PreconditionFailed, PreconditionRequired, Unprocessable
from boomerang.domain.models import Order, OrderLine, Resolution
from boomerang.domain.money import Money
from boomerang.domain.policy import RequestedItem, default_policy
from boomerang.services.policies import PolicySource
from boomerang.services.policy_admin import PolicyAdmin
from boomerang.services.returns import ReturnRequest, ReturnsService
from boomerang.store.dynamo import InvalidCursor
from boomerang.store.records import Repository

NOW = datetime.now(UTC).replace(microsecond=0)


def new_shop() -> str:
    return f"pol{uuid.uuid4().hex[:8]}"


@pytest.fixture
def admin(repo: Repository) -> PolicyAdmin:
    return PolicyAdmin(repo)


def test_a_shop_starts_on_the_default_as_version_1(admin: PolicyAdmin) -> None:
    shop = new_shop()
    current = admin.current(shop)
    assert (current.version, current.etag, current.created_by) == (1, '"v1"', "boomerang:default")
    assert current.policy == default_policy()
    assert current.document["hubs"][0]["cost_per_parcel"]["amount"] == "5.99"
    assert admin.versions(shop).items == []


def test_versions_are_numbered_by_the_server_and_kept_with_who_and_when(admin: PolicyAdmin) -> None:
    shop = new_shop()
    first = admin.update(shop, {"window_days": 45}, '"v1"', "staff:alice", NOW)
    second = admin.update(
        shop,
        {"refunds": {"return_shipping": {"USD": "5.99"}}},
        first.etag,
        "cli:arn:aws:iam::1:user/bob",
        NOW,
    )
    assert (first.version, second.version) == (2, 3)
    current = admin.current(shop)
    assert current.version == 3
    assert current.policy.window_days == 45
    assert current.policy.refunds.return_shipping == {"USD": 599}  # stored in minor units
    assert current.document["refunds"]["return_shipping"] == {"USD": "5.99"}  # shown as the API writes
    listed = admin.versions(shop).items
    assert [(v.version, v.created_by, v.based_on, v.patch) for v in listed] == [
        (3, "cli:arn:aws:iam::1:user/bob", 2, {"refunds": {"return_shipping": {"USD": "5.99"}}}),
        (2, "staff:alice", None, {"window_days": 45}),
    ]
    assert listed[0].created_at and listed[0].created_at.startswith(NOW.strftime("%Y-%m-%dT%H:%M:%S"))
    # Earlier versions stay readable as they were.
    assert admin.version(shop, 2).policy.refunds.return_shipping == {}
    with pytest.raises(NotFound):
        admin.version(shop, 9)


def test_a_patch_that_changes_nothing_makes_no_version(admin: PolicyAdmin) -> None:
    shop = new_shop()
    admin.update(shop, {"window_days": 45}, '"v1"', "staff:alice", NOW)
    again = admin.update(shop, {"window_days": 45, "version": 2}, '"v2"', "staff:alice", NOW)
    assert again.version == 2
    assert [v.version for v in admin.versions(shop).items] == [2]


def test_a_stale_or_missing_if_match_changes_nothing(admin: PolicyAdmin) -> None:
    shop = new_shop()
    admin.update(shop, {"window_days": 45}, '"v1"', "staff:alice", NOW)
    with pytest.raises(PreconditionFailed) as stale:
        admin.update(shop, {"window_days": 60}, '"v1"', "staff:bob", NOW)
    assert stale.value.http_status == 412
    assert stale.value.details[0]["current_version"] == 2
    with pytest.raises(PreconditionRequired) as missing:
        admin.update(shop, {"window_days": 60}, None, "staff:bob", NOW)
    assert missing.value.http_status == 428
    with pytest.raises(Unprocessable):
        admin.update(shop, {"window_days": -1}, '"v2"', "staff:bob", NOW)
    assert admin.current(shop).policy.window_days == 45
    assert [v.version for v in admin.versions(shop).items] == [2]


def test_of_two_racing_saves_from_one_version_exactly_one_wins(repo: Repository) -> None:
    shop = new_shop()
    PolicyAdmin(repo).update(shop, {"window_days": 31}, '"v1"', "staff:setup", NOW)
    outcomes: list[str] = []
    start = threading.Barrier(8)

    def save(n: int) -> None:
        admin = PolicyAdmin(Repository(repo.table))  # a client per thread, as separate containers have
        start.wait()
        try:
            admin.update(shop, {"window_days": 40 + n}, '"v2"', f"staff:{n}", NOW)
            outcomes.append("won")
        except PreconditionFailed:
            outcomes.append("412")

    threads = [threading.Thread(target=save, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["412"] * 7 + ["won"]
    versions = PolicyAdmin(repo).versions(shop).items
    assert [v.version for v in versions] == [3, 2]


def test_versions_page_newest_first(admin: PolicyAdmin) -> None:
    shop = new_shop()
    tag = '"v1"'
    for days in range(31, 36):
        tag = admin.update(shop, {"window_days": days}, tag, "staff:alice", NOW).etag
    first = admin.versions(shop, limit=2)
    assert [v.version for v in first.items] == [6, 5]
    assert first.next_cursor
    second = admin.versions(shop, limit=2, cursor=first.next_cursor)
    third = admin.versions(shop, limit=2, cursor=second.next_cursor)
    assert [v.version for v in second.items + third.items] == [4, 3, 2]
    with pytest.raises(InvalidCursor):
        admin.versions(new_shop(), limit=2, cursor=first.next_cursor)  # another shop's cursor


def _order(shop: str, order_id: str, price: str, category: str, delivered_days_ago: int) -> Order:
    delivered = NOW - timedelta(days=delivered_days_ago)
    return Order(
        shop=shop,
        order_id=order_id,
        order_number=f"#{order_id}",
        customer_email=f"{order_id}@example.com",
        customer_country="US",
        currency="USD",
        ordered_at=delivered - timedelta(days=2),
        lines=[
            OrderLine(
                line_id="L1",
                sku="SKU",
                category=category,
                quantity=1,
                unit_price=Money.parse(price, "USD"),
                delivered_at=delivered,
            )
        ],
    )


def _service(repo: Repository, source: Any) -> ReturnsService:
    return ReturnsService(repo, source, lambda: b"k" * 32)


def _create(service: ReturnsService, shop: str, order_id: str, reason: str = "size_too_small") -> str:
    request = ReturnRequest(
        order_id=order_id,
        items=[RequestedItem(line_id="L1", quantity=1, reason=reason)],
        resolution=Resolution.REFUND,
        notes={},
        locale="en",
    )
    return service.create_return(Principal(shop=shop), request, NOW).rma


def test_the_next_request_runs_the_new_version(repo: Repository, admin: PolicyAdmin) -> None:
    shop = new_shop()
    source = PolicySource(repo)
    service = _service(repo, source)
    repo.upsert_order(_order(shop, "late", "20.00", "apparel", delivered_days_ago=40))
    _, lines, _ = service.eligibility(Principal(shop=shop), "late", NOW)
    assert (
        not lines[0].eligible and lines[0].ineligible and lines[0].ineligible.code == "return_window_closed"
    )
    admin.update(shop, {"window_days": 45}, '"v1"', "staff:alice", NOW)
    _, lines, _ = service.eligibility(Principal(shop=shop), "late", NOW)  # the same container, at once
    assert lines[0].eligible
    assert lines[0].deadline.date() == (NOW - timedelta(days=40) + timedelta(days=45)).date()
    assert source(shop).version == 2


def test_simulate_replays_the_shop_s_recent_returns(repo: Repository, admin: PolicyAdmin) -> None:
    shop = new_shop()
    service = _service(repo, PolicySource(repo))
    for oid, price, category in (
        ("tee", "45.00", "apparel"),
        ("hp", "40.00", "electronics"),
        ("cap", "20.00", "apparel"),
    ):
        repo.upsert_order(_order(shop, oid, price, category, delivered_days_ago=3))
    tee = _create(service, shop, "tee")  # $45 size: approved at once
    _create(service, shop, "hp", "defective")  # electronics: review
    _create(service, shop, "cap")  # $20 size: approved
    # Draft: size returns approved only under $30.
    rules = admin.current(shop).document["rules"]
    for rule in rules:
        if rule["rule_id"] == "auto_approve_size_under_50":
            rule["when"]["return_amount_below"] = {"USD": "30.00"}
    report = admin.simulate(shop, {"rules": rules}, 30, NOW + timedelta(seconds=1))
    result = report.result
    assert result.considered == 3
    assert result.before["approved"] == 2 and result.after["approved"] == 1
    assert [(f.rma, f.before.outcome, f.after.outcome) for f in result.flips] == [
        (tee, "approved", "pending_review")
    ]
    document = report.document()
    assert document["counts"]["current"]["approved"] == 2
    assert document["flips"][0]["rma"] == tee
    assert document["flips"][0]["after"]["rules"] == ["no_automatic_approval"]
    # Nothing was saved; other shops' returns are not in it.
    assert admin.current(shop).version == 1
    assert admin.simulate(new_shop(), {"window_days": 10}, 30, NOW).result.considered == 0


def test_simulate_refuses_a_bad_draft_or_period(admin: PolicyAdmin) -> None:
    with pytest.raises(Unprocessable):
        admin.simulate(new_shop(), {"window_days": "x"}, 30, NOW)
    with pytest.raises(Unprocessable):
        admin.simulate(new_shop(), {}, 0, NOW)


def test_simulation_reads_by_query_never_scan(repo: Repository, admin: PolicyAdmin) -> None:
    seen: list[str] = []
    repo.ddb.meta.events.register("before-call.dynamodb.*", lambda model, **_: seen.append(model.name))
    try:
        admin.simulate(new_shop(), {"window_days": 10}, 30, NOW)
    finally:
        repo.ddb.meta.events.unregister("before-call.dynamodb.*")
    assert "Scan" not in seen
    assert set(seen) <= {"GetItem", "Query", "BatchGetItem"}
