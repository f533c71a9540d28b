"""`make demo`: walk returns through every path a merchant sees, on the local stack, and print each
return's timeline.

    .venv/bin/python -m local.demo [--base http://127.0.0.1:3000]

With `--base` (or DEMO_BASE_URL) it drives that running stack (`make local`); otherwise it starts
one itself on a free port and stops it at the end. Every step comes from where it comes from in
production: orders, returns and cancellations from the storefront API, review, scans and inspection
from the staff API. Carrier and payment news come through the local-only stand-ins
/local/simulate/carrier and /local/simulate/payment until the carrier and payment webhooks exist;
they make the same library calls those webhooks will.

Exits 0 only if every journey ends where it should; 1 otherwise.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from local import demo_carriers, demo_events
from local.cognito import PASSWORD
from local.demo_data import DEMO_API_KEY, DEMO_SHOP, HURRIED_API_KEY, HURRIED_SHOP
from local.demo_evidence import attach_inspection_photo, upload_unboxing_video
from local.demo_shopify import shopify_orders_and_emails
from local.demo_stripe import STRIPE_JOURNEYS
from local.demo_tickets import refund_question_in_german
from local.dynamodb_local import free_port

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 180.0  # seconds for the stack to print "Ready in"
STEP_TIMEOUT = 30.0  # seconds any one step may take
EXPIRY_TIMEOUT = 30.0  # the hurried shop's 5-second label expires well within this
POLL = 0.2
HTTP_TIMEOUT = 30.0
# What a return's status can no longer leave.
TERMINAL = frozenset({"closed", "rejected", "cancelled", "expired"})
# The stack makes its own tables, secret and endpoints; it must never inherit a caller's.
OWN_ENVIRONMENT = ("TABLE_NAME", "IDEMPOTENCY_TABLE_NAME", "SESSION_SECRET_NAME", "STATE_MACHINE_ARN")

stopping = threading.Event()  # set on Ctrl-C / SIGTERM: every wait gives up at once


class JourneyFailed(Exception):
    pass


class HttpError(JourneyFailed):
    def __init__(self, method: str, path: str, status: int, body: str):
        self.status = status
        super().__init__(f"{method} {path} -> HTTP {status}\n      {body.strip() or '(empty body)'}")


# --- HTTP (standard library only) -----------------------------------------------------------------


class Api:
    """JSON over HTTP to the local stack; any unexpected status raises HttpError with the body."""

    def __init__(self, base: str):
        self.base = base.rstrip("/")
        # The stack is on loopback: never go through a proxy from the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self._tokens: dict[str, str] = {}
        self._lock = threading.Lock()

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        expect: tuple[int, ...] = (200, 201),
    ) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json", "Accept": "application/json", **(headers or {})},
        )
        try:
            with self._opener.open(request, timeout=HTTP_TIMEOUT) as answer:
                status, text = answer.status, answer.read().decode("utf-8", errors="replace")
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode("utf-8", errors="replace")
        except (urllib.error.URLError, OSError) as exc:
            raise JourneyFailed(f"{method} {path}: no answer from {self.base} ({exc})") from exc
        if status not in expect:
            raise HttpError(method, path, status, text)
        try:
            return json.loads(text) if text else None
        except ValueError as exc:
            raise HttpError(method, path, status, f"(not JSON) {text}") from exc

    def staff(self, username: str) -> dict[str, str]:
        """The Authorization header of a signed-in staff member (users are named as their group)."""
        with self._lock:
            if username not in self._tokens:
                answer = self.call("POST", "/local/login", {"username": username, "password": PASSWORD})
                self._tokens[username] = str(answer["id_token"])
            return {"Authorization": self._tokens[username]}


def _key(api_key: str) -> dict[str, str]:
    return {"x-api-key": api_key}


# --- a journey --------------------------------------------------------------------------------------


@dataclass
class Tracked:
    label: str
    rma: str
    api_key: str
    expected: str
    final: dict[str, Any] | None = None  # the return as staff see it at the end


@dataclass
class Journey:
    number: int
    title: str
    api: Api
    run_id: str
    lines: list[str] = field(default_factory=list)
    tracked: list[Tracked] = field(default_factory=list)
    checks: list[tuple[str, bool]] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    # -- narration and verdict --

    def say(self, text: str) -> None:
        self.lines.append(f"  {text}")

    def check(self, description: str, ok: bool) -> bool:
        self.checks.append((description, ok))
        self.say(f"{'ok  ' if ok else 'FAIL'} {description}")
        return ok

    def track(self, label: str, created: dict[str, Any], api_key: str, expected: str) -> str:
        rma = str(created["rma"])
        self.tracked.append(Tracked(label, rma, api_key, expected))
        return rma

    @property
    def passed(self) -> bool:
        return (
            self.error is None
            and all(ok for _, ok in self.checks)
            and bool(self.tracked)
            and all(t.final is not None and t.final["status"] == t.expected for t in self.tracked)
        )

    # -- the storefront's side --

    def order(
        self, suffix: str, price: str, *, category: str = "apparel", api_key: str = DEMO_API_KEY
    ) -> dict[str, Any]:
        """A fresh one-line US order, as a storefront server POSTs it (a new customer each time, so
        no earlier demo run makes them a frequent returner)."""
        now = datetime.now(UTC)
        order_id = f"demo-{self.run_id}-{self.number}{suffix}"

        def at(days: int) -> str:
            return (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")

        order = {
            "order_id": order_id,
            "order_number": f"#{order_id}",
            "customer": {"email": f"{order_id}@example.com", "country": "US"},
            "currency": "USD",
            "ordered_at": at(5),
            "payment_reference": f"pi_demo_{self.run_id}_{self.number}{suffix}",
            "lines": [
                {
                    "line_id": f"{order_id}-1",
                    "sku": f"SKU-{category.upper()}-{price.replace('.', '')}",
                    "title": f"{category.title()} item, USD {price}",
                    "category": category,
                    "quantity": 1,
                    "unit_price": {"amount": price, "currency": "USD"},
                    "delivered_at": at(2),
                }
            ],
        }
        saved = self.api.call("POST", "/v1/orders", order, _key(api_key), expect=(200, 201))
        self.say(f"storefront: order {saved['order_id']} imported, total {_money(saved['total'])}")
        return order

    def request_return(
        self,
        order: dict[str, Any],
        reason: str,
        resolution: str,
        *,
        headers: dict[str, str],
        note: str | None = None,
    ) -> dict[str, Any]:
        line = order["lines"][0]
        item: dict[str, Any] = {"line_id": line["line_id"], "quantity": 1, "reason": reason}
        if note:
            item["note"] = note
        body = {"order_id": order["order_id"], "items": [item], "resolution": resolution}
        created: dict[str, Any] = self.api.call(
            "POST", "/v1/returns", body, {**headers, "Idempotency-Key": f"{order['order_id']}-return"}
        )
        decision = created["decision"]
        self.say(
            f"storefront: return {created['rma']} requested ({reason}, {resolution}, "
            f"{_money(created['amount'])}) -> {created['status']}; hub {created['hub']['hub_id']}"
        )
        for rule in decision["rules"]:
            self.say(f"            rule {rule['rule_id']}: {rule['message']}")
        return created

    # -- watching a return --

    def wait(
        self,
        what: str,
        fetch: Callable[[], dict[str, Any]],
        done: Callable[[dict[str, Any]], bool],
        timeout: float = STEP_TIMEOUT,
        target: str | None = None,
    ) -> dict[str, Any]:
        """Poll `fetch` until `done`; fail after `timeout` s, or at once if the return ends in a
        final status other than `target`."""
        started = time.monotonic()
        deadline = started + timeout
        while True:
            current = fetch()
            if done(current):
                self.say(f"... {what} ({time.monotonic() - started:.1f} s)")
                return current
            if current.get("status") in TERMINAL and current.get("status") != target:
                raise JourneyFailed(f"waiting for {what}: the return ended in '{current['status']}'")
            if time.monotonic() >= deadline:
                raise JourneyFailed(
                    f"waited {timeout:.0f} s for {what}; the return is still '{current.get('status')}'"
                    + (f", waiting for {current['waiting_for']}" if current.get("waiting_for") else "")
                )
            if stopping.wait(POLL):
                raise JourneyFailed("stopped")

    def storefront_view(self, rma: str, api_key: str = DEMO_API_KEY) -> Callable[[], dict[str, Any]]:
        return lambda: dict(self.api.call("GET", f"/v1/returns/{rma}", headers=_key(api_key)))

    def staff_view(self, rma: str, username: str = "support") -> Callable[[], dict[str, Any]]:
        return lambda: dict(
            self.api.call("GET", f"/admin/v1/returns/{rma}", headers=self.api.staff(username))
        )

    def wait_status(
        self,
        rma: str,
        status: str,
        *,
        api_key: str = DEMO_API_KEY,
        event: str | None = None,
        timeout: float = STEP_TIMEOUT,
    ) -> dict[str, Any]:
        """Until the storefront sees `status` (and, if given, `event` on the timeline)."""

        def done(ret: dict[str, Any]) -> bool:
            events = {e["event"] for e in ret.get("timeline") or []}
            return bool(ret["status"] == status and (event is None or event in events))

        what = f"status {status}" + (f" and {event}" if event else "")
        return self.wait(what, self.storefront_view(rma, api_key), done, timeout, target=status)

    def wait_label(self, rma: str, api_key: str = DEMO_API_KEY) -> dict[str, Any]:
        """Until the label is issued and the customer has it: only then can they ship the parcel."""
        return self.wait_status(rma, "label_issued", api_key=api_key, event="customer.notified.label_issued")

    def wait_refund_requested(self, rma: str) -> dict[str, Any]:
        """Until the refund is asked of the payment provider: only then can its settlement come."""
        return self.wait(
            "refund_pending, refund asked of the payment provider (finance's view)",
            self.staff_view(rma, "finance"),
            lambda r: r["status"] == "refund_pending" and r.get("refund") is not None,
        )

    # -- news from staff, carriers and payments --

    def carrier(self, rma: str, status: str) -> None:
        answer = self.api.call("POST", "/local/simulate/carrier", {"rma": rma, "status": status})
        self.say(f"carrier (simulated webhook): {status} -> {answer['status']}")
        if answer["status"] != status:
            raise JourneyFailed(
                f"the carrier's '{status}' did not move the return (it is '{answer['status']}')"
            )

    def payment(self, rma: str, outcome: str, failure_reason: str | None = None) -> None:
        body: dict[str, Any] = {"rma": rma, "outcome": outcome}
        if failure_reason:
            body["failure_reason"] = failure_reason
        answer = self.api.call("POST", "/local/simulate/payment", body)
        self.say(f"payments (simulated webhook): refund {outcome} -> {answer['status']}")
        want = "refunded" if outcome == "succeeded" else "refund_failed"
        if answer["status"] != want:
            raise JourneyFailed(f"the payment news '{outcome}' left the return in '{answer['status']}'")

    def approve(self, rma: str, note: str) -> None:
        staff = self.api.call(
            "POST", f"/admin/v1/returns/{rma}/approve", {"note": note}, self.api.staff("support")
        )
        self.say(f"support (staff API): approved -> {staff['status']}")

    def reject(self, rma: str, reason: str) -> None:
        staff = self.api.call(
            "POST", f"/admin/v1/returns/{rma}/reject", {"reason": reason}, self.api.staff("support")
        )
        self.say(f"support (staff API): rejected ({reason}) -> {staff['status']}")

    def find_in_queue(self, rma: str, status: str, shop: str = DEMO_SHOP) -> None:
        """Support finds the return in its queue, as the console lists it."""
        cursor: str | None = None
        for _ in range(20):  # bounded: 20 pages of 100
            query = f"/admin/v1/returns?shop={shop}&status={status}&limit=100"
            if cursor:
                query += "&cursor=" + urllib.parse.quote(cursor, safe="")
            page = self.api.call("GET", query, headers=self.api.staff("support"))
            if any(item["rma"] == rma for item in page["items"]):
                self.say(f"support (staff API): found {rma} in the {status} queue")
                return
            cursor = page.get("next_cursor")
            if not cursor:
                break
        self.check(f"{rma} is in the {status} queue", False)

    def wait_system_ticket(self, rma: str, group: str, shop: str = DEMO_SHOP) -> dict[str, Any]:
        """The ticket the system opened for the return (from a domain event on the bus), as the
        group's open queue lists it."""

        def fetch() -> dict[str, Any]:
            query = f"/admin/v1/tickets?shop={shop}&group={group}&status=open&limit=100"
            page = self.api.call("GET", query, headers=self.api.staff(group))
            found = [t for t in page["items"] if t.get("rma") == rma]
            return found[0] if found else {}

        ticket = self.wait(f"a system ticket for {rma} in the {group} queue", fetch, bool)
        self.say(f"{group} (staff API): ticket {ticket['ticket_id']}: {ticket['subject']}")
        return ticket

    def scan(self, rma: str, hub: str) -> None:
        staff = self.api.call(
            "POST", "/admin/v1/warehouse/scans", {"code": rma, "hub": hub}, self.api.staff("warehouse")
        )
        self.say(f"warehouse (staff API): scanned {rma} at {hub} -> {staff['status']}")

    def inspect(self, rma: str, line_id: str, grade: str, notes: str) -> dict[str, Any]:
        body = {"items": [{"line_id": line_id, "grade": grade, "notes": notes}]}
        staff: dict[str, Any] = self.api.call(
            "POST", f"/admin/v1/returns/{rma}/inspection", body, self.api.staff("warehouse")
        )
        total = staff["inspection"]["refund_total"] if staff.get("inspection") else None
        self.say(
            f"warehouse (staff API): inspected {grade} -> {staff['status']}, "
            f"refund allowed {_money(total) if total else '?'}"
        )
        return staff


