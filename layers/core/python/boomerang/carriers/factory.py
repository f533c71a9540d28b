"""Which carrier buys a return's label: configuration per shop and hub (boomerang.domain.providers).

- a shop in test mode: the sandbox carrier (labels read "SPECIMEN — NOT VALID FOR POSTAGE"),
  explicitly;
- a live shop: the carrier its settings name for the hub (or for "*"): EasyPost, with the shop's
  API key from Secrets Manager (`<prefix><shop>/easypost`, {"api_key": "EZAK..."});
- a live shop without a carrier for the hub, or without its key: CarrierNotConfigured, naming what
  to configure. No label is bought and nothing falls back to the sandbox; the workflow records the
  reason on the return and opens a ticket for staff.

Every function gets its carriers here: the label step a CarrierFactory built by `carrier_factory`
from its configuration (the shop's provider settings on the table, its EasyPost key in Secrets
Manager, the label bucket); the functions that buy no labels `NO_LABELS`, which refuses to. Tests
and tools that choose one carrier for every hub say so with `OneCarrier`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from boomerang.carriers.fixed import NO_LABELS, NoLabels, OneCarrier
from boomerang.carriers.labels import LabelStore
from boomerang.carriers.port import ReturnLabels
from boomerang.carriers.sandbox import SandboxCarrier
from boomerang.credentials import CredentialsError, ShopCredentials
from boomerang.domain.labels import LabelRequest
from boomerang.domain.models import Label
from boomerang.domain.providers import CarrierNotConfigured, ProviderSettings

__all__ = ["NO_LABELS", "CarrierFactory", "EasyPostCredentials", "NoLabels", "OneCarrier", "carrier_factory"]

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
        easypost_api_base: str = "",
    ):
        """`easypost_client(api_key)` builds the SDK client (tests give one that replays)."""
        self.settings_of = settings_of
        self.credentials = credentials or ShopCredentials()
        self.labels = labels
        self.easypost_client = easypost_client
        # Where the SDK sends its requests: EasyPost's API, or `make local`'s fake (local/easypost.py).
        self.easypost_api_base = easypost_api_base
        self._clients: dict[str, tuple[str, Any]] = {}

    def settings(self, shop: str) -> ProviderSettings:
        return self.settings_of(shop)

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

                made = easypost_client(api_key, self.easypost_api_base)
            cached = (api_key, made)
            self._clients[shop] = cached
        return cached[1]


def carrier_factory(
    table_name: str, ddb: Any, label_bucket_name: str = "", easypost_api_base: str = ""
) -> CarrierFactory:
    """The label step's carriers, from its configuration: each shop's provider settings (cached a
    minute, boomerang.store.providers), its credentials from Secrets Manager, the label bucket
    where Boomerang stores the PDFs it renders (specimens, customs invoices)."""
    from boomerang.store.providers import ProviderSettingsStore

    return CarrierFactory(
        ProviderSettingsStore(table_name, ddb).get,
        ShopCredentials(),
        LabelStore(label_bucket_name) if label_bucket_name else None,
        easypost_api_base=easypost_api_base,
    )
