"""`make demo`: events out. An ERP's endpoint (a tiny receiver in the demo's own process) is
subscribed to every event of the demo shop through the staff API; a return is walked from request
to refund, and the demo shows each event the ERP received, checked against its signature."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from boomerang.outbound.signing import EVENT_ID_HEADER, SIGNATURE_HEADER, verify
from local.demo.data import DEMO_API_KEY, DEMO_SHOP
from local.webhook_receiver import WebhookReceiver

if TYPE_CHECKING:
    from local.demo.harness import Journey

SUBSCRIPTIONS = "/admin/v1/webhooks/subscriptions"
DELIVERY_TIMEOUT = 30.0


def _for(receiver: WebhookReceiver, rma: str) -> list[tuple[dict[str, Any], dict[str, str], bytes]]:
    found = []
    for got in list(receiver.received):
        event = json.loads(got.body)
        if event.get("data", {}).get("rma") == rma:
            found.append((event, got.headers, got.body))
    return found


def erp_webhook(j: Journey) -> None:
    """A $40 size return inspected resellable and refunded; the ERP's webhook receives each event."""
    receiver = WebhookReceiver().start()
    admin = j.api.staff("admin")
    made = j.api.call(
        "POST",
        SUBSCRIPTIONS,
        {"shop": DEMO_SHOP, "url": receiver.url, "event_types": ["*"]},
        admin,
        expect=(201,),
    )
    j.say(f"admin: subscribed {receiver.url} to every event ({made['subscription_id']})")
    try:
        order = j.order("", "40.00")
        created = j.request_return(order, "size_too_small", "refund", headers={"x-api-key": DEMO_API_KEY})
        rma = j.track("size return, inspected resellable, refunded", created, DEMO_API_KEY, "closed")
        j.wait_label(rma)
        j.carrier(rma, "in_transit")
        j.carrier(rma, "delivered")
        j.wait(
            "the workflow waits for inspection",
            j.staff_view(rma),
            lambda r: r.get("waiting_for") == "inspection",
        )
        j.scan(rma, created["hub"]["hub_id"])
        j.inspect(rma, order["lines"][0]["line_id"], "resellable", "as new")
        j.wait_refund_requested(rma)
        j.payment(rma, "succeeded")
        j.wait_status(rma, "closed")
        deadline = time.monotonic() + DELIVERY_TIMEOUT
        while time.monotonic() < deadline:
            if {"refund.succeeded", "return.closed"} <= {e["type"] for e, _, _ in _for(receiver, rma)}:
                break
            time.sleep(0.3)
        received = sorted(_for(receiver, rma), key=lambda r: (int(r[0]["id"].split(":")[1]), r[0]["id"]))
        j.say(f"erp: received {len(received)} events for {rma}:")
        now = int(time.time())
        for event, headers, body in received:
            signed = verify(made["secret"], headers.get(SIGNATURE_HEADER, ""), body, now)
            j.say(
                f"  {event['id']:<18} {event['type']:<24} signature {'ok' if signed else 'BAD'}  "
                f"{json.dumps(event['data'])}"
            )
        types = [e["type"] for e, _, _ in received]
        j.check(
            "every delivery's signature verifies",
            all(verify(made["secret"], h.get(SIGNATURE_HEADER, ""), b, now) for _, h, b in received),
        )
        j.check(
            "each event delivered once",
            len({h.get(EVENT_ID_HEADER) for _, h, _ in received}) == len(received),
        )
        expected = {"return.requested", "return.approved", "return.label_issued", "return.delivered"}
        expected |= {"return.received", "return.inspected", "refund.succeeded", "return.closed"}
        j.check("requested .. refund.succeeded .. closed all arrived", expected <= set(types))
        inspected = next((e for e, _, _ in received if e["type"] == "return.inspected"), {"data": {}})
        dispositions = [i.get("disposition") for i in inspected["data"].get("items", [])]
        j.check(
            f"the ERP is told the stock disposition ({', '.join(map(str, dispositions))})",
            dispositions == ["restock_after_cleaning"],
        )
    finally:
        j.api.call("DELETE", f"{SUBSCRIPTIONS}/{made['subscription_id']}?shop={DEMO_SHOP}", None, admin)
        receiver.stop()


class EventWatch:
    """For the whole demo: a receiver subscribed to every event of the demo shops, so each journey's
    report can list the events its returns published (as the ERP received them)."""

    SHOPS = (DEMO_SHOP, "demo-hurried")

    def __init__(self, api: Any) -> None:
        self.api = api
        self.receiver = WebhookReceiver()
        self.subscriptions: list[tuple[str, str]] = []

    def start(self) -> EventWatch:
        self.receiver.start()
        admin = self.api.staff("admin")
        for shop in self.SHOPS:
            body = {"shop": shop, "url": self.receiver.url, "event_types": ["*"]}
            made = self.api.call("POST", SUBSCRIPTIONS, body, admin, expect=(201,))
            self.subscriptions.append((shop, made["subscription_id"]))
        return self

    def lines(self, j: Journey) -> list[str]:
        out: list[str] = []
        for tracked in j.tracked:
            last = (tracked.final or {}).get("timeline") or []
            # The events travel on after the journey ends (stream, bus, queue): wait for the last one.
            wanted = len(last)
            deadline = time.monotonic() + 5
            while len(self._events(tracked.rma)) < wanted and time.monotonic() < deadline:
                time.sleep(0.2)
            events = self._events(tracked.rma)
            names = ", ".join(e["type"] for e in events) or "none yet"
            out.append(
                f"  events out for {tracked.rma} ({len(events)}, as an ERP webhook received them): {names}"
            )
        return [*out, ""] if out else []

    def _events(self, rma: str) -> list[dict[str, Any]]:
        found = {e["id"]: e for e, _, _ in _for(self.receiver, rma)}  # at least once: one line per id
        return sorted(found.values(), key=lambda e: (int(e["id"].split(":")[1]), e["id"]))

    def stop(self) -> None:
        try:
            admin = self.api.staff("admin")
            for shop, subscription_id in self.subscriptions:
                self.api.call("DELETE", f"{SUBSCRIPTIONS}/{subscription_id}?shop={shop}", None, admin)
        finally:
            self.receiver.stop()