def _money(m: dict[str, Any]) -> str:
    return f"{m['currency']} {m['amount']}"


def _events(ret: dict[str, Any]) -> list[str]:
    return [e["event"] for e in ret.get("timeline") or []]


# --- the journeys -----------------------------------------------------------------------------------


def auto_approved_and_refunded(j: Journey) -> None:
    """A $20 size return: approved at once; the default policy refunds it on carrier delivery."""
    order = j.order("", "20.00")
    # The customer goes through the returns portal: a session for their order, then the return.
    session = j.api.call(
        "POST",
        "/v1/sessions",
        {"shop": DEMO_SHOP, "order_number": order["order_number"], "email": order["customer"]["email"]},
    )
    bearer = {"Authorization": f"Bearer {session['token']}"}
    eligibility = j.api.call("GET", f"/v1/orders/{order['order_id']}/eligibility", headers=bearer)
    line = eligibility["lines"][0]
    j.say(
        f"customer (portal session): line returnable x{line['returnable_quantity']} "
        f"until {line['deadline']}, eligible={line['eligible']}"
    )
    created = j.request_return(order, "size_too_large", "refund", headers=bearer)
    rma = j.track("size return, refund on delivery", created, DEMO_API_KEY, "closed")
    j.check("approved at once by the policy", created["status"] == "approved")
    j.wait_label(rma)
    j.carrier(rma, "in_transit")
    j.carrier(rma, "delivered")
    j.wait_refund_requested(rma)
    j.payment(rma, "succeeded")
    final = j.wait_status(rma, "closed")
    events = _events(final)
    j.check("timeline has refund.succeeded", "refund.succeeded" in events)
    told = [e.removeprefix("customer.notified.") for e in events if e.startswith("customer.notified.")]
    j.check(
        f"the customer was told of the label and the refund (told: {', '.join(told) or 'nothing'})",
        {"label_issued", "refunded"} <= set(told),
    )
    j.check("no inspection: refunded on delivery", "return.received" not in events)


