"""The deployment's Stripe secret, read with Powertools parameters and cached. Its value is JSON:
{"api_key": "sk_...", "webhook_secret": "whsec_..."}. The webhook verifies Stripe's events with
`webhook_secret`; the payments router (boomerang.payments.router) refunds with `api_key` for shops
that have no Stripe secret of their own. "unset" (what a fresh deployment holds until the merchant
pastes their key) fails loudly as a configuration error; "sandbox" is refused for a live shop.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from boomerang.payments.port import PaymentConfigurationError

SANDBOX_KEY = "sandbox"
CACHE_SECONDS = 300


class StripeSecret(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    api_key: str = Field(min_length=1)
    webhook_secret: str = Field(min_length=1)

    @property
    def sandbox(self) -> bool:
        return self.api_key == SANDBOX_KEY


def stripe_secret(name: str) -> StripeSecret:
    from aws_lambda_powertools.utilities import parameters

    from boomerang.aws import bound_secrets

    bound_secrets()
    try:
        value: Any = parameters.get_secret(name, transform="json", max_age=CACHE_SECONDS)
        return StripeSecret.model_validate(value)
    except (ValidationError, parameters.exceptions.TransformParameterError):
        # The value never reaches the message: only that it is malformed (`from None` drops it too).
        raise PaymentConfigurationError(f"The Stripe secret {name} is not the expected JSON") from None
    except parameters.exceptions.GetParameterError as exc:
        raise PaymentConfigurationError(
            f"The Stripe secret {name} cannot be read: {type(exc.__cause__).__name__}"
        ) from None
