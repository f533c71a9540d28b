"""The tables as the CDK stack defines them, created on DynamoDB Local.

tests/infra checks that these definitions match the synthesized template, so local and deployed
tables cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from boomerang.store import keys


def main_table(name: str) -> dict[str, Any]:
    attrs = [keys.PK, keys.SK] + [f"{gsi}{part}" for gsi in keys.INDEXES for part in ("pk", "sk")]
    return {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in attrs],
        "KeySchema": [
            {"AttributeName": keys.PK, "KeyType": "HASH"},
            {"AttributeName": keys.SK, "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": gsi,
                "KeySchema": [
                    {"AttributeName": f"{gsi}pk", "KeyType": "HASH"},
                    {"AttributeName": f"{gsi}sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for gsi in keys.INDEXES
        ],
    }


def idempotency_table(name: str) -> dict[str, Any]:
    return {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
    }


def create_tables(ddb: Any, table: str, idempotency: str) -> None:
    existing = set(ddb.list_tables()["TableNames"])
    for spec in (main_table(table), idempotency_table(idempotency)):
        if spec["TableName"] not in existing:
            ddb.create_table(**spec)
    if table not in existing:
        ddb.update_time_to_live(
            TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": keys.TTL_ATTRIBUTE}
        )
