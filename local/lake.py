"""The lake on this machine: the events as Parquet files in the layout Firehose writes to S3
(events/shop=<id>/dt=<yyyy-mm-dd>/*.parquet), and DuckDB running the reports' SQL over them.

DuckDB is a development dependency only: in AWS the admin API asks Athena (boomerang.analytics.athena).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from boomerang.analytics.lake import COLUMNS, PARTITIONS

REPO_ROOT = Path(__file__).resolve().parents[1]
# Where `make demo` and `make local` keep the lake (LAKE_DIR overrides it).
DEFAULT_LAKE_DIR = REPO_ROOT / ".boomerang" / "lake"
TABLE = "events"

_SCALARS = {
    "string": "VARCHAR",
    "bigint": "BIGINT",
    "int": "INTEGER",
    "timestamp": "TIMESTAMP",
    "double": "DOUBLE",
}


def duckdb_type(glue: str) -> str:
    """A Glue (Hive) type as DuckDB spells it: array<struct<a:string>> -> STRUCT(a VARCHAR)[]."""
    glue = glue.strip()
    if glue.startswith("array<") and glue.endswith(">"):
        return duckdb_type(glue[6:-1]) + "[]"
    if glue.startswith("struct<") and glue.endswith(">"):
        fields = []
        for part in _split_top(glue[7:-1]):
            name, _, kind = part.partition(":")
            fields.append(f"{name} {duckdb_type(kind)}")
        return "STRUCT(" + ", ".join(fields) + ")"
    return _SCALARS[glue]


def _split_top(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch == "<"
        depth -= ch == ">"
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


ALL_COLUMNS = (*COLUMNS, *PARTITIONS)
SCHEMA_SQL = ", ".join(f"{name} {duckdb_type(kind)}" for name, kind in ALL_COLUMNS)


def connect() -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that reads the reports' SQL (Athena's dialect)."""
    con = duckdb.connect()
    # Trino's approx_percentile returns a value of the data, as quantile_disc does.
    con.execute("CREATE MACRO approx_percentile(x, p) AS quantile_disc(x, p)")
    return con


class LocalLake:
    """The Parquet files under `root` and DuckDB over them; `append` is safe from several threads."""

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root or os.environ.get("LAKE_DIR") or DEFAULT_LAKE_DIR)
        self.events_dir = self.root / TABLE
        self._lock = threading.Lock()

    def files(self) -> list[Path]:
        return sorted(self.events_dir.glob("shop=*/dt=*/*.parquet"))

    def append(self, rows: Iterable[dict[str, Any]]) -> int:
        """Write rows (lake.lake_row's) as new Parquet files in their partitions."""
        with tempfile.NamedTemporaryFile("w", suffix=".ndjson", delete=False) as out:
            count = 0
            for row in rows:
                out.write(json.dumps(row, default=_json_default) + "\n")
                count += 1
            path = out.name
        try:
            if count:
                self.events_dir.mkdir(parents=True, exist_ok=True)
                columns = "{" + ", ".join(f"'{n}': '{duckdb_type(k)}'" for n, k in ALL_COLUMNS) + "}"
                with self._lock:
                    con = connect()
                    con.execute(
                        f"COPY (SELECT * FROM read_json('{_quoted(path)}', format='newline_delimited', "
                        f"columns={columns})) TO '{_quoted(str(self.events_dir))}' "
                        "(FORMAT parquet, PARTITION_BY (shop, dt), APPEND, FILENAME_PATTERN 'part_{uuid}')"
                    )
                    con.close()
        finally:
            os.unlink(path)
        return count

    def engine(self) -> DuckDbEngine:
        return DuckDbEngine(self)


class DuckDbEngine:
    """boomerang.analytics.reports.ReportEngine on DuckDB: `events` is a view over the lake's files."""

    def __init__(self, lake: LocalLake) -> None:
        self.lake = lake

    def run(self, sql: str, parameters: list[str]) -> tuple[list[str], list[list[Any]]]:
        con = connect()
        try:
            self._events(con)
            return _fetch(con, sql, parameters)
        finally:
            con.close()

    def _events(self, con: duckdb.DuckDBPyConnection, name: str = TABLE) -> None:
        if self.lake.files():
            glob = _quoted(str(self.lake.events_dir / "shop=*" / "dt=*" / "*.parquet"))
            con.execute(
                f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{glob}', hive_partitioning=true, "
                # union_by_name: files written before a column was added read it as NULL.
                "union_by_name=true, hive_types={'shop': 'VARCHAR', 'dt': 'VARCHAR'})"
            )
        else:  # no events yet: the same columns, no rows
            con.execute(f"CREATE TABLE {name} ({SCHEMA_SQL})")

    @contextmanager
    def scoped(self, shop: str, start: str) -> Iterator[ScopedEngine]:
        """One connection holding the shop's events from `start` (yyyy-mm-dd) on as `events`, for
        several reports of that shop and a range starting then (the console's dashboard): the files
        are read once, not once per report. Every report reads only its shop, from its start on."""
        con = connect()
        try:
            self._events(con, "lake_files")
            con.execute(
                f"CREATE TEMP TABLE {TABLE} AS SELECT * FROM lake_files WHERE shop = ? AND dt >= ?",
                [shop, start],
            )
            yield ScopedEngine(con)
        finally:
            con.close()


class ScopedEngine:
    """A ReportEngine over one connection (DuckDbEngine.scoped): its reports run one after another."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def run(self, sql: str, parameters: list[str]) -> tuple[list[str], list[list[Any]]]:
        return _fetch(self.con, sql, parameters)


def _fetch(
    con: duckdb.DuckDBPyConnection, sql: str, parameters: list[str]
) -> tuple[list[str], list[list[Any]]]:
    cursor = con.execute(sql, parameters)
    columns = [d[0] for d in cursor.description or []]
    return columns, [list(row) for row in cursor.fetchall()]


def _quoted(text: str) -> str:
    if re.search(r"['\\]", text):
        raise ValueError(f"a path with a quote or backslash: {text!r}")
    return text


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    raise TypeError(f"not JSON: {type(value).__name__}")


def attach_local_lake(module: Any) -> None:
    """The admin API's handler, as imported on this machine: its reports run on DuckDB over the
    local lake instead of Athena (the local stack calls this after importing each function)."""
    if module.__name__.endswith("admin_api.handler"):
        module.reports = LocalLake().engine()
    if module.__name__.endswith("web.handler"):  # the console's dashboard
        module.console.reports = LocalLake().engine()
