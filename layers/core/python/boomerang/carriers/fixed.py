"""Carriers chosen without configuration: `OneCarrier` (one carrier for every hub, chosen explicitly
by a test or a tool) and `NO_LABELS` (for the functions that never buy a label). Kept apart from
carriers/factory.py so that those functions reach neither the EasyPost SDK nor reportlab.
"""

from __future__ import annotations

from typing import Any

from boomerang.carriers.port import ReturnLabels
from boomerang.domain.providers import CarrierNotConfigured, Mode, ProviderSettings


class OneCarrier:
    """One carrier for every hub of every shop, chosen explicitly by whoever builds the workflow (a
    test, a tool); its shops' settings are a test-mode shop's unless given."""

    def __init__(self, carrier: Any, settings: ProviderSettings | None = None):
        self.carrier = carrier
        self._settings = settings or ProviderSettings(mode=Mode.TEST)

    def settings(self, shop: str) -> ProviderSettings:
        return self._settings

    def for_hub(self, shop: str, hub_id: str) -> Any:
        return self.carrier


class NoLabels:
    """For the functions that never buy a label (the APIs, the webhooks): asked for one, it refuses
    rather than pretend. Only the workflow's label step has carriers."""

    def settings(self, shop: str) -> ProviderSettings:
        return ProviderSettings()

    def for_hub(self, shop: str, hub_id: str) -> ReturnLabels:
        raise CarrierNotConfigured(
            "This function buys no labels: the workflow's label step does.",
            details=[{"shop": shop, "hub_id": hub_id}],
        )


NO_LABELS = NoLabels()
