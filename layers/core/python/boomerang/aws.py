"""AWS SDK clients with the timeouts of boomerang.timeouts.AWS: botocore's own defaults wait 60 s to
connect and 60 s to read, several times, far past a Lambda function's timeout. Every client the
functions make goes through `aws_config` (a test holds the code to it: tests/unit/test_sdk_timeouts),
and Powertools' secrets provider gets the same bounds before a function's first secret read."""

from __future__ import annotations

from typing import Any

from boomerang.timeouts import AWS


def aws_config(**extra: Any) -> Any:
    from botocore.config import Config

    return Config(
        connect_timeout=AWS.timeout_seconds,
        read_timeout=AWS.timeout_seconds,
        retries={"max_attempts": AWS.attempts, "mode": "standard"},
        **extra,
    )


def aws_client(service: str, **options: Any) -> Any:
    import boto3

    return boto3.client(service, config=aws_config(), **options)


def bound_secrets() -> None:
    """Powertools' default secrets provider (parameters.get_secret) with aws_config's bounds; the
    first call installs it, before any secret is read, and later calls keep it (and its cache)."""
    from aws_lambda_powertools.utilities.parameters import SecretsProvider
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

    current = DEFAULT_PROVIDERS.get("secrets")
    if not isinstance(current, SecretsProvider) or getattr(current, "_bounded", False) is not True:
        provider = SecretsProvider(boto_config=aws_config())
        provider._bounded = True  # type: ignore[attr-defined]
        DEFAULT_PROVIDERS["secrets"] = provider
