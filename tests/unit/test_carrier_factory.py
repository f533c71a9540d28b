"""Which carrier buys a label (boomerang.carriers.factory): the sandbox for a shop in test mode
only, EasyPost with the shop's key for a live shop's configured hub, and a clear refusal where a
live shop has no carrier or no key; never a silent sandbox."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from boomerang.carriers.easypost import EasyPostCarrier
from boomerang.carriers.factory import CarrierFactory
from boomerang.carriers.sandbox import SandboxCarrier
from boomerang.credentials import ShopCredentials
from boomerang.domain.providers import CarrierAccount, CarrierNotConfigured, Mode, ProviderSettings
from tests.unit.easypost_cassettes import replaying_client
from tests.unit.test_easypost_carrier import domestic


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="us-east-1")


def factory(settings: ProviderSettings, **kwargs: Any) -> CarrierFactory:
    return CarrierFactory(lambda _shop: settings, ShopCredentials(cache_seconds=0), **kwargs)


def test_a_shop_in_test_mode_gets_the_sandbox_and_its_labels_are_specimens() -> None:
    carrier = factory(ProviderSettings(mode=Mode.TEST)).for_hub("demo", "us-nj")
    assert isinstance(carrier, SandboxCarrier)
    label = carrier.buy(domestic())
    assert label.specimen and label.tracking_number.startswith("SBX")


def test_a_live_shop_without_a_carrier_for_the_hub_is_refused_naming_it() -> None:
    with pytest.raises(CarrierNotConfigured) as refused:
        factory(ProviderSettings(carriers={"eu-pl-gls": CarrierAccount()})).for_hub("demo", "us-nj")
    assert refused.value.code == "carrier_not_configured" and "us-nj" in str(refused.value)


def test_a_live_shop_without_its_easypost_key_is_refused_naming_the_secret(secrets: Any) -> None:
    with pytest.raises(CarrierNotConfigured) as refused:
        factory(ProviderSettings(carriers={"*": CarrierAccount()})).for_hub("demo", "us-nj")
    assert "boomerang/demo/easypost" in str(refused.value)


def test_a_live_shop_buys_through_easypost_with_its_key_and_accounts(secrets: Any) -> None:
    secrets.create_secret(
        Name="boomerang/demo/easypost", SecretString=json.dumps({"api_key": "EZAK_demo_key"})
    )
    client, adapter = replaying_client("return_label_qr")
    keys: list[str] = []

    def build(api_key: str) -> Any:
        keys.append(api_key)
        return client

    settings = ProviderSettings(
        carriers={"us-nj": CarrierAccount(carrier_accounts=["ca_b25657e9896e4d63ac8151ac346ac41e"])}
    )
    made = factory(settings, easypost_client=build)
    carrier = made.for_hub("demo", "us-nj")
    assert isinstance(carrier, EasyPostCarrier)
    label = made.buy(domestic())
    assert keys == ["EZAK_demo_key"]
    assert adapter.sent[0][2]["shipment"]["carrier_accounts"] == ["ca_b25657e9896e4d63ac8151ac346ac41e"]
    assert label.tracking_number == "9400100208303109505657" and not label.specimen
