"""Customer sessions: how many wrong guesses opening one may cost, and when a session is revoked.

Guessing. `POST /v1/sessions` trades an order number and an email for a token, so it is where
someone who knows an email would guess order numbers. Every attempt is counted against the email
(per shop) and against the client (its address; an IPv6 client by its /64, which one subscriber
holds). The first few failures are free, then each one makes the next attempt wait twice as long,
up to a lockout. An attempt counts as failed from the moment it starts and a right answer takes it
back, so a burst of parallel guesses is counted before any of them is looked up. The email counts
alike whether it belongs to a customer or not: nothing in the answer or its cost tells them apart.

Revocation. A token carries the time it was issued (milliseconds). A customer's sessions are
revoked by a stamp: every token issued at or before it is refused. Tokens live at most
MAX_SESSION, so a stamp is kept that long (and a little more) and then expires with them.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from boomerang.domain.errors import Unauthorized

# StorefrontConfig.session_ttl_seconds is at most a day; a stamp outlives every token it refuses.
MAX_SESSION = timedelta(days=1)
STAMP_LIFETIME = MAX_SESSION + timedelta(hours=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_ms(at: datetime) -> int:
    """Milliseconds since the epoch, exactly (no float rounding)."""
    return (at - _EPOCH) // timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def is_revoked(issued_ms: int | None, revoked_ms: int | None) -> bool:
    """A token issued at or before the stamp is revoked; one without an issue time (issued before
    tokens carried it) is revoked by any stamp."""
    if revoked_ms is None:
        return False
    return issued_ms is None or issued_ms <= revoked_ms


def session_revoked() -> Unauthorized:
    return Unauthorized("This session was signed out; open a new session.", code="session_revoked")


# --- guessing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    free: int  # failures that cost nothing
    first_wait: timedelta  # the wait after the first failure past `free`; it doubles after each
    lockout: timedelta  # the longest wait
    memory: timedelta  # failures are forgotten this long after the last one

    def wait_after(self, failures: int) -> timedelta:
        """How long the next attempt waits once `failures` attempts have failed."""
        if failures < self.free:
            return timedelta(0)
        doublings = min(failures - self.free, 32)
        return min(self.first_wait * (1 << doublings), self.lockout)


# An email: five tries, then 1 s, 2 s, 4 s ... up to an hour between guesses, remembered for a day:
# about 40 guesses a day at an email, where a typo-prone customer still has five free tries.
EMAIL_LIMITS = Limits(
    free=5, first_wait=timedelta(seconds=1), lockout=timedelta(hours=1), memory=timedelta(days=1)
)
# A client: more free tries, since one address can be many customers (an office, a mobile carrier's
# NAT); remembered for an hour after its last failure, locked out for at most 15 minutes.
CLIENT_LIMITS = Limits(
    free=20, first_wait=timedelta(seconds=1), lockout=timedelta(minutes=15), memory=timedelta(hours=1)
)


@dataclass(frozen=True)
class Attempts:
    """What is remembered of one email's or one client's failed attempts."""

    failures: int = 0
    locked_until: datetime | None = None
    forgotten_at: datetime | None = None  # None: nothing remembered

    def current(self, now: datetime) -> Attempts:
        """As it stands at `now`: forgotten once its memory has passed."""
        if self.forgotten_at is None or self.forgotten_at <= now:
            return Attempts()
        return Attempts(max(self.failures, 0), self.locked_until, self.forgotten_at)

    def wait(self, now: datetime) -> timedelta:
        """How long an attempt at `now` must still wait (zero: it may go ahead)."""
        current = self.current(now)
        if current.locked_until is None or current.locked_until <= now:
            return timedelta(0)
        return current.locked_until - now

    def claimed(self, limits: Limits, now: datetime) -> Attempts:
        """After one more attempt, counted as failed until it proves right: the next attempt waits
        as long as this one's failure would make it."""
        failures = self.current(now).failures + 1
        locked_until = now + limits.wait_after(failures)
        return Attempts(failures, locked_until, max(locked_until, now + limits.memory))


@dataclass(frozen=True)
class Counter:
    """One counted subject: an email of a shop, or a client address."""

    scope: str  # the key's text: emails and addresses only as digests
    limits: Limits


def email_counter(shop: str, email: str) -> Counter:
    # A one-way digest, distinct from the customer reference: attempts at an email that is no
    # customer's are counted alike, and the record names nobody.
    return Counter(f"{shop}#EMAIL#{_digest(shop, email.strip().lower())}", EMAIL_LIMITS)


def client_counter(source_ip: str | None) -> Counter:
    """A client by its address; an IPv6 client by its /64 network, which one subscriber holds
    (counting single IPv6 addresses would give each guesser 2^64 fresh counters)."""
    return Counter(f"CLIENT#{_digest('client', client_network(source_ip))}", CLIENT_LIMITS)


def client_network(source_ip: str | None) -> str:
    """The address a client is counted by: IPv4 as it is, IPv6 as its /64 network."""
    try:
        address = ipaddress.ip_address((source_ip or "").strip())
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return f"{ipaddress.IPv6Network((address, 64), strict=False).network_address}/64"
    return str(address)


def _digest(kind: str, text: str) -> str:
    return hashlib.sha256(f"session-attempts\n{kind}\n{text}".encode()).hexdigest()[:40]
