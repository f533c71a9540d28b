"""A shop's provider credentials, one Secrets Manager secret per shop and provider (its name from
boomerang.domain.providers.secret_name), read through Powertools parameters and cached for a few
minutes (a rotated value takes effect within that time). Each value is JSON, validated by the
adapter's model; neither the value nor a part of it ever reaches a log line or an error message.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from boomerang.domain.providers import DEFAULT_SECRETS_PREFIX, secret_name

CACHE_SECONDS = 300
M = TypeVar("M", bound=BaseModel)


class CredentialsError(Exception):
    """The shop's secret for a provider is missing, unreadable or malformed: staff must act."""

    def __init__(self, message: str, name: str, missing: bool):
        super().__init__(message)
        self.name = name
        self.missing = missing


class ShopCredentials:
    def __init__(self, prefix: str = DEFAULT_SECRETS_PREFIX, cache_seconds: int = CACHE_SECONDS):
        self.prefix = prefix
        self.cache_seconds = cache_seconds

    def name(self, shop: str, provider: str) -> str:
        return secret_name(self.prefix, shop, provider)

    def read(self, shop: str, provider: str, model: type[M]) -> M:
        return self.read_named(self.name(shop, provider), model)

    def read_named(self, name: str, model: type[M]) -> M:
        from aws_lambda_powertools.utilities import parameters

        from boomerang.aws import bound_secrets

        bound_secrets()
        try:
            value: Any = parameters.get_secret(name, transform="json", max_age=self.cache_seconds)
            return model.model_validate(value)
        except (ValidationError, parameters.exceptions.TransformParameterError):
            # `from None`: the value (and pydantic's echo of it) never travels with the error.
            raise CredentialsError(f"The secret {name} is not the expected JSON", name, False) from None
        except parameters.exceptions.GetParameterError as exc:
            cause = type(exc.__cause__).__name__ if exc.__cause__ else "error"
            missing = "ResourceNotFound" in cause or "ResourceNotFound" in str(exc)
            what = "does not exist" if missing else f"cannot be read ({cause})"
            raise CredentialsError(f"The secret {name} {what}", name, missing) from None
