"""Guessing at POST /v1/sessions through the storefront handler, on DynamoDB Local: failures are
counted per email and per client, waits double up to a lockout that answers 429 with Retry-After,
the right order number waits too, an unknown email answers and costs like a wrong number, and
parallel guesses are counted before any of them is looked up."""

from __future__ import annotations

import json
import statistics
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import boto3
import pytest

from boomerang.domain.errors import NotFound, TooManyAttempts
from boomerang.services.sessions import SessionGuard
from boomerang.store.sessions import SessionStore
from local.apigw_events import LambdaContext, rest_event
from local.demo.data import DEMO_API_KEY
from tests.integration.test_storefront_api import create_order


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(storefront: ModuleType, monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(storefront, "clock", clock)
    return clock


def fresh_ip() -> str:
    """A client of its own (a /64 of the documentation prefix), so no other test shares its count."""
    return f"2001:db8:{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}::1"


def open_session(
    storefront: ModuleType, number: str, email: str, ip: str, api_key: str | None = None
) -> tuple[int, dict[str, Any], dict[str, str]]:
    headers = {"Content-Type": "application/json"}
    body: dict[str, Any] = {"order_number": number, "email": email}
    if api_key:
        headers["x-api-key"] = api_key
    else:
        body["shop"] = "demo"
    event = rest_event(
        "POST", "/v1/sessions", resource="/v1/sessions", headers=headers, body=json.dumps(body), source_ip=ip
    )
    result = storefront.handler(event, LambdaContext())
    answered = dict(result.get("headers") or {})
    answered |= {k: ",".join(v) for k, v in (result.get("multiValueHeaders") or {}).items()}
    return int(result["statusCode"]), json.loads(result["body"]), answered


def test_fifty_wrong_guesses_lead_to_429_and_the_right_number_waits_for_the_lockout(
    api: Any, storefront: ModuleType, clock: Clock
) -> None:
    order = create_order(api)
    email, ip = order["customer"]["email"], fresh_ip()
    # As fast as it can: five guesses are looked up, every other one waits.
    burst = [open_session(storefront, f"#{n}", email, ip)[0] for n in range(50)]
    assert burst == [404] * 5 + [429] * 45
    status, body, headers = open_session(storefront, order["order_number"], email, ip)
    assert (status, body["error"]["code"], headers["Retry-After"]) == (429, "too_many_attempts", "1")

    # A patient guesser who waits out every Retry-After: the waits double up to an hour.
    waits: list[int] = []
    guesses = 5
    while guesses < 50:
        status, body, headers = open_session(storefront, f"#x{guesses}", email, ip)
        if status == 429:
            waits.append(int(headers["Retry-After"]))
            clock.advance(waits[-1])
            continue
        assert status == 404
        guesses += 1
    assert waits[:8] == [1, 2, 4, 8, 16, 32, 64, 128]
    assert waits[-1] == 3600 and max(waits) == 3600
    assert sum(waits) > 24 * 3600  # 50 guesses at one email take more than a day

    # The right number during the lockout waits like any guess, and works once it is over.
    status, body, headers = open_session(storefront, order["order_number"], email, ip)
    assert status == 429 and headers["Retry-After"] == "3600"
    assert "not found" not in json.dumps(body).lower()
    clock.advance(3599)
    assert open_session(storefront, order["order_number"], email, ip)[0] == 429
    clock.advance(1)
    status, body, _ = open_session(storefront, order["order_number"], email, ip)
    assert status == 201 and body["order_id"] == order["order_id"]


def _calls(storefront: ModuleType) -> tuple[list[str], Any]:
    seen: list[str] = []

    def after(model: Any, **_: Any) -> None:
        seen.append(model.name)

    storefront.repo.ddb.meta.events.register("after-call.dynamodb.*", after)
    return seen, after


def _same(answer: tuple[int, dict[str, Any], dict[str, str]]) -> tuple[Any, ...]:
    status, body, headers = answer
    error = {k: v for k, v in body["error"].items() if k != "request_id"}
    return status, error, headers.get("Retry-After")


def test_an_unknown_email_answers_and_costs_like_a_wrong_order_number(
    api: Any, storefront: ModuleType, clock: Clock
) -> None:
    order = create_order(api)
    known, unknown = order["customer"]["email"], f"nobody.{uuid.uuid4().hex[:8]}@example.com"
    seen, hook = _calls(storefront)
    try:
        wrong_number, unknown_email = [], []
        calls_wrong, calls_unknown = [], []
        for n in range(8):
            seen.clear()
            wrong_number.append(_same(open_session(storefront, f"#nope{n}", known, "192.0.2.10")))
            calls_wrong.append(list(seen))
            seen.clear()
            unknown_email.append(
                _same(open_session(storefront, order["order_number"], unknown, "192.0.2.11"))
            )
            calls_unknown.append(list(seen))
        assert wrong_number == unknown_email
        assert [a[0] for a in wrong_number] == [404] * 5 + [429] * 3
        assert calls_wrong == calls_unknown
        assert calls_wrong[0] == ["BatchGetItem", "TransactWriteItems", "Query", "Query"]
        assert calls_wrong[-1] == ["BatchGetItem"]  # a waiting attempt reads, writes nothing

        # Timing: interleaved, with the counters forgotten in between, the medians stay close.
        took: dict[str, list[float]] = {"wrong": [], "unknown": []}
        for n in range(15):
            clock.advance(2 * 86400)
            for kind, number, email in (
                ("wrong", "#nope", known),
                ("unknown", order["order_number"], unknown),
            ):
                started = time.perf_counter()
                assert open_session(storefront, number, email, f"192.0.2.{20 + n}")[0] == 404
                took[kind].append(time.perf_counter() - started)
        ratio = statistics.median(took["wrong"]) / statistics.median(took["unknown"])
        assert 0.5 < ratio < 2, took
    finally:
        storefront.repo.ddb.meta.events.unregister("after-call.dynamodb.*", hook)


def test_one_client_guessing_at_many_emails_is_locked_out_and_others_are_not(
    api: Any, storefront: ModuleType, clock: Clock
) -> None:
    order = create_order(api)
    ip = fresh_ip()
    statuses = [
        open_session(storefront, order["order_number"], f"guess{n}.{uuid.uuid4().hex[:6]}@example.com", ip)[0]
        for n in range(50)
    ]
    assert statuses == [404] * 20 + [429] * 30
    # The right answer from that client waits too; from another client it opens at once.
    assert open_session(storefront, order["order_number"], order["customer"]["email"], ip)[0] == 429
    assert open_session(storefront, order["order_number"], order["customer"]["email"], fresh_ip())[0] == 201
    # Its IPv6 neighbours in the same /64 are the same client.
    neighbour = ip.replace("::1", "::beef")
    assert open_session(storefront, order["order_number"], order["customer"]["email"], neighbour)[0] == 429


def test_right_answers_give_their_attempt_back_so_a_shared_address_stays_open(
    api: Any, storefront: ModuleType, clock: Clock
) -> None:
    ip = fresh_ip()
    for _ in range(15):  # fifteen customers behind one address, each with one typo
        order = create_order(api)
        email = order["customer"]["email"]
        assert open_session(storefront, "#typo", email, ip)[0] == 404
        assert open_session(storefront, order["order_number"], email, ip)[0] == 201
    # Thirty attempts, fifteen of them right: the address has counted fifteen failures, so it
    # takes five more before it waits (had the right ones counted, it would wait already).
    guesses = [
        open_session(storefront, "#typo", f"x{n}.{uuid.uuid4().hex[:6]}@example.com", ip)[0] for n in range(6)
    ]
    assert guesses == [404] * 5 + [429]


def test_the_storefront_server_is_counted_per_email_only(
    api: Any, storefront: ModuleType, clock: Clock
) -> None:
    order = create_order(api)
    server = fresh_ip()
    # Its API key already reaches every order of its shop; its address is every customer's.
    for n in range(30):
        email = f"someone{n}.{uuid.uuid4().hex[:6]}@example.com"
        assert open_session(storefront, order["order_number"], email, server, DEMO_API_KEY)[0] == 404
    email = order["customer"]["email"]
    statuses = [open_session(storefront, f"#{n}", email, server, DEMO_API_KEY)[0] for n in range(7)]
    assert statuses == [404] * 5 + [429] * 2


def test_parallel_guesses_are_counted_before_any_is_looked_up(local_aws: Any) -> None:
    guard = SessionGuard(SessionStore(local_aws.table, boto3.client("dynamodb")))
    counters = guard.counters("demo", f"target.{uuid.uuid4().hex[:8]}@example.com", fresh_ip())
    now = datetime.now(UTC)
    looked_up: list[int] = []
    outcomes: list[str] = []
    start = threading.Barrier(24)

    def lookup() -> None:
        looked_up.append(1)
        raise NotFound("No order matches.", code="order_not_found")

    def guess() -> None:
        start.wait()
        try:
            guard.attempt(counters, now, lookup)
        except NotFound:
            outcomes.append("404")
        except TooManyAttempts:
            outcomes.append("429")

    threads = [threading.Thread(target=guess) for _ in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Five free failures at an email: exactly five lookups, however the 24 requests interleave.
    assert len(looked_up) == 5 and outcomes.count("404") == 5 and outcomes.count("429") == 19


def test_a_browser_may_read_retry_after(storefront: ModuleType) -> None:
    event = rest_event(
        "POST",
        "/v1/sessions",
        resource="/v1/sessions",
        headers={"Content-Type": "application/json", "Origin": "https://shop.example.com"},
        body=json.dumps({"shop": "demo", "order_number": "#1", "email": "x@example.com"}),
        source_ip=fresh_ip(),
    )
    result = storefront.handler(event, LambdaContext())
    exposed = (result.get("multiValueHeaders") or {}).get("Access-Control-Expose-Headers") or [
        (result.get("headers") or {}).get("Access-Control-Expose-Headers")
    ]
    assert "Retry-After" in ",".join(str(h) for h in exposed)
