"""A Shopify shop's exchange through draft orders (boomerang.payments.shopify_drafts), the real
adapter's HTTP answered by constructed Admin GraphQL replies shaped on Shopify's documented objects
(tests/data/shopify/README.md says where each comes from): the zero-priced replacement order, the
difference's invoice, and finding what an interrupted try made instead of making it twice."""

from __future__ import annotations

import pytest

from boomerang.domain.models import ReplacementLine, Return
from boomerang.payments.port import PaymentRequest, RefundRefused
from boomerang.payments.shopify_admin import ShopifyAdminCredentials, ShopifyPayments
from boomerang.services.workflow.difference import payment_key
from tests.unit.cassettes import CassetteAdapter, replaying_session
from tests.unit.test_refund_amounts import a_return, usd

ORDER = "gid://shopify/Order/734509473"


def shopify(ret: Return, *cassettes: str) -> tuple[ShopifyPayments, CassetteAdapter]:
    session, http = replaying_session("shopify", *cassettes)
    for interaction in http.recorded:  # the drafts are tagged with the return's RMA
        body = interaction["response"]["body"]
        body["string"] = body["string"].replace("RMA-REPLACE", ret.rma)
    creds = ShopifyAdminCredentials(
        shop_domain="boomerang-demo.myshopify.com",
        access_token="shpat_not_a_real_token",
        api_version="2026-01",
    )
    return ShopifyPayments(creds, session), http


def lines() -> list[ReplacementLine]:
    return [
        ReplacementLine(line_id="L1", product_id="632910392", variant_id="808950810", sku="IPOD2008PINK",
                        quantity=1, unit_price=usd(2000))
    ]  # fmt: skip


def test_the_replacement_is_a_zero_priced_draft_order_completed_for_the_original_customer() -> None:
    ret = a_return(("L1", 2000, "size_too_small"))
    payments, http = shopify(ret, "draft_replacement")
    assert payments.order_replacement(ret, lines(), ORDER) == ("gid://shopify/Order/1073459962", "#1002")
    find, original, create, complete = (s.body for s in http.sent)
    assert find["variables"] == {"query": f"tag:'boomerang-replacement-{ret.rma}'"}
    assert original["variables"] == {"id": ORDER}
    draft = create["variables"]["input"]
    assert draft["lineItems"] == [
        {
            "variantId": "gid://shopify/ProductVariant/808950810",
            "quantity": 1,
            "appliedDiscount": {"valueType": "PERCENTAGE", "value": 100.0, "title": f"Exchange {ret.rma}",
                                "description": "Paid by the returned items"},
        }
    ]  # fmt: skip
    assert draft["purchasingEntity"] == {"customerId": "gid://shopify/Customer/544365967"}
    assert (
        draft["shippingAddress"]["address1"] == "Chestnut Street 92"
        and "company" not in draft["shippingAddress"]
    )
    assert f"boomerang-replacement-{ret.rma}" in draft["tags"]
    assert complete["variables"] == {"id": "gid://shopify/DraftOrder/276395349"}
    assert "draftOrderComplete" in complete["query"]
    assert http.sent[0].headers["X-Shopify-Access-Token"] == "shpat_not_a_real_token"


def test_a_retried_step_finds_the_completed_draft_and_makes_nothing() -> None:
    ret = a_return(("L1", 2000, "size_too_small"))
    payments, http = shopify(ret, "draft_replacement_made")
    assert payments.order_replacement(ret, lines(), ORDER) == ("gid://shopify/Order/1073459962", "#1002")
    assert len(http.sent) == 1


def test_shopify_refusing_the_draft_is_a_refusal_with_its_words() -> None:
    ret = a_return(("L1", 2000, "size_too_small"))
    payments, _ = shopify(ret, "draft_replacement_user_errors")
    with pytest.raises(RefundRefused, match="no longer available"):
        payments.order_replacement(ret, lines(), ORDER)


def test_the_difference_is_invoiced_by_a_draft_order_and_its_invoice_sent() -> None:
    ret = a_return(("L1", 2000, "size_too_small"))
    payments, http = shopify(ret, "draft_invoice")
    request = PaymentRequest(
        amount=usd(1000), idempotency_key=payment_key(ret.rma), return_url="https://r.example/x",
        description=f"Exchange {ret.rma}: the replacement's price difference",
        customer_email="bob@example.com", payment_reference=ORDER,
    )  # fmt: skip
    payment = payments.request_payment(ret, request)
    assert payment.provider == "shopify" and payment.reference == "gid://shopify/DraftOrder/622762746"
    assert payment.url.startswith("https://boomerang-demo.myshopify.com/") and payment.status == "open"
    _, create, invoice = (s.body for s in http.sent)
    line = create["variables"]["input"]["lineItems"][0]
    assert line["originalUnitPriceWithCurrency"] == {"amount": "10.00", "currencyCode": "USD"}
    assert line["requiresShipping"] is False and create["variables"]["input"]["email"] == "bob@example.com"
    assert invoice["variables"]["id"] == "gid://shopify/DraftOrder/622762746"


def test_a_paid_invoice_is_paid_and_an_unpaid_one_is_deleted() -> None:
    ret = a_return(("L1", 2000, "size_too_small"))
    paid, _ = shopify(ret, "draft_invoice_paid")
    assert paid.close_payment("gid://shopify/DraftOrder/622762746") == "paid"
    unpaid, http = shopify(ret, "draft_invoice_withdrawn")
    assert unpaid.close_payment("gid://shopify/DraftOrder/622762746") == "expired"
    assert http.sent[1].body["variables"] == {"input": {"id": "gid://shopify/DraftOrder/622762746"}}