def reviewed(j: Journey) -> None:
    """$40 'defective': no rule approves it, so a person reviews it. One approved, one rejected."""
    order = j.order("a", "40.00")
    created = j.request_return(order, "defective", "refund", headers=_key(DEMO_API_KEY), note="Seam split")
    rma = j.track("defective, approved by support", created, DEMO_API_KEY, "closed")
    j.check("goes to review", created["status"] == "pending_review")
    j.wait("the workflow waits for review", j.staff_view(rma), lambda r: r.get("waiting_for") == "review")
    j.find_in_queue(rma, "pending_review")
    j.approve(rma, "photos show a manufacturing fault")
    j.wait_label(rma)
    j.carrier(rma, "in_transit")
    j.carrier(rma, "delivered")
    j.wait(
        "the workflow waits for inspection", j.staff_view(rma), lambda r: r.get("waiting_for") == "inspection"
    )
    j.scan(rma, created["hub"]["hub_id"])
    j.inspect(rma, order["lines"][0]["line_id"], "resellable", "fault confirmed, item otherwise as new")
    refunding = j.wait_refund_requested(rma)
    j.check(
        f"refund after inspection: {_money(refunding['refund']['amount'])}",
        refunding["refund"]["amount"]["amount"] == "40.00",
    )
    j.payment(rma, "succeeded")
    final = j.wait_status(rma, "closed")
    approved_by = [e["actor"] for e in final["timeline"] if e["event"] == "return.approved"]
    j.check(f"who approved is recorded ({', '.join(approved_by)})", any("support" in a for a in approved_by))

    order = j.order("b", "40.00")
    created = j.request_return(
        order, "defective", "refund", headers=_key(DEMO_API_KEY), note="Stopped working"
    )
    rma = j.track("defective, rejected by support", created, DEMO_API_KEY, "rejected")
    j.check("goes to review", created["status"] == "pending_review")
    j.wait("the workflow waits for review", j.staff_view(rma), lambda r: r.get("waiting_for") == "review")
    j.reject(rma, "Water damage: not covered by the returns policy.")
    final = j.wait_status(rma, "rejected", event="customer.notified.rejected")
    j.check("the reason is on the timeline", any("Water damage" in e["message"] for e in final["timeline"]))


