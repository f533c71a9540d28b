"""Issue 13, item 10: after POST /admin/v1/customers/{email}/erase, nothing of the person is left in
any table (the idempotency table included: its records keep ids only, boomerang.api.idempotency)
nor in any bucket's object keys or metadata; the storefront's replays still answer, rebuilt from
the erased records, and the person's own tokens are signed out."""

from __future__ import annotations

import json
import uuid
from types import ModuleType
from typing import Any

import boto3

from tests.integration.test_idempotency_scope import calls  # noqa: F401 (a fixture)
from tests.integration.test_storefront_api import create_order, session
from tests.integration.test_tickets_api import (
    TicketCalls,
    tickets,  # noqa: F401 (a fixture)
)


def _everything_stored() -> str:
    """Every item of every DynamoDB table, and every object key and metadata of every bucket, as text."""
    ddb, s3 = boto3.client("dynamodb"), boto3.client("s3")
    found: list[Any] = []
    for table in ddb.list_tables()["TableNames"]:
        for page in ddb.get_paginator("scan").paginate(TableName=table):
            found.extend(page["Items"])
    for bucket in s3.list_buckets()["Buckets"]:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket["Name"]):
            for version in page.get("Versions", []):
                # An unversioned bucket lists its objects with the version id "null".
                versioned = {} if version["VersionId"] == "null" else {"VersionId": version["VersionId"]}
                head = s3.head_object(Bucket=bucket["Name"], Key=version["Key"], **versioned)
                found.append([version["Key"], head.get("Metadata"), head.get("ContentDisposition")])
    return json.dumps(found, default=str).lower()


def test_no_table_or_bucket_holds_the_person_after_erasure(
    api: Any,
    calls: TicketCalls,  # noqa: F811
    staff_api: Any,
    storefront: ModuleType,
) -> None:
    tag = uuid.uuid4().hex[:8]
    email, name, street = f"zenobia.{tag}@example.com", f"Zenobia Quillfeather{tag}", f"{tag} Marrowbone Lane"
    order = create_order(api, email=email)
    token = session(api, order)
    note = f"{name}, {street}: too small"
    body = {
        "order_id": order["order_id"],
        "items": [{"line_id": order["lines"][0]["line_id"], "quantity": 1, "reason": "size_too_small",
                   "note": note}],
        "resolution": "refund",
    }  # fmt: skip
    status, made = api.call(
        "POST", "/v1/returns", body, headers={"Idempotency-Key": f"erase-{tag}"}, token=token
    )
    assert status == 201, made
    ticket = {
        "message": f"Please send the label to {street}.",
        "order_id": order["order_id"],
        "contact": {"name": name, "email": email},
        "language": "en",
    }
    status, opened = calls.call("POST", "/v1/tickets", ticket, key=f"erase-{tag}")
    assert status == 201, opened
    stored = _everything_stored()
    assert email in stored and name.lower() in stored and street.lower() in stored  # the scan sees them

    quoted = email.replace("@", "%40")
    status, report = staff_api.call("POST", f"/admin/v1/customers/{quoted}/erase", query={"shop": ["demo"]})
    assert status == 200, report

    stored = _everything_stored()
    assert email not in stored
    assert name.lower() not in stored
    assert street.lower() not in stored
    # Erasure signed the person out everywhere: their token's replay is refused, not answered.
    status, again = api.call(
        "POST", "/v1/returns", body, headers={"Idempotency-Key": f"erase-{tag}"}, token=token
    )
    assert (status, again["error"]["code"]) == (401, "session_revoked"), again
    # The storefront's replay answers what the records say now: the same ticket, erased.
    status, again = calls.call("POST", "/v1/tickets", ticket, key=f"erase-{tag}")
    assert status == 201 and again["ticket_id"] == opened["ticket_id"]
    assert street not in json.dumps(again)
