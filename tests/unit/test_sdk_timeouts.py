"""Every SDK call has a timeout below its function's timeout (issue 14): botocore's defaults (60 s to
connect, 60 s to read, retried) and Powertools' default secrets provider would outlast any of our
functions. Read from the code itself: every AWS client a Lambda makes is given a bounded Config,
every module that reads a secret through Powertools installs the bounded provider first, and that
provider's bounds are AWS's budget. (The provider SDKs' own timeouts are tested with each adapter:
test_stripe_adapter, test_shopify_paypal_payments, test_easypost_carrier, test_tracking_registration,
test_klaviyo; their budgets against the functions in tests/infra/test_providers_infra.)"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from boomerang.aws import aws_config, bound_secrets
from boomerang.timeouts import AWS

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    *(ROOT / "functions").rglob("*.py"),
    *(ROOT / "layers" / "core" / "python" / "boomerang").rglob("*.py"),
]
# The operator's CLI runs on a laptop, not in Lambda: its own Config (cli/target.py) bounds it.
NOT_IN_LAMBDA = ("boomerang/cli/",)


def _calls(tree: ast.AST, attribute: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == attribute
    ]


def test_every_aws_client_a_function_makes_has_a_bounded_config() -> None:
    unbounded = []
    for path in SOURCES:
        if any(part in path.as_posix() for part in NOT_IN_LAMBDA):
            continue
        tree = ast.parse(path.read_text())
        for call in _calls(tree, "client") + _calls(tree, "resource"):
            owner = call.func.value  # type: ignore[attr-defined]
            bounded = any(k.arg == "config" for k in call.keywords)
            if isinstance(owner, ast.Name) and owner.id == "boto3" and not bounded:
                unbounded.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    assert not unbounded, unbounded


def test_every_module_reading_a_secret_through_powertools_bounds_it_first() -> None:
    unbounded = []
    for path in SOURCES:
        text = path.read_text()
        if "parameters.get_secret(" in text and "bound_secrets()" not in text:
            unbounded.append(str(path.relative_to(ROOT)))
    assert not unbounded, unbounded


def test_the_bounds_are_awss_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    config = aws_config()
    assert (config.connect_timeout, config.read_timeout) == (AWS.timeout_seconds, AWS.timeout_seconds)
    assert config.retries == {"max_attempts": AWS.attempts, "mode": "standard"}
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    # The process's provider is put back after: one made here (no emulator endpoint) must not serve
    # a later test's secrets.
    monkeypatch.delitem(DEFAULT_PROVIDERS, "secrets", raising=False)
    bound_secrets()
    provider = DEFAULT_PROVIDERS["secrets"]
    client_config = provider.client.meta.config
    assert (client_config.connect_timeout, client_config.read_timeout) == (5, 5)
    bound_secrets()
    assert DEFAULT_PROVIDERS["secrets"] is provider  # kept, with its cache
