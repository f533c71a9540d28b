"""The lake's rows: what each event becomes, what Firehose gets back, and that no personal data
(email, name, address, phone, free text, staff usernames) ever reaches the lake."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

from boomerang.analytics.lake import COLUMN_NAMES, firehose_json, lake_row
from boomerang.analytics.records import Snapshots, transform
from boomerang.domain.errors import NotFound
from boomerang.domain.models import (
    Address,
    HubChoice,
    Label,
    Order,
    Refund,
    Resolution,
    Return,
    ReturnItem,
    ReturnStatus,
)
from boomerang.domain.money import Money
from boomerang.domain.policy import Policy
from boomerang.services.customers import customer_ref
from tests.unit.factories import NOW, decision_for, default_document, item, line, order

EMAIL = "jane.doe@example.com"
NAME = "Jane Doe"
STREET = "12 Rue de la Paix"
PHONE = "+33155512345"
NOTE = "My husband Jean Doe bought the wrong size"
STAFF = "staff:jane.manager"
PERSONAL = (EMAIL, NAME, STREET, PHONE, NOTE, "jane.manager", "Jean")


def the_order() -> Order:
    address = Address(name=NAME, line1=STREET, city="Paris", postal_code="75002", country="FR", phone=PHONE)
    base = order(line("L1", "45.00", category="apparel"), line("L2", "120.00", category="electronics"))
    return base.model_copy(
        update={"customer_email": EMAIL, "shipping_address": address, "customer_country": "FR"}
    )


def the_return(placed: Order) -> Return:
    policy = Policy.model_validate(default_document())
    decision = decision_for(policy, placed, [item("L1"), item("L2", reason="defective")])
    address = placed.shipping_address
    return Return(
        rma="RMA-1",
        shop=placed.shop,
        order_id=placed.order_id,
        customer_ref=customer_ref(placed.shop, EMAIL),
        status=ReturnStatus.REFUNDED,
        resolution=Resolution.REFUND,
        items=[
            ReturnItem(
                line_id="L1",
                sku="SKU-L1",
                category="apparel",
                quantity=1,
                reason="size_too_small",
                note=NOTE,
                unit_price=Money.parse("45.00", "USD"),
            ),
            ReturnItem(
                line_id="L2",
                sku="SKU-L2",
                category="electronics",
                quantity=1,
                reason="defective",
                unit_price=Money.parse("120.00", "USD"),
            ),
        ],
        decision=decision.model_copy(update={"decided_by": STAFF}),
        hub=HubChoice(
            hub_id="eu-pl",
            name="Poland",
            country="PL",
            cost=Money.parse("6.00", "USD"),
            fallback_hub_id="origin",
            fallback_cost=Money.parse("19.00", "USD"),
        ),
        created_at=NOW,
        updated_at=NOW,
        label=Label(
            carrier="dhl",
            tracking_number="JD0001",
            cost=Money.parse("5.50", "USD"),
            issued_at=NOW,
            valid_until=NOW + timedelta(days=30),
        ),
        refund=Refund(
            method=Resolution.REFUND, amount=Money.parse("165.00", "USD"), status="succeeded", paid_via="card"
        ),
        ship_from=address,
    )


def envelope(kind: str, **data: Any) -> dict[str, Any]:
    return {
        "id": f"ev-{kind}",
        "type": kind,
        "version": 1,
        "occurred_at": "2025-06-15T12:00:00.000000Z",
        "shop": "demo",
        "data": {"rma": "RMA-1", "order_id": "ord-1", **data},
    }


def every_row() -> list[dict[str, Any]]:
    placed = the_order()
    ret = the_return(placed)
    events = [
        envelope("return.requested", status="requested", items=2),
        envelope("return.pending_review", status="pending_review", outcome="review"),
        envelope("return.approved", status="approved", decided_by=STAFF, reason=NOTE),
        envelope("return.rejected", status="rejected", decided_by=STAFF, reason=f"{NAME} abuses returns"),
        envelope("return.label_issued", status="label_issued", carrier="dhl", tracking_number="JD0001"),
        envelope("return.received", status="received", hub="eu-pl"),
        envelope("refund.failed", status="refund_failed", failure_reason=f"card of {NAME} declined"),
        envelope("refund.succeeded", status="refunded", amount=16500, currency="USD"),
        envelope("order.imported"),
        {
            **envelope("ticket.opened"),
            "data": {
                "ticket_id": "TK-1",
                "category": "damaged_item",
                "language": "fr",
                "priority": "high",
                "channel": "email",
                "subject": NOTE,
            },
        },
    ]
    return [lake_row(e, ret, placed) for e in events]


def test_no_personal_data_reaches_the_lake() -> None:
    rows = every_row()
    text = "\n".join(firehose_json(r) for r in rows) + json.dumps([r for r in rows], default=str)
    for value in PERSONAL:
        assert value.lower() not in text.lower(), value
    for row in rows:
        assert set(row) == {*COLUMN_NAMES, "shop", "dt"}


def test_what_each_event_gives() -> None:
    rows = {r["type"]: r for r in every_row()}
    requested = rows["return.requested"]
    assert requested["customer_ref"] == customer_ref("demo", EMAIL)  # the pseudonym, never the email
    assert requested["country"] == "FR" and requested["amount"] == 16500
    assert [(x["sku"], x["product"], x["reason"], x["quantity"]) for x in requested["lines"]] == [
        ("SKU-L1", "Item L1", "size_too_small", 1),
        ("SKU-L2", "Item L2", "defective", 1),
    ]
    assert (requested["hub"], requested["label_cost"], requested["origin_cost"]) == ("eu-pl", 600, 1900)
    assert rows["return.approved"]["actor"] == "staff" and rows["return.pending_review"]["actor"] == "policy"
    assert rows["return.approved"]["reason"] is None  # staff's words stay out
    assert (rows["return.label_issued"]["label_cost"], rows["return.label_issued"]["carrier"]) == (550, "dhl")
    assert rows["refund.failed"]["reason"] == "unknown"  # free text is not a code
    assert (rows["refund.succeeded"]["amount"], rows["refund.succeeded"]["method"]) == (16500, "card")
    ticket = rows["ticket.opened"]
    assert (ticket["ticket_id"], ticket["category"], ticket["language"], ticket["priority"]) == (
        "TK-1",
        "damaged_item",
        "fr",
        "high",
    )
    assert {r["shop"] for r in rows.values()} == {"demo"} and {r["dt"] for r in rows.values()} == {
        "2025-06-15"
    }


def test_firehose_gets_rows_with_their_partition_and_a_failure_per_bad_record() -> None:
    placed = the_order()
    ret = the_return(placed)
    reads: list[str] = []

    def get_return(rma: str) -> Return:
        reads.append(rma)
        if rma != "RMA-1":
            raise NotFound("No such return.")
        return ret

    def record(n: int, detail: Any) -> dict[str, Any]:
        body = json.dumps({"source": "boomerang", "detail-type": "x", "detail": detail}).encode()
        return {"recordId": str(n), "data": base64.b64encode(body).decode()}

    records = [
        record(1, envelope("return.requested", status="requested", items=2)),
        record(2, envelope("return.received", status="received", hub="eu-pl")),
        record(3, {**envelope("return.cancelled"), "data": {"rma": "RMA-GONE", "order_id": "ord-1"}}),
        record(4, {"not": "an envelope"}),
    ]
    out = transform(records, Snapshots(get_return, lambda shop, order_id: placed))
    assert [r["result"] for r in out] == ["Ok", "Ok", "Ok", "ProcessingFailed"]
    assert reads == ["RMA-1", "RMA-GONE"]  # one read per return per batch
    assert out[0]["metadata"] == {"partitionKeys": {"shop": "demo", "dt": "2025-06-15"}}
    first = json.loads(base64.b64decode(out[0]["data"]))
    assert first["occurred_at"] == "2025-06-15 12:00:00.000"
    assert "shop" not in first and "dt" not in first  # they are the S3 prefix
    assert json.loads(base64.b64decode(out[2]["data"]))["rma"] == "RMA-GONE"
