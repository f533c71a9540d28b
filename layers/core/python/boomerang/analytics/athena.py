"""The reports on Athena: the lake's Glue database, through the deployment's workgroup (which caps
the bytes a query scans and says where results go). Parameters are passed as Athena's execution
parameters (SQL literals), never spliced into the text."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from boomerang.analytics.reports import ReportsUnavailable

# Under the admin API's timeout (API Gateway waits 29 s at most).
WAIT_SECONDS = 25.0
POLL_SECONDS = 0.25
_TYPES: dict[str, Callable[[str], Any]] = {
    "bigint": int,
    "integer": int,
    "tinyint": int,
    "smallint": int,
    "double": float,
    "float": float,
    "real": float,
    "boolean": lambda v: v == "true",
}


def literal(value: str) -> str:
    """A string as an SQL literal: quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


class AthenaEngine:
    def __init__(
        self,
        workgroup: str,
        database: str,
        client: Any | None = None,
        sleep: Callable[[float], None] = time.sleep,
        wait_seconds: float = WAIT_SECONDS,
    ) -> None:
        self.workgroup, self.database = workgroup, database
        self._client, self._sleep, self._wait = client, sleep, wait_seconds

    @property
    def client(self) -> Any:
        if self._client is None:  # made on first use: the admin API's other routes never need it
            import boto3
            from botocore.config import Config

            self._client = boto3.client("athena", config=Config(connect_timeout=3, read_timeout=10))
        return self._client

    def run(self, sql: str, parameters: list[str]) -> tuple[list[str], list[list[Any]]]:
        started = self.client.start_query_execution(
            QueryString=sql,
            QueryExecutionContext={"Database": self.database},
            WorkGroup=self.workgroup,
            **({"ExecutionParameters": [literal(p) for p in parameters]} if parameters else {}),
        )
        query_id = started["QueryExecutionId"]
        waited = 0.0
        while True:
            status = self.client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
            state = status["State"]
            if state == "SUCCEEDED":
                break
            if state in ("FAILED", "CANCELLED"):
                raise ReportsUnavailable(
                    f"The report's query {state.lower()}: {status.get('StateChangeReason', '')}"
                )
            if waited >= self._wait:
                self.client.stop_query_execution(QueryExecutionId=query_id)
                raise ReportsUnavailable("The report took too long; retry with a shorter range.")
            self._sleep(POLL_SECONDS)
            waited += POLL_SECONDS
        return self._results(query_id)

    def _results(self, query_id: str) -> tuple[list[str], list[list[Any]]]:
        columns: list[str] = []
        types: list[str] = []
        rows: list[list[Any]] = []
        first = True
        for page in self.client.get_paginator("get_query_results").paginate(QueryExecutionId=query_id):
            result = page["ResultSet"]
            if not columns:
                info = result["ResultSetMetadata"]["ColumnInfo"]
                columns = [c["Name"] for c in info]
                types = [c["Type"] for c in info]
            data = result["Rows"]
            if first:  # the first row of the first page repeats the column names
                data, first = data[1:], False
            for row in data:
                cells = [cell.get("VarCharValue") for cell in row["Data"]]
                rows.append([_typed(v, t) for v, t in zip(cells, types, strict=True)])
        return columns, rows


def _typed(value: str | None, kind: str) -> Any:
    if value is None:
        return None
    convert = _TYPES.get(kind.lower())
    return convert(value) if convert else value
