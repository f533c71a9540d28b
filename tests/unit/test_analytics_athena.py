"""The reports' Athena engine against moto's Athena: the query goes to the deployment's workgroup
and database with the parameters as SQL literals, and the results come back typed, without
Athena's header row. (moto runs no SQL: the rows are what moto is told Athena answered.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.athena.models import QueryResults, athena_backends
from moto.core import DEFAULT_ACCOUNT_ID

from boomerang.analytics.athena import AthenaEngine, literal
from boomerang.analytics.reports import ReportsUnavailable, bind, report_sql

REGION = "us-east-1"


@pytest.fixture
def athena() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("athena", region_name=REGION)
        client.create_work_group(Name="Boomerang-reports")
        yield client


def _cell(value: str | None) -> dict[str, str]:
    return {} if value is None else {"VarCharValue": value}


def answer(columns: list[tuple[str, str]], rows: list[list[str | None]]) -> None:
    """What Athena answers: a header row first, every value a string (None: no VarCharValue)."""
    header = {"Data": [_cell(name) for name, _ in columns]}
    data = [{"Data": [_cell(v) for v in row]} for row in rows]
    info = [{"Name": n, "Type": t, "Label": n} for n, t in columns]
    athena_backends[DEFAULT_ACCOUNT_ID][REGION].query_results_queue.append(
        QueryResults([header, *data], info)
    )


def test_a_report_runs_in_the_workgroup_with_literal_parameters(athena: Any) -> None:
    answer(
        [("dimension", "varchar"), ("units_sold", "bigint"), ("return_rate", "double")],
        [["sku", "10", "0.2"], ["reason", None, None]],
    )
    # A shop id never holds a quote (ReportQuery refuses one); the literal doubles it all the same.
    sql, values = bind(
        report_sql("return_rate"), {"shop": "o'shop", "from": "2026-03-01", "to": "2026-03-31"}
    )
    engine = AthenaEngine("Boomerang-reports", "boomerang_lake", client=athena, sleep=lambda _: None)
    columns, rows = engine.run(sql, values)
    assert columns == ["dimension", "units_sold", "return_rate"]
    assert rows == [["sku", 10, 0.2], ["reason", None, None]]
    (execution_id,) = athena.list_query_executions(WorkGroup="Boomerang-reports")["QueryExecutionIds"]
    execution = athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
    assert execution["QueryExecutionContext"]["Database"] == "boomerang_lake"
    assert execution["ExecutionParameters"] == ["'o''shop'", "'2026-03-01'", "'2026-03-31'"]
    assert ":shop" not in execution["Query"] and "?" in execution["Query"]


def test_a_query_still_running_past_the_wait_is_stopped(athena: Any) -> None:
    class Running:
        def __init__(self) -> None:
            self.stopped: list[str] = []

        def start_query_execution(self, **_: Any) -> dict[str, str]:
            return {"QueryExecutionId": "q1"}

        def get_query_execution(self, QueryExecutionId: str) -> dict[str, Any]:
            return {"QueryExecution": {"Status": {"State": "RUNNING"}}}

        def stop_query_execution(self, QueryExecutionId: str) -> None:
            self.stopped.append(QueryExecutionId)

    client = Running()
    engine = AthenaEngine("wg", "db", client=client, sleep=lambda _: None, wait_seconds=1)
    with pytest.raises(ReportsUnavailable):
        engine.run("SELECT 1", [])
    assert client.stopped == ["q1"]


def test_literals_double_their_quotes() -> None:
    assert literal("a'b") == "'a''b'"
