"""The admin function's role covers every DynamoDB call its policy routes make.

The policy routes (api/staff/policy.py) run services/policy_admin.py and ShopAdmin.exists. Here they
run on moto's DynamoDB, with the table made from the synthesized template's own definition; every
call is recorded as the IAM action and resource AWS authorizes it as (a TransactWriteItems as each
item's PutItem, UpdateItem or ConditionCheckItem; a Query with IndexName on that index), and each
must be granted by the function's role. A grant missing here would be an AccessDenied in production
that no test on DynamoDB Local (which checks no IAM) could see.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from boomerang.auth.principal import Principal
from boomerang.domain.models import Order, OrderLine, Resolution
from boomerang.domain.money import Money
from boomerang.domain.policy import RequestedItem, default_policy
from boomerang.services.policy_admin import PolicyAdmin
from boomerang.services.returns import ReturnRequest, ReturnsService
from boomerang.services.shops import ShopAdmin
from boomerang.store.records import Repository
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra

NOW = datetime.now(UTC).replace(microsecond=0)
TABLE = "boomerang-grants"
TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def _table_id(synthesized: Synthesized) -> str:
    return next(
        key
        for key, r in synthesized.of_type("AWS::DynamoDB::Table").items()
        if "GlobalSecondaryIndexes" in r["Properties"]
    )


class Recorded:
    def __init__(self, ddb: Any) -> None:
        self.ddb = ddb
        self.calls: set[tuple[str, str | None]] = set()  # (IAM action, index name or None)


@pytest.fixture
def recorded(synthesized: Synthesized, monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorded]:
    """A DynamoDB client on moto's table, and every call made through it, as IAM authorizes it."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    definition = synthesized.resources[_table_id(synthesized)]["Properties"]

    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=definition["KeySchema"],
            AttributeDefinitions=definition["AttributeDefinitions"],
            GlobalSecondaryIndexes=[
                {k: index[k] for k in ("IndexName", "KeySchema", "Projection")}
                for index in definition["GlobalSecondaryIndexes"]
            ],
        )
        made = Recorded(ddb)

        def record(model: Any, params: dict[str, Any], **_: Any) -> None:
            if model.name == "TransactWriteItems":
                for item in params["TransactItems"]:
                    made.calls.update((f"dynamodb:{TRANSACT_ACTIONS[kind]}", None) for kind in item)
            else:
                made.calls.add((f"dynamodb:{model.name}", params.get("IndexName")))

        ddb.meta.events.register("provide-client-params.dynamodb.*", record)
        yield made


def _a_return(repo: Repository, shop: str) -> None:
    repo.upsert_order(
        Order(
            shop=shop,
            order_id="o1",
            order_number="#o1",
            customer_email="o1@example.com",
            customer_country="US",
            currency="USD",
            ordered_at=NOW - timedelta(days=8),
            lines=[
                OrderLine(
                    line_id="L1",
                    sku="SKU",
                    category="apparel",
                    quantity=1,
                    unit_price=Money(amount=3900, currency="USD"),
                    delivered_at=NOW - timedelta(days=5),
                )
            ],
        )
    )
    request = ReturnRequest(
        "o1", [RequestedItem(line_id="L1", quantity=1, reason="size_too_small")], Resolution.REFUND, {}, "en"
    )
    ReturnsService(repo, lambda _: default_policy(), lambda: b"k" * 32).create_return(
        Principal(shop=shop), request, NOW
    )


def test_the_admin_role_grants_every_call_of_the_policy_routes(
    synthesized: Synthesized, recorded: Recorded
) -> None:
    repo = Repository(TABLE, recorded.ddb)
    _a_return(repo, "acme")
    recorded.calls.clear()  # what the setup did is the storefront's business
    calls = recorded.calls

    # What the four routes call (api/staff/policy.py), in their order.
    admin = PolicyAdmin(repo)
    assert ShopAdmin(repo).exists("acme") is False  # no shop item: still a read the route makes
    assert admin.current("acme").version == 1
    saved = admin.update("acme", {"window_days": 45}, '"v1"', "staff:alice", NOW)
    assert admin.update("acme", {"window_days": 40}, saved.etag, "staff:alice", NOW).version == 3
    assert [v.version for v in admin.versions("acme").items] == [3, 2]
    assert admin.simulate("acme", {"window_days": 10}, 30, NOW + timedelta(seconds=1)).result.considered == 1
    assert calls, "no call recorded"

    _, function = synthesized.function("admin_api")
    granted: dict[str | None, set[str]] = {}
    table_arn = json.dumps({"Fn::GetAtt": [_table_id(synthesized), "Arn"]}, sort_keys=True)
    for statement in synthesized.role_statements(function):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        for resource in resources:
            text = json.dumps(resource, sort_keys=True)
            if text == table_arn:
                granted.setdefault(None, set()).update(actions)
            elif table_arn in text and "/index/" in text:
                index = text.rsplit("/index/", 1)[1].split('"')[0]
                granted.setdefault(index, set()).update(actions)
    missing = sorted(
        f"{action} on {f'index {index}' if index else 'the table'}"
        for action, index in calls
        if action not in granted.get(index, set())
    )
    assert not missing, f"the admin function's role lacks: {missing}"
    # Reads of the indexes were made (the simulation's Query per status on gsi3), and checked.
    assert ("dynamodb:Query", "gsi3") in calls
    assert ("dynamodb:PutItem", None) in calls  # the new version and the pointer, in one transaction