def evidence(j: Journey) -> None:
    """A $180 order: an unboxing video first, uploaded through the presigned POST and watched by
    support before approving (local/demo_evidence.py). Store credit after a needs_repair grade."""
    order = j.order("", "180.00")
    created = j.request_return(order, "not_as_described", "store_credit", headers=_key(DEMO_API_KEY))
    rma = j.track("$180, evidence first, store credit", created, DEMO_API_KEY, "closed")
    j.check(
        "evidence required before approval",
        created["status"] == "awaiting_evidence" and created["evidence_required"] is True,
    )
    j.wait("the workflow waits for evidence", j.staff_view(rma), lambda r: r.get("waiting_for") == "evidence")
    upload_unboxing_video(j, rma, DEMO_API_KEY)
    j.approve(rma, "unboxing video checked")
    j.wait_label(rma)
    j.carrier(rma, "delivered")
    j.scan(rma, created["hub"]["hub_id"])
    attach_inspection_photo(j, rma)
    inspected = j.inspect(rma, order["lines"][0]["line_id"], "needs_repair", "zip needs replacing")
    j.check(
        "needs_repair allows half the amount",
        inspected["inspection"]["refund_total"]["amount"] == "90.00",
    )
    j.wait_status(rma, "closed")
    final = j.staff_view(rma)()
    refund = final.get("refund") or {}
    j.check(
        f"store credit issued at once: {refund.get('method')} {_money(refund['amount']) if refund else '-'} "
        f"{refund.get('status')}",
        refund.get("method") == "store_credit"
        and refund.get("status") == "succeeded"
        and refund["amount"]["amount"] == "90.00",
    )
    j.check("credited, never paid out by card", "return.credited" in _events(final))


