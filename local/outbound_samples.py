"""The outbound-parcel samples (events/samples/carriers/*_outbound_*, events/samples/shopify/
fulfillments_create.json) with a run's own numbers and ids, for `make demo` and the tests.

The samples follow one YunExpress parcel handed over to USPS; `outbound_sample` swaps in other
numbers (every parcel has its own) and shifts its times, so a run's parcel is news now."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent / "events" / "samples"
FIRST_LEG = "YT2433512345678901"
LAST_MILE = "9400111899223344556677"
SAMPLE_ORDER_ID = "6129740677501"
# The samples' first scan (Shenzhen, 2026-03-02 10:05 +08:00), which `shift` moves.
SAMPLE_START = datetime.fromisoformat("2026-03-02T02:05:00+00:00")
_TIME = re.compile(r'"(2026-03-\d\dT\d\d:\d\d:\d\d)([+-]\d\d:\d\d)"')


def outbound_sample(name: str, first_leg: str, last_mile: str, start: datetime | None = None) -> bytes:
    """A carrier sample for the parcel `first_leg` (last mile `last_mile`); with `start`, every
    checkpoint moved by the same amount so that the first scan is at `start`."""
    text = (ROOT / "carriers" / f"{name}.json").read_text()
    text = text.replace(FIRST_LEG, first_leg).replace(LAST_MILE, last_mile)
    if start is not None:
        delta = start - SAMPLE_START

        def moved(match: re.Match[str]) -> str:
            at = datetime.fromisoformat(match.group(1) + match.group(2)) + delta
            return f'"{at.isoformat()}"'

        text = _TIME.sub(moved, text)
    body: dict[str, Any] = json.loads(text)
    if "event_id" in body:  # AfterShip: an event id of its own per parcel and sample
        body["event_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"boomerang-outbound:{name}:{first_leg}"))
    return json.dumps(body).encode()


def shopify_us_order(order_id: str, number: int, email: str, locale: str = "en-US") -> dict[str, Any]:
    """The Shopify orders/create sample as a US order (shipped cross-border from Shenzhen)."""
    body: dict[str, Any] = json.loads((ROOT / "shopify" / "orders_create.json").read_text())
    body.update(
        {
            "id": int(order_id),
            "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
            "name": f"#{number}",
            "order_number": number,
            "number": number - 1000,
            "email": email,
            "contact_email": email,
            "customer_locale": locale,
            "fulfillments": [],
            "refunds": [],
        }
    )
    address = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "name": "Ada Lovelace",
        "address1": "233 S Wacker Dr",
        "address2": "",
        "city": "Chicago",
        "zip": "60606",
        "province": "Illinois",
        "province_code": "IL",
        "country": "United States",
        "country_code": "US",
        "phone": "+1 312 555 0100",
        "company": None,
    }
    body["shipping_address"] = address
    body["billing_address"] = address
    if body.get("customer"):
        body["customer"] = {**body["customer"], "email": email, "default_address": address}
    return body


def shopify_fulfillment(order: dict[str, Any], first_leg: str, shipped_at: datetime) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((ROOT / "shopify" / "fulfillments_create.json").read_text())
    stamp = shipped_at.isoformat()
    body.update(
        {
            "id": int(order["id"]) + 7,
            "order_id": order["id"],
            "name": f"{order['name']}.1",
            "tracking_number": first_leg,
            "tracking_numbers": [first_leg],
            "tracking_urls": [f"https://www.yuntrack.com/parcelTracking?id={first_leg}"],
            "tracking_url": f"https://www.yuntrack.com/parcelTracking?id={first_leg}",
            "created_at": stamp,
            "updated_at": (shipped_at + timedelta(seconds=1)).isoformat(),
            "line_items": [
                {**item, "id": line["id"]}
                for item, line in zip(body["line_items"], order["line_items"], strict=False)
            ],
        }
    )
    return body


def new_numbers() -> tuple[str, str]:
    """A fresh (YunExpress, USPS) pair of tracking numbers."""
    digits = str(uuid.uuid4().int)[:16]
    return f"YT{digits}", f"9400{digits}{digits[:6]}"
