"""A shop's provider settings (boomerang.domain.providers) on the single table:
SHOP#<shop> | INTEGRATION#providers, a JSON document. A shop without the record is live with no
carrier configured: nothing is assumed, and the label step says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from boomerang.domain.providers import ProviderSettings
from boomerang.store import keys
from boomerang.store.dynamo import from_item, to_item

INTEGRATION = "providers"


class ProviderSettingsStore:
    def __init__(
        self,
        table_name: str,
        ddb: Any,
        cache_seconds: float = 60,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.table = table_name
        self.ddb = ddb
        self.cache_seconds = cache_seconds
        self.clock = clock
        self._cache: dict[str, tuple[float, ProviderSettings]] = {}

    def get(self, shop: str) -> ProviderSettings:
        cached = self._cache.get(shop)
        if cached and self.clock() - cached[0] < self.cache_seconds:
            return cached[1]
        got = self.ddb.get_item(TableName=self.table, Key=to_item(keys.integration(shop, INTEGRATION)))
        settings = (
            ProviderSettings.model_validate_json(from_item(got["Item"])["doc"])
            if "Item" in got
            else ProviderSettings()
        )
        self._cache[shop] = (self.clock(), settings)
        return settings

    def put(self, shop: str, settings: ProviderSettings) -> None:
        item = {**keys.integration(shop, INTEGRATION), "doc": settings.model_dump_json()}
        self.ddb.put_item(TableName=self.table, Item=to_item(item))
        self._cache.pop(shop, None)
