"""Unit-test fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_powertools_providers() -> Iterator[None]:
    """Powertools keeps one parameters provider (and its boto3 client) per process. A unit test
    that reads a secret under moto's in-process mock would leave a client bound to AWS's real
    endpoint for the integration tests that run after it: drop the providers after each test."""
    yield
    from aws_lambda_powertools.utilities.parameters import base

    base.DEFAULT_PROVIDERS.clear()
