"""Cold start: import-and-init of the storefront handler in fresh processes, next to the floor.

The floor is a fresh process importing only the third-party pieces the handler uses (boto3,
pydantic and the Powertools utilities, Tracer included). Both are timed inside the process
around the imports, so interpreter start-up is left out of both; runs alternate so a busy
machine slows both alike.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_FLOOR = """
import time
t = time.perf_counter()
import boto3, pydantic
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi import params
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function
Logger(); Metrics(); Tracer()
print((time.perf_counter() - t) * 1000)
"""

_FLOOR_WITH_CLIENT = _FLOOR.replace(
    "Logger(); Metrics(); Tracer()", "Logger(); Metrics(); Tracer(); boto3.client('dynamodb')"
)

_HANDLER = """
import time
t = time.perf_counter()
import functions.storefront_api.handler
print((time.perf_counter() - t) * 1000)
"""

ENV = {
    "TABLE_NAME": "boomerang-bench",
    "IDEMPOTENCY_TABLE_NAME": "boomerang-bench-idempotency",
    "SESSION_SECRET_NAME": "boomerang/bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "POWERTOOLS_SERVICE_NAME": "storefront_api",
    "POWERTOOLS_METRICS_NAMESPACE": "Boomerang",
}


def _run(code: str) -> float:
    env = {**os.environ, **ENV, "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


@dataclass
class ColdStart:
    floor_ms: float
    floor_with_client_ms: float
    handler_ms: float
    runs: int

    @property
    def ratio(self) -> float:
        return self.handler_ms / self.floor_ms

    @property
    def ratio_with_client(self) -> float:
        return self.handler_ms / self.floor_with_client_ms


def measure(runs: int = 11) -> ColdStart:
    _run(_HANDLER)  # warm the OS file cache and the .pyc files once, for both alike
    _run(_FLOOR)
    floor, floor_client, handler = [], [], []
    for _ in range(runs):
        floor.append(_run(_FLOOR))
        floor_client.append(_run(_FLOOR_WITH_CLIENT))
        handler.append(_run(_HANDLER))
    return ColdStart(
        statistics.median(floor), statistics.median(floor_client), statistics.median(handler), runs
    )
