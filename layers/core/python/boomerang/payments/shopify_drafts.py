"""A Shopify shop's exchange through draft orders (Admin GraphQL, the shop's Admin API token from
Secrets Manager, as its refunds: boomerang.payments.shopify_admin). Two uses:

- **The replacement order** (`order_replacement`): a draft order of the replacement variants, each
  line discounted 100 % (zero-priced: the returned items paid for it), shipped to the original
  order's shipping address and customer, then completed with `draftOrderComplete`. The order it
  becomes is where the merchant fulfils it, like any other Shopify order.
- **A dearer replacement's difference** (`request_payment`): a draft order of one custom line (the
  difference, not shipped, not taxed) whose invoice `draftOrderInvoiceSend` emails; the customer
  pays at its `invoiceUrl`. Paid, the draft order is COMPLETED; withdrawn, it is deleted.

Draft order mutations take no idempotency key, so each draft carries a tag naming the return and its
purpose (`boomerang-replacement-<rma>`, `boomerang-difference-<rma>`, under Shopify's 40 characters):
a retried step finds the draft an interrupted try made (`draftOrders(query: "tag:...")`) and goes
on from it; nothing is created twice. Scopes: read_orders, write_draft_orders.

Variants are the catalog's Shopify ids (boomerang.shopify.mapping: the variant's numeric id).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from boomerang.domain.models import DifferencePayment, ReplacementLine, Return
from boomerang.domain.money import Money
from boomerang.payments.port import PURPOSE, PaymentConfigurationError, PaymentRequest, RefundRefused

DRAFT_FIELDS = """id name status invoiceUrl tags
      totalPriceSet { presentmentMoney { amount currencyCode } }
      order { id name }"""

FIND_DRAFT = f"""
query BoomerangDraft($query: String!) {{
  draftOrders(first: 5, query: $query) {{
    nodes {{ {DRAFT_FIELDS} }}
  }}
}}
"""

DRAFT = f"""
query BoomerangDraftById($id: ID!) {{
  draftOrder(id: $id) {{ {DRAFT_FIELDS} }}
}}
"""

ORIGINAL_ORDER = """
query BoomerangReplacementFor($id: ID!) {
  order(id: $id) {
    id name email presentmentCurrencyCode
    customer { id }
    shippingAddress {
      firstName lastName company address1 address2 city provinceCode countryCode zip phone
    }
  }
}
"""

CREATE = f"""
mutation BoomerangDraftCreate($input: DraftOrderInput!) {{
  draftOrderCreate(input: $input) {{
    draftOrder {{ {DRAFT_FIELDS} }}
    userErrors {{ field message }}
  }}
}}
"""

COMPLETE = f"""
mutation BoomerangDraftComplete($id: ID!) {{
  draftOrderComplete(id: $id) {{
    draftOrder {{ {DRAFT_FIELDS} }}
    userErrors {{ field message }}
  }}
}}
"""

INVOICE = """
mutation BoomerangInvoice($id: ID!, $email: EmailInput) {
  draftOrderInvoiceSend(id: $id, email: $email) {
    draftOrder { id invoiceSentAt }
    userErrors { field message }
  }
}
"""

DELETE = """
mutation BoomerangDraftDelete($input: DraftOrderDeleteInput!) {
  draftOrderDelete(input: $input) {
    deletedId
    userErrors { field message }
  }
}
"""

ADDRESS_FIELDS = ("firstName", "lastName", "company", "address1", "address2", "city", "provinceCode",
                  "countryCode", "zip", "phone")  # fmt: skip


class GraphQL(Protocol):
    def _graphql(self, query: str, variables: dict[str, Any], root: str) -> dict[str, Any]: ...


def replacement_tag(rma: str) -> str:
    return f"boomerang-replacement-{rma}"


def difference_tag(rma: str) -> str:
    return f"boomerang-difference-{rma}"


def variant_gid(variant_id: str) -> str:
    return variant_id if variant_id.startswith("gid://") else f"gid://shopify/ProductVariant/{variant_id}"


class ShopifyDrafts:
    def __init__(self, api: GraphQL):
        self.api = api

    # --- the replacement order ------------------------------------------------------------------

    def order_replacement(self, ret: Return, lines: list[ReplacementLine], order_gid: str) -> tuple[str, str]:
        """The replacement as a completed, zero-priced Shopify order: (its order gid, its name)."""
        draft = self._find(replacement_tag(ret.rma))
        if draft is None:
            original = self.api._graphql(ORIGINAL_ORDER, {"id": order_gid}, "order")["order"]
            if original is None:
                raise PaymentConfigurationError(f"Shopify has no order {order_gid} for this shop's token")
            draft_input: dict[str, Any] = {
                "lineItems": [
                    {
                        "variantId": variant_gid(line.variant_id),
                        "quantity": line.quantity,
                        "appliedDiscount": {
                            "valueType": "PERCENTAGE",
                            "value": 100.0,
                            "title": f"Exchange {ret.rma}",
                            "description": "Paid by the returned items",
                        },
                    }
                    for line in lines
                ],
                "note": f"Boomerang exchange: the replacement of return {ret.rma} (order {original['name']})",
                "tags": ["boomerang", replacement_tag(ret.rma)],
                "presentmentCurrencyCode": original["presentmentCurrencyCode"],
            }
            address = original.get("shippingAddress")
            if address:
                draft_input["shippingAddress"] = {k: address[k] for k in ADDRESS_FIELDS if address.get(k)}
            customer = original.get("customer")
            if customer and customer.get("id"):
                draft_input["purchasingEntity"] = {"customerId": customer["id"]}
            elif original.get("email"):
                draft_input["email"] = original["email"]
            draft = self._mutate(CREATE, {"input": draft_input}, "draftOrderCreate")
        if draft.get("status") != "COMPLETED" or not draft.get("order"):
            draft = self._mutate(COMPLETE, {"id": draft["id"]}, "draftOrderComplete")
        made = draft.get("order") or {}
        if not made.get("id"):
            raise PaymentConfigurationError(f"Shopify completed draft order {draft['id']} into no order")
        return str(made["id"]), str(made.get("name") or made["id"])

    # --- a dearer replacement's difference -------------------------------------------------------

    def request_payment(self, ret: Return, request: PaymentRequest) -> DifferencePayment:
        """A draft order of the difference, its invoice emailed by Shopify."""
        amount = request.amount
        draft = self._find(difference_tag(ret.rma))
        if draft is None:
            draft_input: dict[str, Any] = {
                "lineItems": [
                    {
                        "title": request.description,
                        "quantity": 1,
                        "originalUnitPriceWithCurrency": {
                            "amount": amount.decimal_string(),
                            "currencyCode": amount.currency,
                        },
                        "requiresShipping": False,
                        "taxable": False,
                    }
                ],
                "note": f"Boomerang return {ret.rma} ({request.idempotency_key})",
                "tags": ["boomerang", difference_tag(ret.rma), PURPOSE.replace("_", "-")],
                "presentmentCurrencyCode": amount.currency,
                "customAttributes": [{"key": "boomerang_rma", "value": ret.rma}],
            }
            if request.customer_email:
                draft_input["email"] = request.customer_email
            draft = self._mutate(CREATE, {"input": draft_input}, "draftOrderCreate")
            total = ((draft.get("totalPriceSet") or {}).get("presentmentMoney")) or {}
            if total and (
                total.get("currencyCode") != amount.currency or _minor(total, amount) != amount.amount
            ):
                raise PaymentConfigurationError(
                    f"Shopify made draft order {draft['id']} of {total.get('amount')} "
                    f"{total.get('currencyCode')}, asked {amount}"
                )
            sent = self.api._graphql(INVOICE, {"id": draft["id"], "email": None}, "draftOrderInvoiceSend")
            errors = sent["draftOrderInvoiceSend"].get("userErrors") or []
            if errors:
                raise RefundRefused("invoice_not_sent", _text(errors))
        if not draft.get("invoiceUrl"):
            raise PaymentConfigurationError(f"Shopify's draft order {draft['id']} has no invoice URL")
        return DifferencePayment(
            provider="shopify",
            reference=str(draft["id"]),
            url=str(draft["invoiceUrl"]),
            amount=amount,
            status=_state(draft),
            requested_at=datetime.now(UTC),
        )

    def payment_state(self, reference: str) -> str:
        draft = self.api._graphql(DRAFT, {"id": reference}, "draftOrder")["draftOrder"]
        return "expired" if draft is None else _state(draft)

    def close_payment(self, reference: str) -> str:
        """Delete the unpaid draft order (its invoice link then stops working)."""
        state = self.payment_state(reference)
        if state != "open":
            return state
        self._mutate(DELETE, {"input": {"id": reference}}, "draftOrderDelete", key="deletedId")
        return "expired"

    # --- helpers -----------------------------------------------------------------------------------

    def _find(self, tag: str) -> dict[str, Any] | None:
        found = self.api._graphql(FIND_DRAFT, {"query": f"tag:'{tag}'"}, "draftOrders")["draftOrders"]
        for node in found.get("nodes") or []:
            if tag in (node.get("tags") or []):  # the search is fuzzy; the tag is exact
                return dict(node)
        return None

    def _mutate(
        self, query: str, variables: dict[str, Any], root: str, key: str = "draftOrder"
    ) -> dict[str, Any]:
        answer = self.api._graphql(query, variables, root)[root]
        errors = answer.get("userErrors") or []
        if errors or not answer.get(key):
            # A variant gone from Shopify, a closed order: the merchant's data, not an outage.
            raise RefundRefused("shopify_user_errors", f"Shopify refused {root}: {_text(errors)}")
        return answer if key != "draftOrder" else dict(answer["draftOrder"])


def _state(draft: dict[str, Any]) -> str:
    return "paid" if draft.get("status") == "COMPLETED" else "open"


def _minor(total: dict[str, Any], amount: Money) -> int:
    from boomerang.payments.shopify_admin import _minor as minor

    return minor(str(total["amount"]), amount.currency)


def _text(errors: list[dict[str, Any]]) -> str:
    return "; ".join(f"{'.'.join(map(str, e.get('field') or []))}: {e.get('message')}" for e in errors) or (
        "no answer"
    )
