"""Twenty customers ask, at the same instant and over HTTP, to exchange for the last unit of a
variant: the local front runs the storefront function in worker processes (each its own Lambda
container, local/workers.py), so the requests race as on AWS and only DynamoDB's conditional write
decides. One reservation; every other request answers 422 out_of_stock; stock never below zero."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from boomerang.api.routes import STOREFRONT_ROUTES
from local.dynamodb_local import free_port
from local.http_front import LocalRoute, make_server
from local.workers import FunctionImport, Workers
from tests.integration.test_exchanges import (
    KEY,
    linked_order,
    product_body,
    put_product,
    shop,  # the exchange shop's fixture
    variant_stock,
)

RACERS = 20
WORKERS = 3


@pytest.fixture(scope="module")
def front(local_aws: Any, shop: str) -> Iterator[str]:
    function = FunctionImport(
        "StorefrontApi", "functions.storefront_api.handler", "handler", local_aws.function_environment()
    )
    workers = Workers([function], WORKERS).start()
    server = make_server("127.0.0.1", free_port(), [])
    try:
        workers.wait_ready()
        server.concurrent = True
        server.routes = [
            LocalRoute(method, path, workers.handler("StorefrontApi"), "storefront_api")
            for method, path in STOREFRONT_ROUTES
        ]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        workers.close()


def _post(url: str, body: dict[str, Any]) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json", "x-api-key": KEY, "Idempotency-Key": uuid.uuid4().hex}
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_twenty_exchanges_for_the_last_unit_make_one_reservation(api: Any, repo: Any, front: str) -> None:
    pid = f"tee{uuid.uuid4().hex[:8]}"
    assert put_product(api, product_body(pid, {"S": 50, "M": 1}))[0] == 201
    orders = [linked_order(api, pid) for _ in range(RACERS)]
    bodies = [
        {
            "order_id": order["order_id"],
            "items": [
                {
                    "line_id": order["lines"][0]["line_id"],
                    "quantity": 1,
                    "reason": "size_too_small",
                    "exchange_variant_id": f"{pid}-M",
                }
            ],
            "resolution": "exchange",
        }
        for order in orders
    ]
    barrier = threading.Barrier(RACERS)

    def one(body: dict[str, Any]) -> tuple[int, Any]:
        barrier.wait()
        return _post(f"{front}/v1/returns", body)

    with ThreadPoolExecutor(RACERS) as pool:
        answers = list(pool.map(one, bodies))
    outcomes = Counter((status, None if status == 201 else body["error"]["code"]) for status, body in answers)
    assert outcomes == {(201, None): 1, (422, "out_of_stock"): RACERS - 1}, answers
    assert all(
        body["error"]["details"][0]["variant_id"] == f"{pid}-M" for status, body in answers if status == 422
    )
    assert variant_stock(repo, pid, f"{pid}-M") == (1, 1, 0)  # stock 1, one held, none below zero
