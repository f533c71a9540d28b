"""A shop's providers: whether it is live or in test mode, which carrier buys its labels per hub,
and its customs defaults. Plain data (stored per shop by boomerang.store.providers); the
credentials themselves live in Secrets Manager, one secret per shop and provider
(`<prefix><shop>/<provider>`, see `secret_name`).

A shop in test mode gets the sandbox adapters (labels that say SPECIMEN, refunds that settle from a
simulated webhook), explicitly. A live shop never does: where its configuration is missing, the
step fails with a clear reason and a person is asked, rather than pretending.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from boomerang.domain.customs import CustomsDefaults
from boomerang.domain.errors import Unprocessable

ANY_HUB = "*"
DEFAULT_SECRETS_PREFIX = "boomerang/"


class Mode(StrEnum):
    LIVE = "live"
    TEST = "test"


class CarrierAccount(BaseModel):
    """Who buys a hub's labels. `carrier_accounts`: EasyPost carrier account ids (`ca_...`) to rate
    with; empty: every account of the EasyPost key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: Literal["easypost"] = "easypost"
    carrier_accounts: list[str] = Field(default_factory=list, max_length=20)
    # The parcel when the shop gives no dimensions (inches and ounces, as EasyPost takes them).
    parcel: dict[str, float] | None = None


class TrackingSettings(BaseModel):
    """Outbound parcels: which tracking provider registers them (credentials in
    `boomerang/<shop>/<provider>`), where they leave from, when silence counts as a delay, and
    whether "where is my order" tickets of parcels on time are answered with no person."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: Literal["17track", "aftership", "sandbox"]
    origin_country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    quiet_days: int = Field(default=5, ge=1, le=60)
    auto_answer: bool = False


class ProviderSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Mode = Mode.LIVE
    # Hub id -> its carrier; "*" for every hub without its own entry.
    carriers: dict[str, CarrierAccount] = Field(default_factory=dict)
    customs: CustomsDefaults | None = None
    # The name that signs customs papers (the shop's legal name); the hub's name where empty.
    legal_name: str | None = Field(default=None, max_length=255)
    tracking: TrackingSettings | None = None

    @property
    def test_mode(self) -> bool:
        return self.mode is Mode.TEST

    def carrier_for(self, hub_id: str) -> CarrierAccount | None:
        return self.carriers.get(hub_id) or self.carriers.get(ANY_HUB)

    @model_validator(mode="after")
    def _known_keys(self) -> ProviderSettings:
        for key in self.carriers:
            if not key:
                raise ValueError("a carrier entry names a hub id or '*'")
        return self


class CarrierNotConfigured(Unprocessable):
    """A live shop's hub has no carrier: no label is bought; staff configure one (a ticket)."""

    code = "carrier_not_configured"


def secret_name(prefix: str, shop: str, provider: str) -> str:
    """The Secrets Manager name of a shop's credentials for one provider, e.g.
    `boomerang/acme/stripe`, `boomerang/acme/shopify-admin`, `boomerang/acme/paypal`,
    `boomerang/acme/easypost`."""
    return f"{prefix}{shop}/{provider}"
