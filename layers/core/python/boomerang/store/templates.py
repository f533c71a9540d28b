"""Per-shop overrides of the customer emails' templates, on the single table (one item per shop,
language and template), read through a short per-container cache."""

from __future__ import annotations

import time
from typing import Any

from boomerang.notify.templates import EmailTemplate
from boomerang.store import keys
from boomerang.store.dynamo import from_item, to_item


class TemplateOverrides:
    def __init__(self, table: str, ddb: Any, cache_seconds: int = 300):
        self.table = table
        self.ddb = ddb
        self.cache_seconds = cache_seconds
        self._cache: dict[tuple[str, str, str], tuple[float, EmailTemplate | None]] = {}

    def put(self, shop: str, language: str, name: str, template: EmailTemplate) -> None:
        self.ddb.put_item(
            TableName=self.table,
            Item=to_item(
                {**keys.notification_template(shop, language, name), "doc": template.model_dump_json()}
            ),
        )

    def delete(self, shop: str, language: str, name: str) -> None:
        self.ddb.delete_item(
            TableName=self.table, Key=to_item(keys.notification_template(shop, language, name))
        )

    def get(self, shop: str, language: str, name: str) -> EmailTemplate | None:
        key = (shop, language, name)
        cached = self._cache.get(key)
        if cached and time.monotonic() - cached[0] < self.cache_seconds:
            return cached[1]
        got = self.ddb.get_item(TableName=self.table, Key=to_item(keys.notification_template(*key)))
        found = EmailTemplate.model_validate_json(from_item(got["Item"])["doc"]) if "Item" in got else None
        self._cache[key] = (time.monotonic(), found)
        return found
