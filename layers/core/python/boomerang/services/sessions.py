"""Customer sessions around the returns service: attempts at opening one are counted (and made to
wait), and a customer signs out of every session at once. The rules are boomerang.domain.sessions;
the records boomerang.store.sessions."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from boomerang.auth.principal import Principal
from boomerang.domain.errors import Forbidden, NotFound, TooManyAttempts
from boomerang.domain.sessions import Attempts, Counter, client_counter, email_counter
from boomerang.store.sessions import SessionStore, Stored

T = TypeVar("T")
_RACES = 3  # a claim lost to a parallel attempt is read and tried again this many times

log = logging.getLogger(__name__)


class SessionGuard:
    def __init__(self, store: SessionStore):
        self.store = store

    def counters(self, shop: str, email: str, source_ip: str | None) -> list[Counter]:
        """What an attempt counts against: the email (of the shop), and the client's address unless
        the caller is the storefront's own server (source_ip None: its API key already reaches every
        order of its shop, and its address is every customer's)."""
        counters = [email_counter(shop, email)]
        if source_ip is not None:
            counters.append(client_counter(source_ip))
        return counters

    def attempt(self, counters: list[Counter], now: datetime, lookup: Callable[[], T]) -> T:
        """Run `lookup` (the order number and email check) as one counted attempt.

        Waiting counters refuse it (429, Retry-After) before anything is looked up. Otherwise the
        attempt is counted first (as failed, with the wait its failure earns the next one) and taken
        back only if `lookup` succeeds, so parallel guesses cannot slip in between a failure and its
        count. A wrong number and an unknown email cost the same calls and answer alike.
        """
        changes = self._claim(counters, now)
        try:
            found = lookup()
        except NotFound:
            raise  # a wrong guess: it stays counted
        except Exception:
            # Our failure, not a guess (a DynamoDB fault...): give the attempt back if we can.
            try:
                self.store.release(changes, now)
            except Exception:
                log.exception("could not give back a session attempt")
            raise
        self.store.release(changes, now)
        return found

    def _claim(self, counters: list[Counter], now: datetime) -> list[tuple[Counter, Stored, Attempts]]:
        for _race in range(_RACES):
            stored = self.store.read(counters)
            wait = max(s.attempts.wait(now) for s in stored)
            if wait.total_seconds() > 0:
                raise TooManyAttempts(max(1, math.ceil(wait.total_seconds())))
            changes = [
                (c, s, s.attempts.claimed(c.limits, now)) for c, s in zip(counters, stored, strict=True)
            ]
            if self.store.claim(changes, now):
                return changes
        raise TooManyAttempts(1)  # parallel attempts at the same email or client kept winning


class SessionRevocation:
    def __init__(self, store: SessionStore):
        self.store = store

    def sign_out_everywhere(self, caller: Principal, now: datetime) -> None:
        """Revoke every session of the caller's customer, the caller's own included."""
        if not caller.is_customer or caller.customer_ref is None:
            raise Forbidden(
                "Signing out everywhere takes the customer's own token (Authorization: Bearer).",
                code="customer_token_required",
            )
        self.store.revoke(caller.shop, caller.customer_ref, now, issued_ms=caller.issued_ms)
