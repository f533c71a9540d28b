"""The EasyPost adapter through the official SDK, against EasyPost's recorded responses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from boomerang.carriers.easypost import EasyPostCarrier, to_minor_units
from boomerang.domain.models import Address, Decision, HubChoice, Outcome, Resolution, Return, ReturnItem
from boomerang.domain.money import Money
from boomerang.domain.policy import default_policy
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


def a_return() -> Return:
    usd = Money(amount=3900, currency="USD")
    return Return(
        rma="K7Q-4M2-XAC",
        shop="demo",
        order_id="1001",
        customer_ref="c" * 16,
        status=ReturnStatus.APPROVED,
        resolution=Resolution.REFUND,
        items=[
            ReturnItem(
                line_id="L1",
                sku="TEE",
                category="apparel",
                quantity=1,
                reason="size_too_small",
                unit_price=usd,
            )
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


def _carrier(*cassettes: str) -> tuple[EasyPostCarrier, list[tuple[str, str, object]]]:
    client, adapter = replaying_client(*cassettes)
    return EasyPostCarrier(lambda: client, lambda _ret: CUSTOMER), adapter.sent


def test_buys_the_lowest_rate_of_the_hubs_carriers_and_tracks_it() -> None:
    ret: Return = a_return()
    carrier, sent = _carrier("shipment_buy", "tracker_create")
    label = carrier.buy_return_label(ret, HUB, NOW + timedelta(days=30), NOW)

    (m1, u1, create), (m2, u2, buy), (m3, u3, track) = sent
    assert (m1, u1) == ("POST", "https://api.easypost.com/v2/shipments")
    shipment = create["shipment"]
    assert shipment["is_return"] is True
    assert shipment["reference"] == ret.rma
    assert shipment["from_address"]["zip"] == "07094"  # the hub: the label brings the parcel here
    assert shipment["to_address"]["zip"] == "90277"
    # Of the recorded USPS rates (Express 34.15, Priority 7.42, GroundAdvantage 6.07) the lowest.
    assert (m2, u2) == (
        "POST",
        "https://api.easypost.com/v2/shipments/shp_16578f588f9546ec914afd2474e24ff5/buy",
    )
    assert buy == {"rate": {"id": "rate_4d1f36fa716c4b1292cacbdf19227c2d"}}
    assert (m3, u3) == ("POST", "https://api.easypost.com/v2/trackers")
    assert track == {"tracker": {"tracking_code": "9400100208303109505657", "carrier": "USPS"}}

    assert label.carrier == "USPS"
    assert label.tracking_number == "9400100208303109505657"
    assert label.cost == Money(amount=607, currency="USD")
    assert label.shipment_id == "shp_16578f588f9546ec914afd2474e24ff5"
    assert label.url and label.url.startswith("https://easypost-files.s3")
    assert label.valid_until == NOW + timedelta(days=30)


def test_a_service_level_the_hub_allows_bounds_the_rate() -> None:
    hub = HUB.model_copy(update={"services": ["Priority"]})
    carrier, sent = _carrier("shipment_buy", "tracker_create")
    # The recording answers the buy whatever rate is named, so the request is what is checked:
    # Priority (7.42) is bought although GroundAdvantage (6.07) is cheaper.
    carrier.buy_return_label(a_return(), hub, NOW, NOW)
    assert sent[1][2] == {"rate": {"id": "rate_5b67424f63314af1b997aa72d45e41be"}}


def test_no_rate_within_the_hubs_carriers_is_an_error_and_buys_nothing() -> None:
    from easypost.errors.general.filtering_error import FilteringError

    hub = HUB.model_copy(update={"carriers": ["GLS"]})
    carrier, sent = _carrier("shipment_buy", "tracker_create")
    with pytest.raises(FilteringError):
        carrier.buy_return_label(a_return(), hub, NOW, NOW)
    assert [url for _, url, _ in sent] == ["https://api.easypost.com/v2/shipments"]


def test_an_api_error_surfaces_as_the_sdks_error() -> None:
    from easypost.errors import EasyPostError

    carrier, _ = _carrier("error")
    with pytest.raises(EasyPostError):
        carrier.buy_return_label(a_return(), HUB, NOW, NOW)


def test_rates_become_minor_units_without_floats() -> None:
    assert to_minor_units("6.07", "USD") == Money(amount=607, currency="USD")
    assert to_minor_units("34.1", "EUR") == Money(amount=3410, currency="EUR")
    assert Decimal("0.1") + Decimal("0.2") == Decimal("0.3")
