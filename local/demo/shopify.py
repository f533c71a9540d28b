"""`make demo`'s Shopify journey: signed Shopify webhooks bring an order in (out of order, once
twice, once forged), a refund in Shopify's admin takes a line off, the customer returns the other
line through the storefront API, and the emails the customer got (in German, the order's
customer_locale) are read back from SES on moto (`POST /local/mails`).

The payloads are events/samples/shopify/, given this run's ids, address and dates (delivered three
days ago), then signed as Shopify signs them with the demo shop's app secret (local/shopify.py).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from boomerang.shopify.signature import sign
from local.demo.data import DEMO_API_KEY
from local.shopify import DEMO_SHOPIFY_DOMAIN, DEMO_SHOPIFY_SECRET

if TYPE_CHECKING:  # local/demo/journeys.py lists this journey: no import back at run time
    from local.demo.harness import Journey

HTTP_TIMEOUT = 30.0
KEY = {"x-api-key": DEMO_API_KEY}

SAMPLES = Path(__file__).resolve().parents[2] / "events" / "samples" / "shopify"
TOPICS = {
    "orders_create": "orders/create",
    "orders_fulfilled": "orders/fulfilled",
    "orders_updated": "orders/updated",
    "refunds_create": "refunds/create",
    "products_update_shoes": "products/update",
    "products_update_earbuds": "products/update",
}
SAMPLE_IDS = (6129740677333, 14215865811157, 14215865843925, 8234087006421, 8234087039189, 1017262768341)
SAMPLE_EMAIL = "mia.schneider@example.com"
SAMPLE_DELIVERED = datetime.fromisoformat("2026-11-05T11:37:20+01:00")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")


class DemoShopify:
    """Shopify's side: the samples made this run's own, signed and posted to /webhooks/shopify."""

    def __init__(self, j: Journey):
        self.j = j
        shift = zlib.crc32(j.run_id.encode()) % 1_000_000 * 1000 + j.number
        self.ids = {old: old + shift for old in SAMPLE_IDS}
        self.email = f"mia.{j.run_id}@example.com"
        self.delta = (datetime.now(UTC) - timedelta(days=3)) - SAMPLE_DELIVERED
        self.order_id = str(self.ids[SAMPLE_IDS[0]])
        self.shoes, self.earbuds = str(self.ids[SAMPLE_IDS[1]]), str(self.ids[SAMPLE_IDS[2]])
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def payload(self, name: str) -> dict[str, Any]:
        def own(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: own(v) for k, v in value.items()}
            if isinstance(value, list):
                return [own(v) for v in value]
            if isinstance(value, int) and not isinstance(value, bool):
                return self.ids.get(value, value)
            if isinstance(value, str):
                if _ISO.match(value):
                    return (datetime.fromisoformat(value) + self.delta).isoformat(timespec="seconds")
                for old, new in self.ids.items():
                    value = value.replace(str(old), str(new))
                return value.replace(SAMPLE_EMAIL, self.email).replace("#1042", f"#SH{self.order_id[-6:]}")
            return value

        return dict(own(json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))))

    def post(
        self, name: str, *, webhook_id: str | None = None, secret: str = DEMO_SHOPIFY_SECRET
    ) -> tuple[int, Any]:
        raw = json.dumps(self.payload(name), ensure_ascii=False).encode()
        request = urllib.request.Request(
            self.j.api.base + "/webhooks/shopify",
            data=raw,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Shopify-Topic": TOPICS[name],
                "X-Shopify-Hmac-Sha256": sign(raw, secret),
                "X-Shopify-Shop-Domain": DEMO_SHOPIFY_DOMAIN,
                "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
                "X-Shopify-API-Version": "2024-10",
            },
        )
        try:
            with self._opener.open(request, timeout=HTTP_TIMEOUT) as answer:
                status, text = answer.status, answer.read().decode()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode()
        except (urllib.error.URLError, OSError) as exc:
            raise RuntimeError(f"POST /webhooks/shopify: no answer ({exc})") from exc
        body = json.loads(text) if text else None
        outcome = body.get("outcome") if status == 200 else body["error"]["code"]
        self.j.say(f"shopify: {TOPICS[name]} -> HTTP {status} {outcome}")
        return status, body


def shopify_orders_and_emails(j: Journey) -> None:
    """A German customer's Shopify order: webhooks in any order, a Shopify refund, a return, emails."""
    shopify = DemoShopify(j)
    shopify.post("products_update_shoes")
    shopify.post("products_update_earbuds")
    # Shopify does not promise order: the delivered snapshot arrives first, the older ones after.
    updated_id = str(uuid.uuid4())
    outcomes = [
        shopify.post("orders_updated", webhook_id=updated_id)[1]["outcome"],
        shopify.post("orders_create")[1]["outcome"],
        shopify.post("orders_fulfilled")[1]["outcome"],
    ]
    j.check("older snapshots arriving late change nothing", outcomes == ["applied", "stale", "stale"])
    j.check(
        "a redelivery is applied once",
        shopify.post("orders_updated", webhook_id=updated_id)[1]["outcome"] == "duplicate",
    )
    j.check("a forged signature is refused", shopify.post("orders_create", secret="guessed")[0] == 401)
    shopify.post("refunds_create")  # the merchant refunded the earbuds in Shopify's admin
    # The order was paid in euros: Shopify (the local fake) answers its sale in them.
    gid = f"gid://shopify/Order/{shopify.order_id}"
    j.api.call("POST", "/local/payments/shopify-order", {"id": gid, "currency": "EUR"})

    eligibility = j.api.call("GET", f"/v1/orders/{shopify.order_id}/eligibility", headers=KEY)
    lines = {line["line_id"]: line for line in eligibility["lines"]}
    for line in eligibility["lines"]:
        j.say(
            f"storefront: line {line['sku']} ({line['category']}) returnable x{line['returnable_quantity']}"
            + (f": {line['ineligible']['message']}" if line.get("ineligible") else "")
        )
    j.check("categories from Shopify product types", lines[shopify.earbuds]["category"] == "electronics")
    j.check(
        "the line refunded in Shopify is not returnable", lines[shopify.earbuds]["returnable_quantity"] == 0
    )

    body = {
        "order_id": shopify.order_id,
        "items": [{"line_id": shopify.shoes, "quantity": 1, "reason": "size_too_small"}],
        "resolution": "refund",
    }
    created = j.api.call(
        "POST", "/v1/returns", body, {**KEY, "Idempotency-Key": f"{shopify.order_id}-return"}
    )
    hub = created["hub"]["hub_id"]
    j.say(f"storefront: return {created['rma']} requested -> {created['status']}, hub {hub}")
    rma = j.track("Shopify order, shoes returned", created, DEMO_API_KEY, "closed")
    if created["status"] in ("pending_review", "awaiting_evidence"):
        j.wait(
            "the workflow waits", j.staff_view(rma), lambda r: r.get("waiting_for") in ("review", "evidence")
        )
        j.approve(rma, "sizes run small in this model")
    j.wait_label(rma)
    j.carrier(rma, "delivered")
    j.wait(
        "the workflow waits for inspection", j.staff_view(rma), lambda r: r.get("waiting_for") == "inspection"
    )
    j.scan(rma, created["hub"]["hub_id"])
    j.inspect(rma, shopify.shoes, "resellable", "unworn, in its box")
    # Refunded through Shopify's Admin API (the local fake), which pays at once: no webhook to wait for.
    final = j.wait_status(rma, "closed")
    refund = j.staff_view(rma, "finance")().get("refund") or {}
    j.check(
        f"refunded through Shopify ({refund.get('reference')})",
        str(refund.get("reference") or "").startswith("gid://shopify/Refund/"),
    )

    mails = j.api.call("POST", "/local/mails", {"to": shopify.email})["mails"]
    for mail in mails:
        j.say(f"email to the customer: {mail['subject']}")
        first = mail["body"].splitlines()[0]
        j.say(f"    {first[:100]}{'...' if len(first) > 100 else ''}")
    told = [e["event"] for e in final["timeline"] if e["event"].startswith("customer.notified.")]
    j.check(
        f"one email per notification ({len(mails)} emails, {len(told)} on the timeline)",
        len(mails) == len(told) >= 2,
    )
    j.check(
        "in the customer's language (de)", all(rma in m["subject"] and "Ihr" in m["subject"] for m in mails)
    )
    j.check("the refund email says how long the bank takes", any("5-10 Werktage" in m["body"] for m in mails))
