"""The customer pages' library: languages, catalogs, formats, branding contrast, the policy page
and its JSON-LD, and every template rendered in every language."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from importlib import resources

import pytest
from babel.messages.pofile import read_po

from boomerang.domain.branding import Branding, contrast, on_colour, text_safe
from boomerang.domain.money import Money
from boomerang.domain.policy import default_policy
from boomerang.web.i18n import LANGUAGES, Formats, accept_language, page_language, translations
from boomerang.web.policy_page import merchant_return_policy, policy_page
from boomerang.web.render import PageContext, render

LOCALE = resources.files("boomerang.web").joinpath("locale")


def test_the_order_locale_comes_first_then_the_query_then_accept_language() -> None:
    assert page_language("ja-JP", "de", "fr-FR,fr;q=0.9") == "ja"
    assert page_language(None, "de", "fr-FR,fr;q=0.9") == "de"
    assert page_language(None, None, "pt-BR, zh-CN;q=0.8, fr;q=0.5") == "zh"
    assert page_language(None, "xx", None, shop_default="es") == "es"
    assert page_language("pt", None, "") == "en"


def test_accept_language_is_read_by_weight_and_drops_q0() -> None:
    assert accept_language("fr;q=0.2, de, es;q=0.9, ja;q=0") == ["de", "es", "fr"]
    assert accept_language("*, en") == ["en"]


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_every_catalog_translates_every_message_with_the_same_placeholders(language: str) -> None:
    template = read_po(LOCALE.joinpath("messages.pot").open("rb"))
    catalog = read_po(LOCALE.joinpath(language, "LC_MESSAGES", "messages.po").open("rb"), locale=language)
    wanted = {m.id for m in template if m.id}
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    assert wanted - set(translated) == set(), "untranslated (run `make i18n`, then translate)"
    for msgid in wanted:
        assert sorted(re.findall(r"%\(\w+\)s", msgid)) == sorted(re.findall(r"%\(\w+\)s", translated[msgid]))


def test_money_and_dates_are_written_the_way_each_language_writes_them() -> None:
    price = Money(amount=123456, currency="EUR")
    day = datetime(2026, 12, 1, tzinfo=UTC)
    assert Formats("de").money(price) == "1.234,56\xa0€"
    assert Formats("fr").money(price) == "1\u202f234,56\xa0€"
    assert Formats("en").money(Money(amount=1999, currency="JPY")) == "¥1,999"
    assert Formats("zh").date(day) == "2026年12月1日"
    assert Formats("es").date(day) == "1 de diciembre de 2026"
    assert translations("zh").gettext("Return window:") == "退货期限："


def test_brand_colours_get_text_that_meets_aa_contrast() -> None:
    assert on_colour("#f2c14e") == "#000000"  # a light brand colour gets black text
    assert on_colour("#1f4e79") == "#ffffff"
    for colour in ("#f2c14e", "#ffff00", "#b85c00", "#00ff00"):
        assert contrast(text_safe(colour), "#ffffff") >= 4.5
        assert contrast(colour, on_colour(colour)) >= 4.5
    with pytest.raises(ValueError):
        Branding(name="x", primary_colour="red")
    with pytest.raises(ValueError):
        Branding(name="x", logo_url="http://insecure.example/logo.png")


def test_the_policy_page_is_read_off_the_enforced_policy() -> None:
    policy = default_policy()
    page = policy_page(policy)
    assert page.general.window_days == policy.window_days == 30
    assert {m.name: m.window_days for m in page.markets} == {
        "United States": 30,
        "EU and EEA": 14,
        "United Kingdom": 14,
    }
    assert [t.above for t in page.evidence] == [Money(amount=10000, currency="USD")]
    assert page.reviews[0].categories == ["electronics"]
    assert page.refund_on_delivery_below == Money(amount=2500, currency="USD")
    assert {hub.hub_id for hub, _ in page.hubs} == {"us-nj", "eu-pl-gls", "origin"}
    # Changing the policy changes the page: nothing is written twice.
    longer = policy.model_copy(update={"window_days": 60})
    assert policy_page(longer).general.window_days == 60


def test_the_json_ld_is_schema_org_merchant_return_policy_per_market() -> None:
    data = merchant_return_policy(
        policy_page(default_policy()), "Demo Store", "https://shop.example/demo/policy"
    )
    assert data["@context"] == "https://schema.org"
    blocks = data["@graph"]
    assert all(b["@type"] == "MerchantReturnPolicy" for b in blocks)
    assert blocks[0]["merchantReturnDays"] == 30
    assert blocks[0]["returnPolicyCategory"] == "https://schema.org/MerchantReturnFiniteReturnWindow"
    assert blocks[0]["returnFees"] == "https://schema.org/FreeReturn"
    eu = next(b for b in blocks if "EU" in b["name"])
    assert (
        eu["merchantReturnDays"] == 14 and "DE" in eu["applicableCountry"] and "NO" in eu["applicableCountry"]
    )


def _page(language: str, branding: Branding | None = None) -> PageContext:
    return PageContext(
        shop="demo",
        branding=branding or Branding(name="Demo <Store>"),
        language=language,
        base_path="",
        assets_base_url="https://cdn.example",
        assets_version="v1",
        path="/demo/policy",
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_policy_page_renders_in_every_language_with_its_json_ld(language: str) -> None:
    data = policy_page(default_policy())
    html = render(
        "policy.html", _page(language), data=data, json_ld=merchant_return_policy(data, "Demo", "u")
    )
    assert f'<html lang="{language}">' in html
    assert "Demo &lt;Store&gt;" in html  # the shop's name is escaped
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert block and json.loads(block.group(1))["@graph"][0]["merchantReturnDays"] == 30
    assert 'href="https://cdn.example/v1/portal.css"' in html
    if language == "zh":
        assert "退货期限：" in html and "自送达之日起 30 天内" in html


def test_json_ld_cannot_close_its_script_block() -> None:
    policy = default_policy()
    hostile = policy.model_copy(update={"conditions": "</script><script>alert(1)</script>"})
    data = policy_page(hostile)
    html = render(
        "policy.html", _page("en"), data=data, json_ld=merchant_return_policy(data, "</script>", "u")
    )
    assert html.count("</script>") == html.count("<script")  # every script block closes once, as written


def test_the_status_page_explains_the_decision_but_keeps_staff_flags_off_it() -> None:
    from boomerang.domain.models import HubChoice, Resolution, Return, ReturnItem
    from boomerang.domain.status import ReturnStatus
    from boomerang.web.status_view import status_view
    from tests.unit.factories import NOW, decision_for, item, line, order

    policy = default_policy()
    the_order = order(line("L1", "180.00"))
    decision = decision_for(policy, the_order, [item("L1", reason="defective")], prior_returns_30d=4)
    assert {"evidence_over_100", "frequent_returner_review"} <= {r.rule_id for r in decision.rules}
    usd = Money(amount=599, currency="USD")
    ret = Return(
        rma="K7Q-4M2-XAC", shop="demo", order_id="ord-1", customer_ref="c",
        status=ReturnStatus.AWAITING_EVIDENCE, resolution=Resolution.REFUND, decision=decision,
        created_at=NOW, updated_at=NOW,
        items=[ReturnItem(line_id="L1", sku="SKU-L1", category="apparel", quantity=1, reason="defective",
                          unit_price=Money(amount=18000, currency="USD"))],
        hub=HubChoice(
            hub_id="us-nj", name="NJ", country="US", cost=usd, fallback_hub_id="origin", fallback_cost=usd
        ),
    )  # fmt: skip
    view = status_view(ret, [], the_order, policy)
    assert view.evidence_needed and view.outcome == "awaiting_evidence"
    assert any("unboxing" in reason for reason in view.reasons)
    assert not any(
        "earlier returns" in reason for reason in view.reasons
    )  # a flag for staff, not the customer
    assert view.items == [
        {
            "title": "Item L1",
            "quantity": 1,
            "reason": "defective",
            "amount": Money(amount=18000, currency="USD"),
        }
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_status_page_links_a_dearer_replacements_payment(language: str) -> None:
    from boomerang.domain.models import (
        DifferencePayment,
        Exchange,
        HubChoice,
        ReplacementLine,
        Resolution,
        Return,
        ReturnItem,
    )
    from boomerang.domain.status import ReturnStatus
    from boomerang.web.status_view import status_view
    from tests.unit.factories import NOW, decision_for, item, line, order

    policy = default_policy()
    the_order = order(line("L1", "20.00"))
    usd = Money(amount=599, currency="USD")
    url = "https://checkout.stripe.com/c/pay/cs_test_a1"
    exchange = Exchange(
        lines=[ReplacementLine(line_id="L1", product_id="tee", variant_id="tee-M", sku="TEE-M", quantity=1,
                               unit_price=Money(amount=3000, currency="USD"))],
        difference=Money(amount=-1000, currency="USD"),
        payment=DifferencePayment(provider="stripe", reference="cs_test_a1", url=url,
                                  amount=Money(amount=1000, currency="USD"), requested_at=NOW),
    )  # fmt: skip
    ret = Return(
        rma="K7Q-4M2-XAC", shop="demo", order_id="ord-1", customer_ref="c",
        status=ReturnStatus.REFUND_PENDING, resolution=Resolution.EXCHANGE,
        decision=decision_for(policy, the_order, [item("L1", reason="size_too_small")]),
        created_at=NOW, updated_at=NOW, exchange=exchange,
        items=[ReturnItem(line_id="L1", sku="SKU-L1", category="apparel", quantity=1,
                          reason="size_too_small", unit_price=Money(amount=2000, currency="USD"))],
        hub=HubChoice(
            hub_id="us-nj", name="NJ", country="US", cost=usd, fallback_hub_id="origin", fallback_cost=usd
        ),
    )  # fmt: skip
    view = status_view(ret, [], the_order, policy)
    html = render("status.html", _page(language), ret=ret, view=view, qr=None, csrf="x", live=True)
    assert f'id="pay-difference" href="{url}"' in html
    assert exchange.payment is not None
    settled = exchange.payment.model_copy(update={"status": "paid"})
    paid = ret.model_copy(update={"exchange": exchange.model_copy(update={"payment": settled})})
    html = render("status.html", _page(language), ret=paid, view=view, qr=None, csrf="x", live=True)
    assert "pay-difference" not in html
