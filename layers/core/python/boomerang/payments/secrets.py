"""The Stripe keys: one Secrets Manager secret per deployment (one Stripe account per merchant's
deployment; every shop of the deployment refunds through it), read with Powertools parameters and
cached. Its value is JSON: {"api_key": "sk_...", "webhook_secret": "whsec_..."}.

`api_key` "sandbox" selects the sandbox adapter (the local stack); "unset" (what a fresh deployment
holds until the merchant pastes their key) fails loudly as a configuration error.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from boomerang.domain.models import Refund, Return
from boomerang.domain.money import Money
from boomerang.payments.port import PaymentConfigurationError, Payments

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


class SecretPayments:
    """Payments whose adapter is chosen by the secret, on first use (a function that never refunds
    never reads it, and the SDK is imported only where a real key is configured)."""

    def __init__(self, secret_name: str, http_client: Any = None):
        self.secret_name = secret_name
        self.http_client = http_client
        self._adapter: Payments | None = None
        self._key: str | None = None

    def adapter(self) -> Payments:
        secret = stripe_secret(self.secret_name)
        if self._adapter is None or secret.api_key != self._key:  # a rotated key takes effect
            if secret.sandbox:
                from boomerang.payments.sandbox import SandboxPayments

                self._adapter = SandboxPayments()
            elif not secret.api_key.startswith(("sk_", "rk_")):
                raise PaymentConfigurationError(
                    f"The Stripe secret {self.secret_name} holds no Stripe secret key (sk_... or rk_...)"
                )
            else:
                from boomerang.payments.stripe_payments import StripePayments

                self._adapter = StripePayments.with_key(secret.api_key, self.http_client)
            self._key = secret.api_key
        return self._adapter

    def refund(
        self, ret: Return, amount: Money, idempotency_key: str, payment_reference: str | None = None
    ) -> Refund:
        return self.adapter().refund(ret, amount, idempotency_key, payment_reference)