def scrap(j: Journey) -> None:
    """A $40 size return: approved at once, but over $25 it is refunded only after inspection;
    the warehouse grades it scrap, so nothing is refunded and the return closes."""
    order = j.order("", "40.00")
    created = j.request_return(order, "size_too_small", "refund", headers=_key(DEMO_API_KEY))
    rma = j.track("size return graded scrap", created, DEMO_API_KEY, "closed")
    j.check("approved at once by the policy", created["status"] == "approved")
    j.check(
        "no refund on delivery (over USD 25)",
        not any(r["rule_id"] == "refund_on_delivery" for r in created["decision"]["rules"]),
    )
    j.wait_label(rma)
    j.carrier(rma, "in_transit")
    j.carrier(rma, "delivered")
    j.wait(
        "the workflow waits for inspection", j.staff_view(rma), lambda r: r.get("waiting_for") == "inspection"
    )
    j.scan(rma.replace("-", "").lower(), created["hub"]["hub_id"])  # typed without hyphens
    j.inspect(rma, order["lines"][0]["line_id"], "scrap", "worn and torn")
    j.wait_status(rma, "closed")
    final = j.staff_view(rma, "finance")()
    inspection = final.get("inspection") or {}
    total = inspection.get("refund_total") or {}
    j.check(f"inspection refund total {total.get('amount')}", total.get("amount") == "0.00")
    j.check("no refund asked of the payment provider", final.get("refund") is None)
    j.check("never refund_pending", "return.refund_pending" not in _events(final))


