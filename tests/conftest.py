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

from boomerang.api.routes import ADMIN_ROUTES, STOREFRONT_ROUTES
from boomerang.store.records import Repository
from local.apigw_events import LambdaContext, match_route, rest_event
from local.demo.data import DEMO_API_KEY, seed_shop


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


def answer(result: dict[str, Any]) -> tuple[int, Any]:
    """A proxy integration's result as (status, parsed JSON body, or the text if it is not JSON)."""
    payload = result.get("body") or ""
    try:
        return int(result["statusCode"]), json.loads(payload) if payload else None
    except ValueError:
        return int(result["statusCode"]), payload


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
        return answer(self.module.handler(event, LambdaContext()))


@pytest.fixture(scope="session")
def api(storefront: ModuleType) -> Api:
    return Api(storefront)


@pytest.fixture(scope="session")
def admin(local_aws: Any, repo: Repository) -> ModuleType:
    """The staff (admin) handler module, imported with the function's environment."""
    return importlib.import_module("functions.admin_api.handler")


def staff_claims(
    username: str | None = "alice",
    groups: str | list[str] | None = "admin",
    shops: str | None = "*",
    **extra: str,
) -> dict[str, Any]:
    """The claims of a staff ID token as API Gateway's Cognito User Pools authorizer passes them
    (REST API: every value a string, `cognito:groups` as one string such as "support,warehouse").
    `shops` is the `custom:shops` attribute: every shop ("*") unless a test says otherwise."""
    claims: dict[str, Any] = {
        "sub": "3f1c2d9e-0b7a-4c55-9d1e-2a6b8c0f4e11",
        "email_verified": "true",
        "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example",
        "aud": "4h5j6k7l8m9n0p1q2r3s4t5u6v",
        "token_use": "id",
        "auth_time": "1767225600",
        "exp": "Thu Jan 01 01:00:00 UTC 2026",
        "iat": "Thu Jan 01 00:00:00 UTC 2026",
        "email": f"{username or 'someone'}@staff.example.com",
        **extra,
    }
    if username is not None:
        claims["cognito:username"] = username
    if groups is not None:
        claims["cognito:groups"] = groups
    if shops is not None:
        claims["custom:shops"] = shops
    return claims


class StaffApi:
    """Calls the admin handler with API Gateway REST proxy events carrying the Cognito authorizer's
    claims in requestContext.authorizer.claims, as API Gateway would after verifying the ID token."""

    def __init__(self, module: ModuleType):
        self.module = module

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> tuple[int, Any]:
        return answer(self.result(method, path, body, **kwargs))

    def result(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        claims: dict[str, Any] | None = None,
        user: str = "alice",
        groups: str | list[str] | None = "admin",
        shops: str | None = "*",
        anonymous: bool = False,
        raw_body: str | None = None,
        query: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """The handler's whole proxy result (status, headers, body)."""
        found = match_route(ADMIN_ROUTES, method, path)
        resource, params = found if found else (path, {})
        text = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
        sent = {"Content-Type": "application/json", "Authorization": "eyJraWQiOi.staff.idtoken"}
        event = rest_event(
            method,
            path,
            resource=resource,
            path_parameters=params,
            headers=sent | (headers or {}),
            body=text,
            query=query,
        )
        if not anonymous:
            event["requestContext"]["authorizer"] = {"claims": claims or staff_claims(user, groups, shops)}
        result: dict[str, Any] = self.module.handler(event, LambdaContext(function_name="admin_api"))
        return result


@pytest.fixture(scope="session")
def staff_api(admin: ModuleType) -> StaffApi:
    return StaffApi(admin)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/integration/" in str(item.fspath) or "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)
