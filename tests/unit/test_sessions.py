"""Session rules without AWS: the wait after each failure, what is counted against whom, and when a
token is revoked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from boomerang.auth import customer_tokens
from boomerang.auth.principal import Principal
from boomerang.domain.errors import Unauthorized
from boomerang.domain.sessions import (
    CLIENT_LIMITS,
    EMAIL_LIMITS,
    Attempts,
    client_counter,
    client_network,
    email_counter,
    from_ms,
    is_revoked,
    to_ms,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
KEY = b"k" * 32


def test_an_email_has_five_free_tries_then_doubling_waits_up_to_an_hour() -> None:
    waits = [EMAIL_LIMITS.wait_after(n).total_seconds() for n in range(1, 20)]
    assert waits[:4] == [0, 0, 0, 0]
    assert waits[4:12] == [1, 2, 4, 8, 16, 32, 64, 128]
    assert max(waits) == 3600 and waits[-1] == 3600
    # A client address is many customers at times: more free tries, a shorter lockout.
    assert CLIENT_LIMITS.wait_after(19) == timedelta(0)
    assert CLIENT_LIMITS.wait_after(20) == timedelta(seconds=1)
    assert CLIENT_LIMITS.wait_after(10_000) == timedelta(minutes=15)


def test_a_claimed_attempt_counts_as_failed_and_sets_the_next_wait() -> None:
    attempts = Attempts()
    for _ in range(4):
        attempts = attempts.claimed(EMAIL_LIMITS, NOW)
        assert attempts.wait(NOW) == timedelta(0)
    attempts = attempts.claimed(EMAIL_LIMITS, NOW)
    assert attempts.failures == 5
    assert attempts.wait(NOW) == timedelta(seconds=1)
    assert attempts.wait(NOW + timedelta(seconds=1)) == timedelta(0)
    # Remembered for a day after the last failure, then forgotten: five free tries again.
    assert attempts.current(NOW + timedelta(hours=23)).failures == 5
    assert attempts.current(NOW + timedelta(days=1)) == Attempts()
    assert attempts.claimed(EMAIL_LIMITS, NOW + timedelta(days=1)).failures == 1


def test_attempts_at_an_email_are_counted_per_shop_whatever_its_case_and_name_nobody() -> None:
    a = email_counter("demo", " Ada@Example.com ")
    assert a == email_counter("demo", "ada@example.com")
    assert a != email_counter("other", "ada@example.com")
    assert "ada" not in a.scope.lower() and "example" not in a.scope
    assert a.limits is EMAIL_LIMITS


def test_a_client_is_its_ipv4_address_or_its_ipv6_slash_64() -> None:
    assert client_network("203.0.113.7") == "203.0.113.7"
    assert client_network("2001:db8:1:2:aaaa::1") == client_network("2001:db8:1:2:ffff:1:2:3")
    assert client_network("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert client_network("2001:db8:1:3::1") != client_network("2001:db8:1:2::1")
    assert client_network("::ffff:203.0.113.7") == "203.0.113.7"
    assert client_network("not an address") == client_network(None) == "unknown"
    counter = client_counter("203.0.113.7")
    assert "203.0.113.7" not in counter.scope and counter.limits is CLIENT_LIMITS


def test_milliseconds_are_exact() -> None:
    at = datetime(2026, 3, 1, 12, 0, 0, 999_999, tzinfo=UTC)
    assert to_ms(at) == 1772366400999
    assert from_ms(to_ms(at)) == at.replace(microsecond=999_000)


def test_a_token_says_when_it_was_issued_and_a_stamp_revokes_what_came_before() -> None:
    claims = customer_tokens.CustomerClaims("demo", "o1", "ref", NOW + timedelta(hours=1), issued_at=NOW)
    read = customer_tokens.verify(KEY, customer_tokens.issue(KEY, claims), NOW)
    assert read.issued_at == NOW
    issued = to_ms(NOW)
    assert not is_revoked(issued, None)
    assert is_revoked(issued, issued) and is_revoked(issued, issued + 1)
    assert not is_revoked(issued, issued - 1)
    assert is_revoked(None, 0)  # a token from before tokens said when: any stamp revokes it
    legacy = customer_tokens.issue(
        KEY, customer_tokens.CustomerClaims("demo", "o1", "r", NOW + timedelta(hours=1))
    )
    assert customer_tokens.verify(KEY, legacy, NOW).issued_at is None


def test_a_principal_checks_its_stamp_only_for_customer_tokens() -> None:
    customer = Principal("demo", "o1", "ref", issued_ms=to_ms(NOW))
    customer.ensure_live(None)
    customer.ensure_live(to_ms(NOW) - 1)
    with pytest.raises(Unauthorized) as refused:
        customer.ensure_live(to_ms(NOW))
    assert refused.value.code == "session_revoked"
    Principal("demo").ensure_live(to_ms(NOW) + 1000)  # a storefront API key is no session