def expiry(j: Journey) -> None:
    """The hurried demo shop's labels are valid 5 seconds: a label never used expires."""
    order = j.order("", "20.00", api_key=HURRIED_API_KEY)
    created = j.request_return(order, "size_too_large", "refund", headers=_key(HURRIED_API_KEY))
    rma = j.track(f"never shipped ({HURRIED_SHOP})", created, HURRIED_API_KEY, "expired")
    j.wait_label(rma, HURRIED_API_KEY)
    j.say("customer never ships it; the label is valid 5 seconds in this shop's policy")
    final = j.wait_status(
        rma, "expired", api_key=HURRIED_API_KEY, event="customer.notified.expired", timeout=EXPIRY_TIMEOUT
    )
    j.check(
        "expired by the workflow",
        any(e["event"] == "return.expired" and e["actor"] == "workflow" for e in final["timeline"]),
    )


def cancelled(j: Journey) -> None:
    """The customer changes their mind before shipping: the quantity is returnable again."""
    order = j.order("", "20.00")
    created = j.request_return(order, "size_too_small", "exchange", headers=_key(DEMO_API_KEY))
    rma = j.track("cancelled before shipping", created, DEMO_API_KEY, "cancelled")
    j.wait_label(rma)
    answer = j.api.call("POST", f"/v1/returns/{rma}/cancel", None, _key(DEMO_API_KEY))
    j.say(f"storefront: cancel -> {answer['status']}")
    j.wait_status(rma, "cancelled", event="customer.notified.cancelled")
    eligibility = j.api.call("GET", f"/v1/orders/{order['order_id']}/eligibility", headers=_key(DEMO_API_KEY))
    j.check("the item is returnable again", eligibility["lines"][0]["returnable_quantity"] == 1)
    late = j.api.call("POST", "/local/simulate/carrier", {"rma": rma, "status": "in_transit"}, expect=(200,))
    j.check("a late carrier scan does not move it", late["status"] == "cancelled")


def refund_failed(j: Journey) -> None:
    """The card refund fails: the customer is told the options, finance gets a ticket and the return
    waits for finance's recovery (paying it another way: the Stripe journeys)."""
    order = j.order("", "20.00")
    created = j.request_return(order, "size_too_small", "refund", headers=_key(DEMO_API_KEY))
    rma = j.track("card refund fails", created, DEMO_API_KEY, "refund_failed")
    j.wait_label(rma)
    j.carrier(rma, "delivered")
    j.wait_refund_requested(rma)
    j.payment(rma, "failed", "expired_or_canceled_card")
    j.wait_status(rma, "refund_failed", event="customer.notified.refund_failed")
    final = j.wait(
        "the workflow waits for finance's retry",
        j.staff_view(rma, "finance"),
        lambda r: r.get("waiting_for") == "refund_retry",
    )
    refund = final.get("refund") or {}
    j.check(
        f"the failure is recorded: {refund.get('status')} ({refund.get('failure_reason')})",
        refund.get("status") == "failed" and refund.get("failure_reason") == "expired_or_canceled_card",
    )
    ticket = j.wait_system_ticket(rma, "finance")
    j.check("finance's ticket is about the refund", ticket.get("category") == "refund_status")


JOURNEYS: list[tuple[str, Callable[[Journey], None]]] = [
    ("auto-approved and refunded on delivery", auto_approved_and_refunded),
    ("reviewed: approved and rejected by support", reviewed),
    ("evidence first ($180 order)", evidence),
    ("inspection with a scrap grade", scrap),
    ("expiry: a label never used", expiry),
    ("cancelled by the customer", cancelled),
    ("refund failed", refund_failed),
    ("labels and carrier webhooks: EasyPost, US -> New Jersey", demo_carriers.easypost_us),
    ("labels and carrier webhooks: AfterShip, Germany -> Poland", demo_carriers.aftership_eu),
    ("labels and carrier webhooks: 17TRACK exception, GB -> origin", demo_carriers.seventeen_track_exception),
    ("events out: an ERP's webhook receives every event", demo_events.erp_webhook),
    ("Shopify order in, emails out (German customer)", shopify_orders_and_emails),
    ("ticket: where is my refund? (German)", refund_question_in_german),
    *STRIPE_JOURNEYS,
]
SLOW = {"expiry"}  # run alongside the others: most of its time is the label's validity


