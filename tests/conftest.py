"""Shared fixtures. Integration tests run on AWS's DynamoDB Local and moto's server, started once
per test session on loopback ports (local/environment.py, the same code `make local` uses)."""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest

from boomerang.api.routes import STOREFRONT_ROUTES
from boomerang.store.records import Repository
from local.apigw_events import LambdaContext, match_route, rest_event
from local.demo_data import DEMO_API_KEY, seed_shop


@pytest.fixture(scope="session")
def local_aws() -> Iterator[Any]:
    from local.environment import LocalAws

    aws = LocalAws().start()
    os.environ.update(aws.function_environment())
    yield aws
    aws.stop()


@pytest.fixture(scope="session")
def repo(local_aws: Any) -> Repository:
    return Repository(local_aws.table, boto3.client("dynamodb"))


@pytest.fixture(scope="session")
def storefront(local_aws: Any, repo: Repository) -> ModuleType:
    """The storefront handler module, imported with the function's environment."""
    module = importlib.import_module("functions.storefront_api.handler")
    seed_shop(module.repo)
    seed_shop(module.repo, shop="other", api_key="bk_other_local_only_key_000000000000")
    return module


class Api:
    """Calls the handler with API Gateway REST proxy events, as API Gateway would."""

    def __init__(self, module: ModuleType):
        self.module = module

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        api_key: str | None = DEMO_API_KEY,
        token: str | None = None,
        raw_body: str | None = None,
        query: dict[str, list[str]] | None = None,
    ) -> tuple[int, Any]:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        elif api_key:
            sent["x-api-key"] = api_key
        found = match_route(STOREFRONT_ROUTES, method, path)
        resource, params = found if found else (path, {})
        text = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
        event = rest_event(
            method, path, resource=resource, path_parameters=params, headers=sent, body=text, query=query
        )
        result = self.module.handler(event, LambdaContext())
        payload = result.get("body") or ""
        try:
            parsed = json.loads(payload) if payload else None
        except ValueError:
            parsed = payload
        return int(result["statusCode"]), parsed


@pytest.fixture(scope="session")
def api(storefront: ModuleType) -> Api:
    return Api(storefront)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/integration/" in str(item.fspath) or "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)
