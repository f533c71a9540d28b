"""Which carrier buys a return's label: configuration per shop and hub (boomerang.domain.providers).

- a shop in test mode: the sandbox carrier (labels read "SPECIMEN — NOT VALID FOR POSTAGE"),
  explicitly;
- a live shop: the carrier its settings name for the hub (or for "*"): EasyPost, with the shop's
  API key from Secrets Manager (`<prefix><shop>/easypost`, {"api_key": "EZAK..."});
- a live shop without a carrier for the hub, or without its key: CarrierNotConfigured, naming what
  to configure. No label is bought and nothing falls back to the sandbox; the workflow records the
  reason on the return and opens a ticket for staff.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from boomerang.carriers.labels import LabelStore
from boomerang.carriers.port import ReturnLabels
from boomerang.carriers.sandbox import SandboxCarrier
from boomerang.credentials import CredentialsError, ShopCredentials
from boomerang.domain.labels import LabelRequest
from boomerang.domain.models import Label
from boomerang.domain.providers import CarrierNotConfigured, ProviderSettings

EASYPOST_SECRET = "easypost"  # noqa: S105 (the secret's name, not a secret)


class EasyPostCredentials(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    api_key: str = Field(min_length=8)


class CarrierFactory:
    def __init__(
        self,
        settings_of: Callable[[str], ProviderSettings],
        credentials: ShopCredentials | None = None,
        labels: LabelStore | None = None,
        easypost_client: Callable[[str], Any] | None = None,
    ):
        """`easypost_client(api_key)` builds the SDK client (tests give one that replays)."""
        self.settings_of = settings_of
        self.credentials = credentials or ShopCredentials()
        self.labels = labels
        self.easypost_client = easypost_client
        self._clients: dict[str, tuple[str, Any]] = {}

    def for_hub(self, shop: str, hub_id: str) -> ReturnLabels:
        settings = self.settings_of(shop)
        if settings.test_mode:
            return SandboxCarrier(self.labels)
        account = settings.carrier_for(hub_id)
        if account is None:
            raise CarrierNotConfigured(
                f"Shop {shop} has no carrier for hub {hub_id}: no label was bought. Configure one "
                "(docs/CARRIERS.md).",
                details=[{"shop": shop, "hub_id": hub_id}],
            )
        from boomerang.carriers.easypost import EasyPostCarrier

        try:
            creds = self.credentials.read(shop, EASYPOST_SECRET, EasyPostCredentials)
        except CredentialsError as exc:
            raise CarrierNotConfigured(
                f"Shop {shop}'s EasyPost key is not usable: {exc}. No label was bought.",
                details=[{"shop": shop, "hub_id": hub_id, "secret": exc.name}],
            ) from None
        return EasyPostCarrier(
            lambda: self._client(shop, creds.api_key),
            parcel=account.parcel,
            labels=self.labels,
            carrier_accounts=account.carrier_accounts,
        )

    def buy(self, request: LabelRequest) -> Label:
        return self.for_hub(request.ret.shop, request.hub.hub_id).buy(request)

    def _client(self, shop: str, api_key: str) -> Any:
        cached = self._clients.get(shop)
        if cached is None or cached[0] != api_key:  # a rotated key takes effect
            if self.easypost_client is not None:
                made = self.easypost_client(api_key)
            else:
                from boomerang.carriers.easypost import easypost_client

                made = easypost_client(api_key)
            cached = (api_key, made)
            self._clients[shop] = cached
        return cached[1]