def run_journey(api: Api, run_id: str, number: int, title: str, walk: Callable[[Journey], None]) -> Journey:
    j = Journey(number, title, api, run_id)
    started = time.monotonic()
    try:
        walk(j)
    except JourneyFailed as exc:
        j.error = str(exc)
        j.say(f"FAIL {exc}")
    except Exception as exc:  # a bug in the demo or an odd answer: report it, go on with the others
        j.error = f"{type(exc).__name__}: {exc}"
        j.say(f"FAIL {j.error}")
        j.lines.extend("  " + line for line in traceback.format_exc().rstrip().splitlines())
    for tracked in j.tracked:  # where each return really ended, whatever happened above
        try:
            tracked.final = j.staff_view(tracked.rma)()
        except JourneyFailed as exc:
            j.say(f"FAIL could not read {tracked.rma} back: {exc}")
    j.seconds = time.monotonic() - started
    return j


# --- output ---------------------------------------------------------------------------------------


def timeline_table(ret: dict[str, Any]) -> list[str]:
    header = ("time", "status", "event", "actor", "message")
    rows = [
        (e["at"].replace("T", " ").removesuffix("Z"), e["status"], e["event"], e["actor"], e["message"])
        for e in ret.get("timeline") or []
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]

    def fmt(row: tuple[str, ...]) -> str:
        return "    " + "  ".join(v.ljust(w) for v, w in zip(row[:4], widths, strict=True)) + "  " + row[4]

    return [fmt(header), fmt((*("-" * w for w in widths), "-" * 7)), *(fmt(r) for r in rows)]


def report(j: Journey) -> list[str]:
    out = [f"== {j.number}. {j.title} " + "=" * max(0, 70 - len(j.title)), *j.lines]
    for t in j.tracked:
        status = t.final["status"] if t.final else "?"
        out.append("")
        out.append(f"  {t.rma}  {t.label}: {status} (expected {t.expected})")
        if t.final:
            out.extend(timeline_table(t.final))
    out.append("")
    return out


def summary(j: Journey) -> str:
    expected = ", ".join(t.expected for t in j.tracked) or "-"
    actual = ", ".join((t.final or {}).get("status", "?") for t in j.tracked) or "-"
    why = ""
    if not j.passed:
        failed = [d for d, ok in j.checks if not ok]
        why = f"  ({j.error.splitlines()[0] if j.error else '; '.join(failed)})" if j.error or failed else ""
    verdict = "PASS" if j.passed else "FAIL"
    return f"{verdict}  {j.number}. {j.title}: expected {expected}, got {actual}  [{j.seconds:.1f} s]{why}"


def run_all(base: str) -> bool:
    api = Api(base)
    run_id = datetime.now(UTC).strftime("%H%M%S") + uuid.uuid4().hex[:4]
    print(f"Boomerang demo on {base} (run {run_id})\n", flush=True)
    api.staff("support")  # fail early and clearly if the stack is not there
    watch = demo_events.EventWatch(api).start()  # lists the events each journey published
    numbered = [(n, title, walk) for n, (title, walk) in enumerate(JOURNEYS, start=1)]
    done: list[Journey] = []
    # The slow journeys (mostly waiting for a timeout) run beside the others, which run in order
    # here. The local front serves one request at a time, so more lanes would only queue.
    with ThreadPoolExecutor(max_workers=len(SLOW), thread_name_prefix="journey") as pool:
        try:
            beside: dict[int, Future[Journey]] = {
                n: pool.submit(run_journey, api, run_id, n, title, walk)
                for n, title, walk in numbered
                if walk.__name__ in SLOW
            }
            for n, title, walk in numbered:
                journey = beside[n].result() if n in beside else run_journey(api, run_id, n, title, walk)
                print("\n".join(report(journey) + watch.lines(journey)), flush=True)
                done.append(journey)
        finally:
            stopping.set()  # on the way out (also on Ctrl-C) the other lane stops waiting
            watch.stop()
    print("Summary", flush=True)
    for journey in done:
        print("  " + summary(journey), flush=True)
    passed = len(done) == len(JOURNEYS) and all(j.passed for j in done)
    failed = sum(not j.passed for j in done) + len(JOURNEYS) - len(done)
    print(
        f"\n{'All' if passed else 'Not all'} {len(JOURNEYS)} journeys ended where they should"
        + ("." if passed else f": {failed} failed."),
        flush=True,
    )
    return passed


