"""The repository against AWS's DynamoDB Local: conditional versions, one-transaction writes, lookups."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from boomerang.auth.principal import Principal
from boomerang.domain.errors import IllegalTransition, NotFound, StaleVersion
from boomerang.domain.models import Order, OrderLine, Resolution, TimelineEntry
from boomerang.domain.money import Money
from boomerang.domain.policy import RequestedItem, default_policy
from boomerang.domain.status import ReturnStatus
from boomerang.services.returns import ReturnRequest, ReturnsService
from boomerang.store.records import Event, Repository, ReturnChange, moved

NOW = datetime.now(UTC)


def make_order(
    repo: Repository,
    *,
    email: str | None = None,
    quantity: int = 3,
    category: str = "apparel",
    price: int = 2000,
) -> Order:
    oid = uuid.uuid4().hex[:12]
    order = Order(
        shop="repo-test",
        order_id=oid,
        order_number=f"#{oid}",
        customer_email=email or f"{oid}@example.com",
        customer_country="US",
        currency="USD",
        ordered_at=NOW - timedelta(days=5),
        lines=[
            OrderLine(
                line_id="L1",
                sku="S1",
                category=category,
                quantity=quantity,
                unit_price=Money(amount=price, currency="USD"),
                delivered_at=NOW - timedelta(days=2),
            )
        ],
    )
    return repo.upsert_order(order)


@pytest.fixture
def service(repo: Repository) -> ReturnsService:
    return ReturnsService(repo, lambda shop: default_policy(), lambda: b"k" * 32)


def create(
    service: ReturnsService,
    order: Order,
    reason: str = "size_too_small",
    quantity: int = 1,
    at: datetime = NOW,
) -> Any:
    request = ReturnRequest(
        order.order_id,
        [RequestedItem(line_id="L1", quantity=quantity, reason=reason)],
        Resolution.REFUND,
        {},
        "en",
    )
    return service.create_return(Principal(shop=order.shop), request, at)


def test_create_writes_return_timeline_outbox_order_and_customer_together(
    repo: Repository, service: ReturnsService
) -> None:
    order = make_order(repo)
    ret = create(service, order)
    stored, timeline = repo.get_return(ret.rma)
    assert stored == ret
    assert [t.event for t in timeline] == ["return.requested", "return.approved"]
    events = repo.outbox_events(ret.rma)
    assert [e["type"] for e in events] == ["return.requested", "return.approved"]
    for e in events:
        assert set(e) == {"id", "type", "version", "occurred_at", "shop", "data"}
        assert "example.com" not in str(e)  # ids only, no personal data
    assert repo.get_order(order.shop, order.order_id).returned == {"L1": 1}


def test_a_failed_condition_writes_nothing(repo: Repository, service: ReturnsService) -> None:
    order = make_order(repo)
    ret = create(service, order)
    stale = moved(ret, ReturnStatus.LABEL_ISSUED, NOW)
    repo.save(ReturnChange(stale, ret.version, [], [Event("return.label_issued", {"rma": ret.rma})]))
    # A second writer still holding version 1 loses, and its timeline entry and event are not written.
    loser = moved(ret, ReturnStatus.CANCELLED, NOW)
    entry = TimelineEntry(
        version=2, at=NOW, status=ReturnStatus.CANCELLED, event="return.cancelled", message="x", actor="t"
    )
    with pytest.raises(StaleVersion):
        repo.save(ReturnChange(loser, ret.version, [entry], [Event("return.cancelled", {"rma": ret.rma})]))
    stored, timeline = repo.get_return(ret.rma)
    assert stored.status is ReturnStatus.LABEL_ISSUED
    assert "return.cancelled" not in [t.event for t in timeline]
    assert "return.cancelled" not in [e["type"] for e in repo.outbox_events(ret.rma)]


def test_racing_returns_on_one_order_cannot_oversell_quantity(
    repo: Repository, service: ReturnsService, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = make_order(repo, quantity=1)
    read_before_the_race = repo.get_order(order.shop, order.order_id)
    create(service, order)  # the first request commits
    # The second request read the order before the first committed: its write must lose.
    monkeypatch.setattr(repo, "order_in", lambda found, shop, oid: read_before_the_race)
    with pytest.raises(StaleVersion):
        create(service, order)
    monkeypatch.undo()
    assert repo.get_order(order.shop, order.order_id).returned == {"L1": 1}
    assert len(repo.returns_of_order(order.shop, order.order_id).items) == 1


def test_illegal_transition_names_both_states() -> None:
    from boomerang.domain.status import transition

    with pytest.raises(IllegalTransition) as info:
        transition(ReturnStatus.CLOSED, ReturnStatus.APPROVED)
    assert "closed" in str(info.value)
    assert "approved" in str(info.value)


def test_lookups_by_order_customer_and_status(repo: Repository, service: ReturnsService) -> None:
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    first, second = make_order(repo, email=email), make_order(repo, email=email, price=4000, quantity=1)
    old = create(service, first, at=NOW - timedelta(days=40))
    a = create(service, first)
    b = create(service, second, reason="defective")  # $40, not a size issue: no approval rule -> review
    assert {r.rma for r in repo.returns_of_order(first.shop, first.order_id).items} == {old.rma, a.rma}
    recent = repo.returns_of_customer_since(first.shop, a.customer_ref, NOW - timedelta(days=30))
    assert {r.rma for r in recent.items} == {a.rma, b.rma}
    queue = repo.returns_by_status(first.shop, ReturnStatus.PENDING_REVIEW, limit=100)
    assert b.rma in {r.rma for r in queue.items}


def test_status_queue_pages_oldest_first(repo: Repository, service: ReturnsService) -> None:
    shop_order = make_order(repo, quantity=5, price=12000)  # $120 items: every return awaits evidence
    made = [
        create(service, shop_order, reason="defective", at=NOW - timedelta(minutes=10 - i)) for i in range(5)
    ]
    seen: list[str] = []
    cursor = None
    while True:
        page = repo.returns_by_status(shop_order.shop, ReturnStatus.AWAITING_EVIDENCE, limit=2, cursor=cursor)
        seen += [r.rma for r in page.items]
        cursor = page.next_cursor
        if not cursor:
            break
    mine = [rma for rma in seen if rma in {m.rma for m in made}]
    assert mine == [m.rma for m in made]


def test_missing_return_and_order(repo: Repository) -> None:
    with pytest.raises(NotFound):
        repo.get_return("222-222-222")
    with pytest.raises(NotFound):
        repo.get_order("repo-test", "nope")


def test_policy_versions_only_go_up(repo: Repository) -> None:
    policy = default_policy()
    shop = f"shop-{uuid.uuid4().hex[:6]}"
    assert repo.current_policy(shop) is None
    repo.put_policy(shop, policy)
    newer = policy.model_copy(update={"version": 2, "window_days": 45})
    repo.put_policy(shop, newer)
    current = repo.current_policy(shop)
    assert current is not None and current.version == 2 and current.window_days == 45
    with pytest.raises(StaleVersion):
        repo.put_policy(shop, policy)  # version 1 exists already
