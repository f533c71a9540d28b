"""The EasyPost adapter through the official SDK, against EasyPost's recorded responses
(tests/data/easypost: the SDK's own cassettes, and return, customs and form cases built on them,
each file saying where it comes from)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader

from boomerang.carriers.easypost import EasyPostCarrier, to_minor_units
from boomerang.carriers.labels import LabelStore
from boomerang.carriers.port import CarrierUnavailable, LabelRefused
from boomerang.domain.customs import CustomsDefaults
from boomerang.domain.labels import LabelRequest, label_request
from boomerang.domain.models import (
    Address,
    Decision,
    HubChoice,
    Label,
    Order,
    OrderLine,
    Outcome,
    Resolution,
    Return,
    ReturnItem,
)
from boomerang.domain.money import Money
from boomerang.domain.policy import default_policy
from boomerang.domain.providers import CarrierAccount, ProviderSettings
from boomerang.domain.status import ReturnStatus

from .easypost_cassettes import replaying_client

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
HUB = next(h for h in default_policy().hubs if h.hub_id == "us-nj")
CUSTOMER = Address(
    name="A Customer",
    line1="179 N Harbor Dr",
    city="Redondo Beach",
    region="CA",
    postal_code="90277",
    country="US",
)
BERLIN = Address(
    name="Anna Müller", line1="Friedrichstraße 123", city="Berlin", postal_code="10117", country="DE",
    phone="+49 30 1234567",
)  # fmt: skip


class MemoryLabels(LabelStore):
    def __init__(self) -> None:
        super().__init__("labels", s3=object())
        self.stored: dict[str, bytes] = {}

    def put_document(self, shop: str, rma: str, document: str, pdf: bytes) -> str:
        key = f"labels/{shop}/{rma}-{document}.pdf"
        self.stored[key] = pdf
        return key


def a_return(currency: str = "USD", items: list[tuple[str, int, int]] | None = None) -> Return:
    lines = items or [("L1", 1, 3900)]
    return Return(
        rma="K7Q-4M2-XAC",
        shop="demo",
        order_id="1001",
        customer_ref="c" * 16,
        status=ReturnStatus.APPROVED,
        resolution=Resolution.REFUND,
        items=[
            ReturnItem(
                line_id=line_id,
                sku=f"SKU-{line_id}",
                category="apparel",
                quantity=quantity,
                reason="size_too_small",
                unit_price=Money(amount=cents, currency=currency),
            )
            for line_id, quantity, cents in lines
        ],
        decision=Decision(outcome=Outcome.APPROVED, rules=[], policy_version=1, decided_at=NOW),
        hub=HubChoice(
            hub_id="us-nj",
            name=HUB.name,
            country="US",
            cost=HUB.cost_per_parcel,
            fallback_hub_id="origin",
            fallback_cost=Money(amount=2500, currency="USD"),
        ),
        created_at=NOW,
        updated_at=NOW,
    )


def domestic(ret: Return | None = None, hub: Any = HUB) -> LabelRequest:
    return LabelRequest(a_return() if ret is None else ret, hub, CUSTOMER, "#1001", NOW + timedelta(days=30),
                        NOW, {"length": 12, "width": 10, "height": 4, "weight": 16})  # fmt: skip


def _carrier(*cassettes: str, labels: LabelStore | None = None) -> tuple[EasyPostCarrier, list[Any]]:
    client, adapter = replaying_client(*cassettes)
    return EasyPostCarrier(lambda: client, labels=labels), adapter.sent


def test_buys_a_return_label_at_the_lowest_rate_with_the_carriers_qr_code_and_tracks_it() -> None:
    carrier, sent = _carrier("return_label_qr")
    label = carrier.buy(domestic())

    (m1, u1, create), (_, u2, buy), (_, u3, form), (m4, u4, track) = sent
    assert (m1, u1) == ("POST", "https://api.easypost.com/v2/shipments")
    shipment = create["shipment"]
    assert shipment["is_return"] is True
    assert shipment["reference"] == "K7Q-4M2-XAC"
    # EasyPost's return roles: `from` is the hub, `to` the customer; is_return swaps them on the label.
    assert shipment["from_address"]["zip"] == "07094"
    assert shipment["to_address"]["zip"] == "90277"
    assert "customs_info" not in shipment  # US to US: no customs
    # Of the recorded USPS rates (Express 34.15, Priority 7.42, GroundAdvantage 6.07) the lowest.
    assert u2.endswith("/shipments/shp_16578f588f9546ec914afd2474e24ff5/buy")
    assert buy == {"rate": {"id": "rate_4d1f36fa716c4b1292cacbdf19227c2d"}}
    assert u3.endswith("/shipments/shp_16578f588f9546ec914afd2474e24ff5/forms")
    assert form == {"form": {"type": "label_qr_code"}}
    assert (m4, u4) == ("POST", "https://api.easypost.com/v2/trackers")
    assert track == {"tracker": {"tracking_code": "9400100208303109505657", "carrier": "USPS"}}

    assert label.carrier == "USPS"
    assert label.tracking_number == "9400100208303109505657"
    assert label.cost == Money(amount=607, currency="USD")
    assert label.shipment_id == "shp_16578f588f9546ec914afd2474e24ff5"
    assert label.url and label.url.endswith(".pdf")
    assert label.qr_code_url and label.qr_code_url.startswith("https://easypost-files.s3")
    assert label.valid_until == NOW + timedelta(days=30)
    assert not label.specimen and label.customs_document_key is None


def test_a_carrier_without_a_qr_code_still_gives_its_label() -> None:
    carrier, sent = _carrier("return_label_no_qr")
    label = carrier.buy(domestic())
    assert label.qr_code_url is None and label.url
    assert len(sent) == 4  # the tracker is created all the same


def test_a_service_level_the_hub_allows_bounds_the_rate() -> None:
    hub = HUB.model_copy(update={"services": ["Priority"]})
    carrier, sent = _carrier("return_label_qr")
    # The recording answers the buy whatever rate is named, so the request is what is checked:
    # Priority (7.42) is bought although GroundAdvantage (6.07) is cheaper.
    carrier.buy(domestic(hub=hub))
    assert sent[1][2] == {"rate": {"id": "rate_5b67424f63314af1b997aa72d45e41be"}}


def test_no_rate_within_the_hubs_carriers_is_refused_and_buys_nothing() -> None:
    hub = HUB.model_copy(update={"carriers": ["GLS"]})
    carrier, sent = _carrier("return_label_qr")
    with pytest.raises(LabelRefused) as refused:
        carrier.buy(domestic(hub=hub))
    assert refused.value.code == "no_rate"
    assert [url for _, url, _ in sent] == ["https://api.easypost.com/v2/shipments"]


def test_an_api_error_is_refused_with_its_code_and_never_the_address() -> None:
    carrier, _ = _carrier("error")
    with pytest.raises(LabelRefused) as refused:
        carrier.buy(domestic())
    assert "PARAMETER.REQUIRED" in str(refused.value)
    assert "Harbor" not in str(refused.value) and "90277" not in str(refused.value)


def test_no_answer_is_unavailable_so_the_step_is_retried() -> None:
    carrier, _ = _carrier()  # nothing recorded: the transport fails as a dead connection would
    with pytest.raises(CarrierUnavailable):
        carrier.buy(domestic())


def test_the_older_port_still_buys_with_the_address_it_is_given() -> None:
    client, adapter = replaying_client("return_label_qr")
    carrier = EasyPostCarrier(lambda: client, lambda _ret: CUSTOMER)
    label = carrier.buy_return_label(a_return(), HUB, NOW + timedelta(days=30), NOW)
    assert label.tracking_number == "9400100208303109505657"
    assert adapter.sent[0][2]["shipment"]["to_address"]["zip"] == "90277"


# --- a German customer returning to the US hub (the shop has no EU hub) -----------------------


def german_order() -> Order:
    eur = "EUR"
    return Order(
        shop="demo", order_id="2040", order_number="#2040", customer_email="anna@example.com",
        customer_country="DE", currency=eur, ordered_at=NOW - timedelta(days=10), shipping_address=BERLIN,
        lines=[
            OrderLine(line_id="L1", sku="SWEATER", title="Merino crew sweater", quantity=1,
                      unit_price=Money(amount=8900, currency=eur), hs_code="6110.11", origin_country="PT"),
            OrderLine(line_id="L2", sku="BEANIE", title="Wool beanie", quantity=2,
                      unit_price=Money(amount=2500, currency=eur)),
        ],
    )  # fmt: skip


def cross_border() -> LabelRequest:
    settings = ProviderSettings(
        carriers={"*": CarrierAccount(carrier_accounts=["ca_dhl0e1f2a3b4c5d6e7f8091a2b3c4d5e6"])},
        customs=CustomsDefaults(hs_code="650500", origin_country="DE"),
        legal_name="Boomerang Demo Store",
    )
    ret = a_return("EUR", [("L1", 1, 8900), ("L2", 2, 2500)])
    hub = HUB.model_copy(update={"carriers": ["DHLExpress"], "services": []})
    return label_request(ret, german_order(), hub, settings, NOW + timedelta(days=30), NOW)


def test_a_cross_border_return_carries_customs_info_as_returned_goods() -> None:
    labels = MemoryLabels()
    carrier, sent = _carrier("return_customs_de_us", labels=labels)
    label = carrier.buy(cross_border())

    shipment = sent[0][2]["shipment"]
    assert shipment["to_address"]["country"] == "DE" and shipment["to_address"]["phone"] == "+49 30 1234567"
    assert shipment["options"]["invoice_number"] == "#2040"
    customs = shipment["customs_info"]
    assert customs["contents_type"] == "returned_goods"
    assert "#2040" in customs["contents_explanation"]
    assert customs["customs_signer"] == "Boomerang Demo Store" and customs["customs_certify"] is True
    sweater, beanie = customs["customs_items"]
    assert sweater == {
        "description": "Merino crew sweater",
        "quantity": 1,
        "value": "89.00",
        "currency": "EUR",
        # No line weight: the default parcel's 16 oz shared over 3 units.
        "weight": 5.3,
        "hs_tariff_number": "611011",
        "origin_country": "PT",
        "code": "L1",
    }
    # The beanie has no product data: the shop's defaults.
    assert (beanie["hs_tariff_number"], beanie["origin_country"], beanie["value"]) == (
        "650500",
        "DE",
        "50.00",
    )
    assert label.carrier == "DHLExpress" and label.tracking_number == "1234567890"
    assert label.qr_code_url is None
    # The carrier answered no commercial invoice: Boomerang's is stored beside the label.
    assert label.customs_document_key == "labels/demo/K7Q-4M2-XAC-customs.pdf"
    text = PdfReader(io.BytesIO(labels.stored[label.customs_document_key])).pages[0].extract_text()
    for part in (
        "RETURNED GOODS",
        "#2040",
        "Merino crew sweater",
        "611011",
        "650500",
        "PT",
        "89.00",
        "139.00",
        "Anna Müller",
        "Berlin",
        "Boomerang Returns NJ",
        "DHLExpress 1234567890",
        "Boomerang Demo Store",
    ):
        assert part in text, part  # fmt: skip


def test_the_carriers_own_commercial_invoice_is_used_where_it_gives_one() -> None:
    labels = MemoryLabels()
    carrier, _ = _carrier("return_customs_carrier_invoice", labels=labels)
    label = carrier.buy(cross_border())
    assert label.customs_invoice_url and label.customs_invoice_url.endswith(".pdf")
    assert label.customs_document_key is None and labels.stored == {}


def test_the_label_request_never_prints_the_address() -> None:
    request = cross_border()
    assert "Friedrich" not in repr(request) and "Berlin" not in repr(request)


def test_rates_become_minor_units_without_floats() -> None:
    assert to_minor_units("6.07", "USD") == Money(amount=607, currency="USD")
    assert to_minor_units("34.1", "EUR") == Money(amount=3410, currency="EUR")
    assert Decimal("0.1") + Decimal("0.2") == Decimal("0.3")


# --- one label per return: a purchase resumed after a timeout; an unused label refunded ---------


def test_a_new_purchase_tells_its_shipment_id_before_buying() -> None:
    carrier, sent = _carrier("return_label_qr")
    told: list[tuple[str, int]] = []
    request = domestic().attempt("K7Q-4M2-XAC", None, lambda sid: told.append((sid, len(sent))))
    carrier.buy(request)
    # Told after the create and before the buy: a timeout in the buy leaves the shipment known.
    assert told == [("shp_16578f588f9546ec914afd2474e24ff5", 1)]
    assert sent[0][2]["shipment"]["reference"] == "K7Q-4M2-XAC"


def test_a_resumed_purchase_finds_its_shipment_bought_and_buys_nothing() -> None:
    carrier, sent = _carrier("label_resumed")
    told: list[str] = []
    resumed = domestic().attempt("K7Q-4M2-XAC", "shp_82abbe8e8a1f4746bfbe7c943906c52c", told.append)
    label = carrier.buy(resumed)
    # EasyPost's recorded retrieve of a bought shipment: its postage is the label, no second buy.
    assert [(m, u.removeprefix("https://api.easypost.com/v2")) for m, u, _ in sent] == [
        ("GET", "/shipments/shp_82abbe8e8a1f4746bfbe7c943906c52c"),
        ("POST", "/shipments/shp_82abbe8e8a1f4746bfbe7c943906c52c/forms"),
        ("POST", "/trackers"),
    ]
    assert not told  # nothing was created
    assert label.shipment_id == "shp_82abbe8e8a1f4746bfbe7c943906c52c"
    assert label.tracking_number == "9400100208303109500775"
    assert label.cost == Money(amount=607, currency="USD")
    assert label.url and label.url.endswith(".png")  # the recording's label is a PNG


def test_a_tracker_refused_after_the_buy_is_retried_never_refused() -> None:
    # A refusal would start the purchase afresh (a second label): after a buy only a retry is right.
    client, adapter = replaying_client("return_label_qr")
    refused = replaying_client("error")[1].recorded[0]["response"]  # EasyPost's recorded 422
    for interaction in adapter.recorded:
        if interaction["request"]["uri"].endswith("/trackers"):
            interaction["response"] = refused
    with pytest.raises(CarrierUnavailable):
        EasyPostCarrier(lambda: client).buy(domestic())
    assert sum(1 for _, url, _ in adapter.sent if url.endswith("/buy")) == 1


def test_an_unused_label_is_refunded_through_easyposts_refund_endpoint() -> None:
    # The SDK's recorded refund of the label it bought (USPS 9400100208303109500775).
    carrier, sent = _carrier("refund_create")
    assert carrier.refund(a_label()) == "submitted"
    assert [(m, u, b) for m, u, b in sent] == [
        (
            "POST",
            "https://api.easypost.com/v2/refunds",
            {"refund": {"carrier": "USPS", "tracking_codes": ["9400100208303109500775"]}},
        )
    ]


def a_label() -> Label:
    return Label(
        carrier="USPS", tracking_number="9400100208303109500775", cost=Money(amount=607, currency="USD"),
        issued_at=NOW, valid_until=NOW + timedelta(days=30),
        shipment_id="shp_82abbe8e8a1f4746bfbe7c943906c52c",
    )  # fmt: skip