# --- the stack, when the demo starts its own ----------------------------------------------------


def _die_with_parent() -> None:
    """In the child, before exec: end the stack if the demo dies (e.g. killed by a test timeout)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class OwnStack:
    """`python -m local` on a free port, stopped with SIGTERM (as a supervisor would) at the end."""

    def __init__(self) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[str] | None = None
        self.stdout: deque[str] = deque(maxlen=200)
        self.stderr: deque[str] = deque(maxlen=200)
        self.ready = threading.Event()

    def _drain(self, stream: Any, into: deque[str], watch: bool) -> None:
        for line in stream:
            into.append(line.rstrip("\n"))
            if watch and line.startswith("Ready in"):
                self.ready.set()

    def start(self) -> None:
        env = {**os.environ, "PORT": str(self.port), "PYTHONUNBUFFERED": "1"}
        for name in list(env):
            if name in OWN_ENVIRONMENT or name.startswith("AWS_ENDPOINT_URL"):
                env.pop(name)
        print(f"Starting the local stack on {self.base} (python -m local) ...", flush=True)
        started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "local"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # Its own session: Ctrl-C reaches the demo only, which then stops the stack once.
            start_new_session=True,
            preexec_fn=_die_with_parent,  # before any thread of ours starts
        )
        for stream, into, watch in (
            (self.process.stdout, self.stdout, True),
            (self.process.stderr, self.stderr, False),
        ):
            threading.Thread(target=self._drain, args=(stream, into, watch), daemon=True).start()
        deadline = started + START_TIMEOUT
        while not self.ready.wait(0.2):
            if self.process.poll() is not None:
                self._failed(f"it exited with code {self.process.returncode} before it was ready")
            if time.monotonic() > deadline:
                self._failed(f"it was not ready within {START_TIMEOUT:.0f} s")
            if stopping.is_set():
                raise KeyboardInterrupt
        print(f"Stack ready in {time.monotonic() - started:.1f} s.\n", flush=True)

    def _failed(self, why: str) -> None:
        time.sleep(0.3)  # let the readers take the last lines
        tail = "\n".join(list(self.stderr)[-40:]) or "(nothing on stderr)"
        out = "\n".join(list(self.stdout)[-10:]) or "(nothing on stdout)"
        sys.stderr.write(
            f"make demo: the local stack did not start: {why}.\n--- its stdout (tail) ---\n{out}\n"
            f"--- its stderr (tail) ---\n{tail}\n"
        )
        raise SystemExit(1)

    def stop(self) -> bool:
        """SIGTERM, then (after 30 s) SIGKILL; False if it was not running."""
        if self.process is None or self.process.poll() is not None:
            return False
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        return True

    def stderr_tail(self, lines: int = 30) -> str:
        return "\n".join(list(self.stderr)[-lines:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--base",
        default=os.environ.get("DEMO_BASE_URL"),
        help="a running stack (make local), e.g. http://127.0.0.1:3000; default: start one",
    )
    args = parser.parse_args(argv)

    def _terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    started = time.monotonic()
    stack: OwnStack | None = None
    passed = False
    try:
        if args.base:
            base = str(args.base)
        else:
            stack = OwnStack()
            stack.start()
            base = stack.base
        try:
            passed = run_all(base)
        except JourneyFailed as exc:
            print(f"make demo: {exc}", file=sys.stderr, flush=True)
        if not passed and stack is not None:
            print(f"\n--- the stack's stderr (tail) ---\n{stack.stderr_tail()}", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        stopping.set()
        print("\nmake demo: interrupted.", file=sys.stderr, flush=True)
        passed = False
    finally:
        stopping.set()
        if stack is not None and stack.stop():
            print("Local stack stopped.", flush=True)
    print(f"Demo took {time.monotonic() - started:.1f} s.", flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
