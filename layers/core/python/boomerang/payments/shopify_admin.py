"""Refunds of Shopify orders through Shopify's Admin GraphQL API (`refundCreate`), with the shop's
Admin API token (secret `<prefix><shop>/shopify-admin`: {"shop_domain": "acme.myshopify.com",
"access_token": "shpat_...", "api_version": "2026-01"}; scopes read_orders, write_orders).

Shopify refunds through whichever gateway took the money (Shopify Payments, PayPal, a gift card),
so Boomerang never needs the gateway's own credentials for a Shopify order. Plain HTTPS (requests,
with the timeouts of boomerang.timeouts.SHOPIFY); no Shopify SDK.

One refund, two requests:
1. the order: its presentment currency, its sale and capture transactions (with what was refunded
   from each), and its refunds. A refund whose note carries this attempt's idempotency key is the
   one an earlier, interrupted try made: it is answered, nothing is asked again. This claim works
   on every API version; from 2026-01 on, the mutation also carries Shopify's own
   `@idempotent(key:)` directive (mandatory from 2026-04).
2. `refundCreate` with money only: a REFUND transaction per parent (sale or capture), the amount
   spread over them in order, never more than each has left. No refund line items: Boomerang
   counts returned units itself, and Shopify's refunds/create webhook would count them again as
   removed (boomerang.shopify.mapping). The customer is not notified by Shopify: Boomerang's own
   email says it.

Errors become the port's three kinds: throttling, 5xx and timeouts -> PaymentProviderUnavailable
(the same key is safe to ask again); 401/403, an unknown order, another currency ->
PaymentConfigurationError; Shopify's userErrors and an order with nothing left to refund ->
RefundRefused.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import requests
from pydantic import BaseModel, ConfigDict, Field

from boomerang.domain.models import DifferencePayment, Refund, ReplacementLine, Resolution, Return
from boomerang.domain.money import Money
from boomerang.payments.port import (
    PaymentConfigurationError,
    PaymentProviderUnavailable,
    PaymentRequest,
    RefundRefused,
)
from boomerang.payments.shopify_drafts import ShopifyDrafts
from boomerang.timeouts import SHOPIFY, CallBudget

# The first version whose refundCreate takes @idempotent(key:).
IDEMPOTENT_DIRECTIVE_FROM = "2026-01"

ORDER_QUERY = """
query BoomerangRefundTarget($id: ID!) {
  order(id: $id) {
    id
    name
    presentmentCurrencyCode
    transactions(first: 100) {
      id kind status gateway
      amountSet { presentmentMoney { amount currencyCode } }
      parentTransaction { id }
    }
    refunds(first: 100) {
      id note
      totalRefundedSet { presentmentMoney { amount currencyCode } }
      transactions(first: 10) { nodes { id kind status gateway } }
    }
  }
}
"""

REFUND_MUTATION = """
mutation BoomerangRefund($input: RefundInput!{key_variable}) {{
  refundCreate(input: $input){directive} {{
    refund {{
      id note
      totalRefundedSet {{ presentmentMoney {{ amount currencyCode }} }}
      transactions(first: 10) {{ nodes {{ id kind status gateway }} }}
    }}
    userErrors {{ field message }}
  }}
}}
"""


class ShopifyAdminCredentials(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    shop_domain: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
    access_token: str = Field(min_length=8)
    api_version: str = Field(default=IDEMPOTENT_DIRECTIVE_FROM, pattern=r"^[0-9]{4}-[0-9]{2}$")


@dataclass(frozen=True)
class _Parent:
    id: str
    gateway: str
    left: int  # minor units still refundable on this sale or capture


def _minor(amount: str, currency: str) -> int:
    # Shopify's Decimal scalar ("59.0"): as minor units, never through a float.
    return Money.parse(format(Decimal(amount).normalize(), "f"), currency).amount


class ShopifyPayments:
    provider = "shopify"

    def __init__(
        self,
        credentials: ShopifyAdminCredentials,
        session: requests.Session | None = None,
        budget: CallBudget = SHOPIFY,
    ):
        self.credentials = credentials
        self.session = session or requests.Session()
        self.budget = budget

    @property
    def url(self) -> str:
        c = self.credentials
        return f"https://{c.shop_domain}/admin/api/{c.api_version}/graphql.json"

    def refund(
        self, ret: Return, amount: Money, idempotency_key: str, payment_reference: str | None = None
    ) -> Refund:
        if not payment_reference:
            raise RefundRefused("no_payment_reference", "The order carries no Shopify order id.")
        order = self._graphql(ORDER_QUERY, {"id": payment_reference}, "order")["order"]
        if order is None:
            raise PaymentConfigurationError(
                f"Shopify has no order {payment_reference} for this shop's token (another shop's order?)"
            )
        currency = str(order["presentmentCurrencyCode"])
        if currency != amount.currency:
            raise PaymentConfigurationError(
                f"The Shopify order is in {currency}, the return in {amount.currency}"
            )
        for earlier in order.get("refunds") or []:
            if idempotency_key in str(earlier.get("note") or ""):
                return self._refund_of(earlier, amount)  # an interrupted earlier try landed
        transactions = self._transactions(order, payment_reference, amount, idempotency_key)
        version = self.credentials.api_version
        idempotent = version >= IDEMPOTENT_DIRECTIVE_FROM
        mutation = REFUND_MUTATION.format(
            key_variable=", $idempotencyKey: String!" if idempotent else "",
            directive=" @idempotent(key: $idempotencyKey)" if idempotent else "",
        )
        variables: dict[str, Any] = {
            "input": {
                "orderId": payment_reference,
                "currency": currency,
                # Ids only: the note names the return and the attempt's key (the claim above).
                "note": f"Boomerang return {ret.rma} ({idempotency_key})",
                "notify": False,
                "transactions": transactions,
            }
        }
        if idempotent:
            variables["idempotencyKey"] = idempotency_key
        made = self._graphql(mutation, variables, "refundCreate")["refundCreate"]
        errors = made.get("userErrors") or []
        if errors or not made.get("refund"):
            text = "; ".join(str(e.get("message")) for e in errors) or "no refund in the answer"
            reason = "charge_already_refunded" if "refundable" in text.lower() else "unknown"
            raise RefundRefused(reason, f"Shopify refused the refund: {text}")
        return self._refund_of(made["refund"], amount)

    # --- exchanges: draft orders (boomerang.payments.shopify_drafts) ------------------------------

    def order_replacement(
        self, ret: Return, lines: list[ReplacementLine], order_reference: str
    ) -> tuple[str, str]:
        return ShopifyDrafts(self).order_replacement(ret, lines, order_reference)

    def request_payment(self, ret: Return, request: PaymentRequest) -> DifferencePayment:
        return ShopifyDrafts(self).request_payment(ret, request)

    def payment_state(self, reference: str) -> str:
        return ShopifyDrafts(self).payment_state(reference)

    def close_payment(self, reference: str) -> str:
        return ShopifyDrafts(self).close_payment(reference)

    def _transactions(
        self, order: dict[str, Any], order_id: str, amount: Money, idempotency_key: str
    ) -> list[dict[str, Any]]:
        currency = amount.currency
        refunded: dict[str, int] = {}
        parents: list[_Parent] = []
        for t in order.get("transactions") or []:
            if (
                t.get("kind") == "REFUND"
                and t.get("status") in ("SUCCESS", "PENDING")
                and t.get("parentTransaction")
            ):
                parent_id = str(t["parentTransaction"]["id"])
                money = t["amountSet"]["presentmentMoney"]
                refunded[parent_id] = refunded.get(parent_id, 0) + _minor(money["amount"], currency)
        for t in order.get("transactions") or []:
            if t.get("kind") in ("SALE", "CAPTURE") and t.get("status") == "SUCCESS":
                money = t["amountSet"]["presentmentMoney"]
                taken = _minor(money["amount"], currency)
                parents.append(_Parent(str(t["id"]), str(t.get("gateway") or ""), taken))
        parents = [
            _Parent(p.id, p.gateway, p.left - refunded.get(p.id, 0))
            for p in parents
            if p.left > refunded.get(p.id, 0)
        ]
        due, out = amount.amount, list[dict[str, Any]]()
        for parent in parents:
            if due <= 0:
                break
            part = min(due, parent.left)
            out.append(
                {
                    "orderId": order_id,
                    "parentId": parent.id,
                    "gateway": parent.gateway,
                    "kind": "REFUND",
                    "amount": Money(amount=part, currency=currency).decimal_string(),
                }
            )
            due -= part
        if due > 0:
            raise RefundRefused(
                "charge_already_refunded",
                f"The Shopify order has {Money(amount=amount.amount - due, currency=currency)} left to "
                f"refund, {amount} is due",
            )
        return out

    def _refund_of(self, refund: dict[str, Any], amount: Money) -> Refund:
        nodes = ((refund.get("transactions") or {}).get("nodes")) or []
        statuses = {str(n.get("status")) for n in nodes if n.get("kind") == "REFUND"}
        if statuses & {"FAILURE", "ERROR"}:
            raise RefundRefused("declined", f"Shopify's gateway declined the refund {refund['id']}")
        total = (refund.get("totalRefundedSet") or {}).get("presentmentMoney") or {}
        paid = _minor(total["amount"], amount.currency) if total.get("amount") else amount.amount
        return Refund(
            method=Resolution.REFUND,
            amount=Money(amount=paid, currency=amount.currency),
            # Settled now unless a gateway still works on it (Shopify then updates the transaction).
            status="pending" if not statuses or "PENDING" in statuses else "succeeded",
            reference=str(refund["id"]),
            paid_via="card",
            provider=self.provider,
        )

    def _graphql(self, query: str, variables: dict[str, Any], root: str) -> dict[str, Any]:
        try:
            response = self.session.post(
                self.url,
                json={"query": query, "variables": variables},
                headers={
                    "X-Shopify-Access-Token": self.credentials.access_token,
                    "Accept": "application/json",
                },
                timeout=(min(3.0, self.budget.timeout_seconds), self.budget.timeout_seconds),
            )
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise PaymentProviderUnavailable(f"Shopify: {type(exc).__name__}") from exc
        if response.status_code in (401, 403):
            raise PaymentConfigurationError(
                f"Shopify refused the Admin API token ({response.status_code}): check its scopes"
            )
        if response.status_code == 429 or response.status_code >= 500:
            raise PaymentProviderUnavailable(f"Shopify: HTTP {response.status_code}")
        if response.status_code != 200:
            raise PaymentConfigurationError(f"Shopify answered HTTP {response.status_code}")
        body = response.json()
        errors = body.get("errors") or []
        codes = {str((e.get("extensions") or {}).get("code")) for e in errors if isinstance(e, dict)}
        if "THROTTLED" in codes or "INTERNAL_SERVER_ERROR" in codes:
            raise PaymentProviderUnavailable(f"Shopify: {', '.join(sorted(codes))}")
        data = body.get("data")
        if errors or not isinstance(data, dict) or root not in data:
            raise PaymentConfigurationError(
                f"Shopify refused the request: {', '.join(sorted(codes)) or 'errors'}"
            )
        return data
