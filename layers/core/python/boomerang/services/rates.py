"""Reference exchange rates for decisions: read from the table once per container and hour, fetched
from the ECB once a day by the scheduled function (functions/fx_rates).

A decision reads rates only where the order's currency needs a conversion (no pinned threshold), and
then from this container's cache: POST /v1/returns keeps its DynamoDB calls (bench/dynamodb_calls.py).
"""

from __future__ import annotations

import logging
import time
import urllib.request
from collections.abc import Callable
from datetime import datetime

from boomerang.domain.fx import ECB_DAILY_URL, FixedRate, Rates, RateTable, parse_ecb_daily
from boomerang.domain.models import Order
from boomerang.domain.policy import Policy
from boomerang.store.rates import RatesStore

log = logging.getLogger(__name__)

# The ECB publishes once a working day (about 16:00 CET): an hour-old copy is as good as the table's.
CACHE_SECONDS = 3600


class RatesReader:
    """The latest reference table, cached in the container for `cache_seconds`."""

    def __init__(
        self,
        store: RatesStore,
        cache_seconds: int = CACHE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.store = store
        self.cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._cached: tuple[float, RateTable | None] | None = None

    def latest(self) -> RateTable | None:
        now = self._monotonic()
        if self._cached is None or now - self._cached[0] >= self.cache_seconds:
            self._cached = (now, self.store.latest())
        return self._cached[1]

    def rates_for(self, policy: Policy, order: Order) -> Rates:
        """What a decision on `order` may convert with. The table is read only where a threshold
        of the policy is not pinned in the order's currency."""
        fixed: dict[str, FixedRate] = dict(policy.fx_rates)
        if policy.pins(order.currency):
            return Rates(None, fixed)
        return Rates(self.latest(), fixed)


def fetch_ecb_daily(url: str = ECB_DAILY_URL, timeout_seconds: float = 10) -> bytes:
    if not url.startswith("https://"):
        raise ValueError("the rates are fetched over HTTPS only")
    headers = {"User-Agent": "boomerang-returns/1 (reference rates)"}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (https only, checked above)
    with urllib.request.urlopen(request, timeout=timeout_seconds) as answer:  # noqa: S310
        body: bytes = answer.read(1_000_000)
        return body


def refresh(store: RatesStore, fetch: Callable[[], bytes], now: datetime) -> tuple[RateTable, bool]:
    """Fetch today's table and store it; (the table, whether it became the latest). A document that
    is not the ECB's raises RatesUnreadable and nothing is stored."""
    table = parse_ecb_daily(fetch())
    newest = store.put(table, now)
    log.info("reference rates stored", extra={"day": table.date.isoformat(), "currencies": len(table.rates)})
    return table, newest
