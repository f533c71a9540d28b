"""Firehose's record transformation for the lake: EventBridge events in, the lake's rows out, each
with its partition (shop, day) for Firehose's dynamic partitioning.

The return or order an event is about is read once per batch (events carry ids, the lake wants the
lines, reasons and costs): a return erased or never found still gives its row, with what the event says.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from typing import Any

from boomerang.analytics.lake import firehose_json, lake_row
from boomerang.domain.errors import NotFound
from boomerang.domain.models import Order, Return

log = logging.getLogger(__name__)


class Snapshots:
    """The returns and orders of one batch, read at most once each."""

    def __init__(self, get_return: Callable[[str], Return], get_order: Callable[[str, str], Order]) -> None:
        self._get_return, self._get_order = get_return, get_order
        self._returns: dict[str, Return | None] = {}
        self._orders: dict[tuple[str, str], Order | None] = {}

    def ret(self, rma: str | None) -> Return | None:
        if not rma:
            return None
        if rma not in self._returns:
            self._returns[rma] = _or_none(lambda: self._get_return(rma))
        return self._returns[rma]

    def order(self, shop: str, order_id: str | None) -> Order | None:
        if not order_id:
            return None
        if (shop, order_id) not in self._orders:
            self._orders[(shop, order_id)] = _or_none(lambda: self._get_order(shop, order_id))
        return self._orders[(shop, order_id)]


def _or_none(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except NotFound:
        return None


def transform(records: list[dict[str, Any]], snapshots: Snapshots) -> list[dict[str, Any]]:
    """Firehose's `records` ({recordId, data: base64 of the EventBridge event}) -> its answer's."""
    out = []
    for record in records:
        try:
            event = json.loads(base64.b64decode(record["data"]))
            envelope = event["detail"]
            data = envelope.get("data") or {}
            shop = str(envelope["shop"])
            row = lake_row(
                envelope, snapshots.ret(data.get("rma")), snapshots.order(shop, data.get("order_id"))
            )
        except Exception:
            # Firehose writes a failed record to the error prefix (errors/) instead of the table.
            log.exception("event not turned into a lake row")
            out.append({"recordId": record["recordId"], "result": "ProcessingFailed", "data": record["data"]})
            continue
        out.append(
            {
                "recordId": record["recordId"],
                "result": "Ok",
                "data": base64.b64encode(firehose_json(row).encode()).decode(),
                "metadata": {"partitionKeys": {"shop": row["shop"], "dt": row["dt"]}},
            }
        )
    return out
