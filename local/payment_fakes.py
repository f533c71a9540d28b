"""The payment providers on this machine: one HTTP server on loopback that answers Stripe's, Shopify's
and PayPal's requests with their recorded replies (tests/data/{stripe,shopify,paypal}, each folder's
README says where they come from), so the local stack's functions pay through the real SDKs and
adapters, unchanged, with PAYMENT_ENDPOINTS pointing them here (boomerang.payments.factory).

Each reply is the recorded one with what the request decides filled in (amount, currency, the
target, ids derived from the idempotency key), and a repeated idempotency key gets the first
answer, as each provider promises. Every request is kept (`calls`, or GET /_calls over HTTP): the
race test counts provider calls per attempt from it.

    Stripe   POST /v1/refunds                                   (form; Idempotency-Key)
    Shopify  POST /admin/api/<version>/graphql.json             the order query, refundCreate
    PayPal   POST /v1/oauth2/token, /v2/payments/captures/<id>/refund (PayPal-Request-Id),
             POST /v1/payments/payouts (sender_batch_id)

A Shopify order answers as a single sale of `SHOPIFY_SALE` in USD unless registered otherwise
(`shopify_orders[gid] = (amount, currency)`): enough for any demo refund.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import yaml

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
SHOPIFY_SALE = ("1000.00", "USD")
ORIGINAL_HOST = "X-Boomerang-Original-Host"  # boomerang.payments.factory.ORIGINAL_HOST


def _recorded(provider: str, cassette: str, n: int) -> dict[str, Any]:
    interactions = yaml.safe_load((DATA / provider / f"{cassette}.yaml").read_text())["interactions"]
    body: dict[str, Any] = json.loads(interactions[n]["response"]["body"]["string"])
    return body


def _id(prefix: str, key: str, size: int = 17, upper: bool = False) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:size]
    return prefix + (digest.upper() if upper else digest)


def _number(text: str) -> str:
    return str(int(hashlib.sha256(text.encode()).hexdigest()[:8], 16))


@dataclass
class Call:
    provider: str
    path: str
    key: str | None  # the idempotency key the request carried (None: token requests, reads)


@dataclass
class PaymentFakes:
    host: str = "127.0.0.1"
    port: int = 0
    calls: list[Call] = field(default_factory=list)
    shopify_orders: dict[str, tuple[str, str]] = field(default_factory=dict)
    _answers: dict[tuple[str, str], tuple[int, dict[str, Any]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def endpoints(self) -> str:
        """The PAYMENT_ENDPOINTS value that sends every provider here."""
        return json.dumps({"stripe": self.url, "shopify": self.url, "paypal": self.url})

    def start(self) -> PaymentFakes:
        fakes = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.path == "/_calls":
                    with fakes._lock:
                        calls = [c.__dict__ for c in fakes.calls]
                    return self._send(200, {"calls": calls})
                self._send(404, {"error": "not recorded"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                status, body = fakes.answer(self.path.split("?")[0], dict(self.headers.items()), raw)
                self._send(status, body)

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", "req_local")
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True, name="payment-fakes").start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def calls_route(self, body: dict[str, Any]) -> tuple[int, Any]:
        """POST /local/payments {"key_contains": "<rma>"}: the requests the fakes received whose
        idempotency key names it (the demo shows which provider was asked, and how often)."""
        needle = str((body or {}).get("key_contains") or "")
        with self._lock:
            calls = [c.__dict__ for c in self.calls if c.key and needle in c.key]
        return 200, {"calls": calls}

    def shopify_order_route(self, body: dict[str, Any]) -> tuple[int, Any]:
        """POST /local/payments/shopify-order {"id": "gid://shopify/Order/...", "currency": "EUR",
        "amount": "1000.00"?}: what Shopify would answer for the order's sale (a demo's Shopify order
        in another currency than USD)."""
        gid = str((body or {}).get("id") or "")
        currency = str((body or {}).get("currency") or SHOPIFY_SALE[1])
        amount = str((body or {}).get("amount") or SHOPIFY_SALE[0])
        if not gid.startswith("gid://shopify/Order/"):
            return 400, {"error": {"code": "validation_failed", "message": "id: a Shopify order gid"}}
        with self._lock:
            self.shopify_orders[gid] = (amount, currency)
        return 200, {"id": gid, "amount": amount, "currency": currency}

    # --- the providers --------------------------------------------------------------------------

    def answer(self, path: str, headers: dict[str, str], raw: str) -> tuple[int, dict[str, Any]]:
        lower = {k.lower(): v for k, v in headers.items()}
        if path == "/v1/refunds":
            return self._once("stripe", path, lower.get("idempotency-key"), lambda: self._stripe_refund(raw))
        if path.startswith("/admin/api/") and path.endswith("/graphql.json"):
            return self._shopify(path, json.loads(raw or "{}"))
        if path == "/v1/oauth2/token":
            self._keep("paypal", path, None)
            return 200, _recorded("paypal", "capture_refund", 0)
        if path.startswith("/v2/payments/captures/") and path.endswith("/refund"):
            capture = path.split("/")[4]
            return self._once(
                "paypal", path, lower.get("paypal-request-id"), lambda: self._paypal_refund(capture, raw)
            )
        if path == "/v1/payments/payouts":
            body = json.loads(raw or "{}")
            key = str((body.get("sender_batch_header") or {}).get("sender_batch_id") or "")
            return self._once("paypal", path, key or None, lambda: self._paypal_payout(body))
        return 404, {"error": f"no recorded reply for POST {path}"}

    def _keep(self, provider: str, path: str, key: str | None) -> None:
        with self._lock:
            self.calls.append(Call(provider, path, key))

    def _once(self, provider: str, path: str, key: str | None, make: Any) -> tuple[int, dict[str, Any]]:
        """Every request is kept; a repeated key is answered as the first time (the providers'
        idempotency), without making anything again."""
        self._keep(provider, path, key)
        if key is None:
            answer: tuple[int, dict[str, Any]] = make()
            return answer
        with self._lock:
            if (path, key) not in self._answers:
                self._answers[(path, key)] = make()
            return self._answers[(path, key)]

    @staticmethod
    def _stripe_refund(raw: str) -> tuple[int, dict[str, Any]]:
        form = {k: v[0] for k, v in parse_qs(raw).items()}
        fixtures = json.loads((DATA / "stripe" / "fixtures3_subset.json").read_text())
        refund = copy.deepcopy(fixtures["refund"])
        metadata = {k[len("metadata[") : -1]: v for k, v in form.items() if k.startswith("metadata[")}
        key = metadata.get("idempotency_key", form.get("payment_intent") or form.get("charge") or "")
        refund.update(
            id=_id("re_local", key, 20),
            amount=int(form["amount"]),
            currency=metadata.get("currency", "usd").lower(),
            charge=form.get("charge") or _id("ch_local", key, 20),
            payment_intent=form.get("payment_intent"),
            metadata=metadata,
            reason=form.get("reason"),
            status="pending",
        )
        return 200, refund

    def _shopify(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        variables = body.get("variables") or {}
        if "refundCreate" in str(body.get("query")):
            note = str((variables.get("input") or {}).get("note") or "")
            key = variables.get("idempotencyKey") or note
            return self._once("shopify", path, key, lambda: self._shopify_refund(variables))
        self._keep("shopify", path, None)
        answer = _recorded("shopify", "refund_create", 0)
        order = answer["data"]["order"]
        gid = str(variables.get("id"))
        amount, currency = self.shopify_orders.get(gid, SHOPIFY_SALE)
        order["id"] = gid
        order["presentmentCurrencyCode"] = currency
        sale = order["transactions"][0]
        sale["id"] = "gid://shopify/OrderTransaction/" + _number(gid)
        sale["amountSet"]["presentmentMoney"] = {"amount": amount, "currencyCode": currency}
        with self._lock:
            order["refunds"] = [copy.deepcopy(r) for (p, _), (_, r) in self._answers.items()
                                if p == "shopify-refunds" and r.get("order") == gid]  # fmt: skip
        for refund in order["refunds"]:
            refund.pop("order", None)
        return 200, answer

    def _shopify_refund(self, variables: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        given = variables.get("input") or {}
        lines = given.get("transactions") or []
        total = sum((Decimal(str(t.get("amount") or "0")) for t in lines), Decimal(0))
        gid = str(given.get("orderId"))
        amount_currency = self.shopify_orders.get(gid, SHOPIFY_SALE)[1]
        answer = _recorded("shopify", "refund_create", 1)
        refund = answer["data"]["refundCreate"]["refund"]
        key = str(given.get("note"))
        refund["id"] = "gid://shopify/Refund/" + _number(key)
        refund["note"] = given.get("note")
        refund["totalRefundedSet"]["presentmentMoney"] = {
            "amount": str(total),
            "currencyCode": amount_currency,
        }
        # The order's refunds list shows it from now on (the adapter's claim by note reads it).
        self._answers[("shopify-refunds", refund["id"])] = (200, {**copy.deepcopy(refund), "order": gid})
        return 200, answer

    @staticmethod
    def _paypal_refund(capture: str, raw: str) -> tuple[int, dict[str, Any]]:
        body = json.loads(raw or "{}")
        answer = _recorded("paypal", "capture_refund", 1)
        answer["id"] = _id("", f"{capture}:{body.get('custom_id')}", 17, upper=True)
        answer["amount"] = body.get("amount") or answer["amount"]
        answer["invoice_id"] = body.get("invoice_id")
        answer["custom_id"] = body.get("custom_id")
        answer["note_to_payer"] = body.get("note_to_payer")
        return 201, answer

    @staticmethod
    def _paypal_payout(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        answer = _recorded("paypal", "payout_create", 1)
        header = answer["batch_header"]
        sent = body.get("sender_batch_header") or {}
        header["payout_batch_id"] = _id("", str(sent.get("sender_batch_id")), 13, upper=True)
        header["sender_batch_header"] = {
            "sender_batch_id": sent.get("sender_batch_id"),
            "email_subject": sent.get("email_subject"),
        }
        answer["links"][0]["href"] = (
            f"https://api-m.paypal.com/v1/payments/payouts/{header['payout_batch_id']}"
        )
        return 201, answer


# What `boomerang connect stripe|shopify|paypal <shop>` would store for a shop (docs/PAYMENTS.md),
# with values only these fakes accept.
LOCAL_CREDENTIALS = {
    "stripe": {"api_key": "sk_test_local_payment_fakes_only"},
    "shopify-admin": {
        "shop_domain": "demo.myshopify.com",
        "access_token": "shpat_local_payment_fakes_only",
        "api_version": "2026-01",
    },
    "paypal": {
        "client_id": "local-payment-fakes-client",
        "client_secret": "local-payment-fakes-secret",
        "environment": "live",
    },
}


def connect_shop(shop: str, prefix: str = "boomerang/") -> None:
    """The shop's provider secrets (boomerang.credentials), as the merchant's `boomerang connect`
    writes them, holding values only the local fakes accept."""
    import boto3

    manager = boto3.client("secretsmanager")
    for provider, value in LOCAL_CREDENTIALS.items():
        name = f"{prefix}{shop}/{provider}"
        try:
            manager.create_secret(Name=name, SecretString=json.dumps(value))
        except manager.exceptions.ResourceExistsException:
            manager.put_secret_value(SecretId=name, SecretString=json.dumps(value))
