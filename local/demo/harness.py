"""The demo's harness: JSON over HTTP to the stack (Api) and a journey's narration, checks and
waits (Journey). A journey is a function of a Journey; local/demo/journeys.py lists them."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from local.cognito import PASSWORD
from local.demo.data import DEMO_API_KEY, DEMO_SHOP, address_in

STEP_TIMEOUT = 30.0  # seconds any one step may take
POLL = 0.2
HTTP_TIMEOUT = 30.0
# What a return's status can no longer leave.
TERMINAL = frozenset({"closed", "rejected", "cancelled", "expired"})

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
            # A journey about returns ends with its returns where they should be; one without a
            # return (outbound parcels) is judged by its checks.
            and (bool(self.tracked) or bool(self.checks))
            and all(t.final is not None and t.final["status"] == t.expected for t in self.tracked)
        )

    # -- the storefront's side --

    def order(
        self,
        suffix: str,
        price: str,
        *,
        category: str = "apparel",
        api_key: str = DEMO_API_KEY,
        payment_reference: str | None = "",
    ) -> dict[str, Any]:
        """A fresh one-line US order, as a storefront server POSTs it (a new customer each time, so
        no earlier demo run makes them a frequent returner), paid by a Stripe PaymentIntent unless
        `payment_reference` says otherwise (None: the storefront sent none)."""
        now = datetime.now(UTC)
        order_id = f"demo-{self.run_id}-{self.number}{suffix}"

        def at(days: int) -> str:
            return (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")

        order = {
            "order_id": order_id,
            "order_number": f"#{order_id}",
            "customer": {"email": f"{order_id}@example.com", "country": "US"},
            "shipping_address": address_in("US"),
            "currency": "USD",
            "ordered_at": at(5),
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
        if payment_reference == "":
            order["payment_reference"] = f"pi_demo{self.run_id}x{self.number}{suffix}"
        elif payment_reference is not None:
            order["payment_reference"] = payment_reference
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
