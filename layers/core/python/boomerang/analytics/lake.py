"""The lake's one table: a row per domain event, partitioned by shop and day.

`COLUMNS` is the schema in one place: the Glue table (infra/cdk/constructs/analytics_lake.py), the
Parquet files written on this machine (local/lake.py) and the report tests all read it. `lake_row`
turns an event envelope, with the return or order it is about, into that row.

Privacy: the row is built from an allow-list of fields, never by copying the event's data. It holds
ids (RMA, order id, ticket id), the customer reference (a one-way hash of the email, see
services/customers.py), codes (reason, category, outcome, rule ids, country, language) and amounts.
No email, name, address, phone, free text (notes, messages, staff's rejection reasons) or staff
username ever reaches it (tests/unit/test_analytics_lake.py), so GDPR erasure has nothing to erase
there: the customer reference stays, as it does on the financial records erasure keeps, and cannot
be turned back into the email.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from boomerang.domain.models import Effect, Order, Return
from boomerang.domain.shipments import carrier_key
from boomerang.services.customers import customer_ref

# Partition columns, last in the Glue table, as directories in S3 and on disk: shop=<id>/dt=<yyyy-mm-dd>.
PARTITIONS: tuple[tuple[str, str], ...] = (("shop", "string"), ("dt", "string"))

LINE_TYPE = (
    "struct<line_id:string,sku:string,product:string,category:string,reason:string,"
    "quantity:int,amount:bigint>"
)

# (name, Glue/Hive type). Amounts are integer minor units of `currency`, as everywhere inside Boomerang.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("event_id", "string"),
    ("type", "string"),
    ("occurred_at", "timestamp"),
    ("rma", "string"),
    ("order_id", "string"),
    ("ticket_id", "string"),
    ("status", "string"),
    ("customer_ref", "string"),
    ("country", "string"),  # the customer's country (ISO 3166-1 alpha-2), not their address
    ("currency", "string"),
    ("amount", "bigint"),
    ("method", "string"),  # how money went back (card, store_credit, paypal, ...) or a ticket's channel
    ("outcome", "string"),
    ("actor", "string"),  # policy | staff | customer | system: never who, only what kind
    ("rules", "array<string>"),  # the rule ids that sent a return to a person or asked for evidence
    ("reason", "string"),  # a failure's code (refund.failed), never free text
    ("hub", "string"),
    ("label_cost", "bigint"),
    ("origin_cost", "bigint"),  # what the label would have cost to the origin (fallback) hub
    ("carrier", "string"),
    ("category", "string"),  # a ticket's category
    ("language", "string"),
    ("priority", "string"),
    ("lines", f"array<{LINE_TYPE}>"),
    # Outbound parcels (shipment.*): their lane's countries and, once delivered, the time it took.
    # `carrier` is the lane's carrier key ("yunexpress"), `reason` a delay's or an exception's code.
    ("origin_country", "string"),
    ("destination_country", "string"),
    ("transit_hours", "double"),
)
COLUMN_NAMES = tuple(name for name, _ in COLUMNS)

DECISIONS = frozenset(
    {"return.approved", "return.rejected", "return.pending_review", "return.awaiting_evidence"}
)
MONEY_BACK = frozenset({"refund.succeeded", "return.credited", "return.exchanged"})
# Effects of a rule that take a return out of the automatic path.
NEEDS_A_PERSON = frozenset({Effect.REVIEW, Effect.REQUIRE_EVIDENCE})
CODE_CHARS = 64


def _code(value: Any) -> str | None:
    """A short code (a provider's failure code, a category), or None: free text does not pass."""
    if not isinstance(value, str) or not value or len(value) > CODE_CHARS or " " in value.strip():
        return None
    return value


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def partition_of(shop: str, occurred_at: datetime) -> dict[str, str]:
    return {"shop": shop, "dt": occurred_at.strftime("%Y-%m-%d")}


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def empty_row() -> dict[str, Any]:
    return dict.fromkeys(COLUMN_NAMES)


def lake_row(
    envelope: dict[str, Any], ret: Return | None = None, order: Order | None = None
) -> dict[str, Any]:
    """The lake's row for one event envelope ({id, type, version, occurred_at, shop, data}), with the
    partition columns. `ret` and `order` are the return and order the event is about, where the
    caller could read them: they give the lines, reasons, hub and costs that events do not carry."""
    data = envelope.get("data") or {}
    kind = str(envelope["type"])
    at = parse_time(str(envelope["occurred_at"]))
    row = empty_row()
    row.update(
        event_id=str(envelope["id"]),
        type=kind,
        occurred_at=at,
        rma=_code(data.get("rma")),
        order_id=_code(data.get("order_id")),
        ticket_id=_code(data.get("ticket_id")),
        status=_code(data.get("status")),
    )
    if kind.startswith("return.") or kind.startswith("refund."):
        _return_columns(row, kind, data, ret, order)
    elif kind == "order.imported" and order is not None:
        _order_columns(row, order)
    elif kind.startswith("shipment."):
        _shipment_columns(row, kind, data)
    elif kind.startswith("ticket."):
        row.update(
            category=_code(data.get("category")),
            language=_code(data.get("language")),
            priority=_code(data.get("priority")),
            method=_code(data.get("channel")),
            actor=_code(data.get("author_kind")),
        )
    row.update(partition_of(str(envelope["shop"]), at))
    return row


def _return_columns(
    row: dict[str, Any], kind: str, data: dict[str, Any], ret: Return | None, order: Order | None
) -> None:
    if ret is not None:
        row.update(
            customer_ref=ret.customer_ref,
            currency=ret.items[0].unit_price.currency,
            hub=ret.hub.hub_id,
            origin_cost=ret.hub.fallback_cost.amount,
        )
    if order is not None:
        row["country"] = order.customer_country
    if kind == "return.requested" and ret is not None:
        titles = {line.line_id: line.title for line in order.lines} if order else {}
        row.update(
            amount=ret.amount.amount,
            label_cost=ret.hub.cost.amount,
            lines=[
                {
                    "line_id": item.line_id,
                    "sku": item.sku,
                    "product": titles.get(item.line_id) or item.sku,
                    "category": item.category,
                    "reason": _code(item.reason) or "other",
                    "quantity": item.quantity,
                    "amount": item.amount.amount,
                }
                for item in ret.items
            ],
        )
    elif kind in DECISIONS:
        # Staff decisions carry `decided_by` (a username: only its kind is kept).
        staff = str(data.get("decided_by") or "").startswith("staff:")
        row.update(
            outcome=_code(data.get("outcome")) or kind.removeprefix("return."),
            actor="staff" if staff else "policy",
        )
        if ret is not None:
            row["rules"] = [
                r.rule_id for r in ret.decision.rules if r.effect in NEEDS_A_PERSON and not r.overridden
            ]
    elif kind == "return.label_issued":
        row["carrier"] = _code(data.get("carrier"))
        if ret is not None and ret.label is not None:
            row["label_cost"] = ret.label.cost.amount
            row["currency"] = ret.label.cost.currency
    elif kind == "return.received":
        row["hub"] = _code(data.get("hub")) or row["hub"]
    elif kind in MONEY_BACK:
        row.update(amount=_int(data.get("amount")), currency=_code(data.get("currency")) or row["currency"])
        paid_via = ret.refund.paid_via if ret is not None and ret.refund is not None else None
        row["method"] = _code(paid_via) or _code(data.get("method")) or _default_method(kind)
    elif kind == "refund.failed":
        row.update(
            reason=_code(data.get("failure_reason")) or _code(data.get("reason")) or "unknown",
            method=_code(data.get("method")),
        )


def _shipment_columns(row: dict[str, Any], kind: str, data: dict[str, Any]) -> None:
    # An exception names the carrier that reported it (the last mile's after a hand-over); the
    # lane is the first leg's.
    carrier = data.get("first_leg_carrier") or data.get("carrier")
    row.update(
        carrier=_code(carrier_key(carrier)) if isinstance(carrier, str) else None,
        origin_country=_country(data.get("origin_country")),
        destination_country=_country(data.get("destination_country")),
    )
    if kind == "shipment.delivered":
        hours = data.get("transit_hours")
        valid = isinstance(hours, int | float) and not isinstance(hours, bool) and 0 <= hours < 24 * 366
        row["transit_hours"] = float(hours) if valid and hours is not None else None
    elif kind == "shipment.delayed":
        row["reason"] = _code(data.get("reason"))
    elif kind == "shipment.exception":
        row["reason"] = _code(data.get("exception"))


def _country(value: Any) -> str | None:
    is_code = isinstance(value, str) and len(value) == 2 and value.isalpha() and value.isupper()
    return value if is_code else None


def _default_method(kind: str) -> str:
    return {"return.credited": "store_credit", "return.exchanged": "exchange"}.get(kind, "card")


def _order_columns(row: dict[str, Any], order: Order) -> None:
    row.update(
        order_id=order.order_id,
        customer_ref=customer_ref(order.shop, order.customer_email),
        country=order.customer_country,
        currency=order.currency,
        amount=order.total.amount,
        lines=[
            {
                "line_id": line.line_id,
                "sku": line.sku,
                "product": line.title or line.sku,
                "category": line.category,
                "reason": None,
                "quantity": line.quantity,
                "amount": line.unit_price.amount * line.quantity,
            }
            for line in order.lines
        ],
    )


def firehose_json(row: dict[str, Any]) -> str:
    """The row as Firehose's record format conversion reads it (OpenX JSON SerDe into Parquet):
    timestamps as `yyyy-MM-dd HH:mm:ss.SSS`, and without the partition columns, which are the
    S3 prefix (partitionKeyFromLambda)."""
    out = {k: v for k, v in row.items() if k not in _PARTITION_NAMES}
    at = out["occurred_at"]
    out["occurred_at"] = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    return json.dumps(out, separators=(",", ":")) + "\n"


_PARTITION_NAMES = frozenset(name for name, _ in PARTITIONS)
