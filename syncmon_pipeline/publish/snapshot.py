"""Publishing the analyst snapshot: a separate DuckDB file (and Parquet files) that never blocks the pipeline.

The marts are copied into a new file under a temporary name and renamed over the
published one. An analyst's open connection keeps reading the file it opened (the
old inode); reopening shows the new data. The file is written in a storage
version that DuckDB 1.4 clients can open.

The same function publishes the small alerts snapshot (`alerts` schema only, no Parquet) after every
alert evaluation, for the API (about 20 ms on a young warehouse, 0.13 s with 5,000 alerts, 15,000
notifications and 20,000 delivery attempts). It is `alert_state.duckdb`, not `alerts.duckdb`: a catalog
named `alerts` would make `alerts.<table>` ambiguous to DuckDB.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

SNAPSHOT_STORAGE_VERSION = "v1.4.0"
# alerts: the audit trail (alerts, acknowledgements, notifications); retention: what was archived.
PUBLISHED_SCHEMAS = ("marts", "anomaly", "alerts", "retention")
INTERNAL_TABLES = ("detector_state", "engine_state", "session_detector_state")  # pipeline bookkeeping, not for analysts
PARQUET_SCHEMAS = ("marts", "anomaly")  # the analysts' tables, one Parquet file each (names are unique)


@dataclass(frozen=True)
class SnapshotReport:
    path: Path
    exports: Path | None  # None: no Parquet export was asked for
    tables: dict[str, int]  # "schema.table" -> rows

    @property
    def total_rows(self) -> int:
        return sum(self.tables.values())


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def published_tables(con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...]) -> list[tuple[str, str]]:
    return con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables"
        " WHERE table_catalog = current_database() AND list_contains(?, table_schema)"
        " AND NOT list_contains(?, table_name) ORDER BY table_schema, table_name",
        [list(schemas), list(INTERNAL_TABLES)],
    ).fetchall()


def publish_snapshot(
    con: duckdb.DuckDBPyConnection,
    *,
    target: Path,
    exports_dir: Path | None,
    published_at: datetime,
    schemas: tuple[str, ...] = PUBLISHED_SCHEMAS,
) -> SnapshotReport:
    """Copy `schemas` of the warehouse behind `con` into `target`, and the PARQUET_SCHEMAS tables among them
    into Parquet files in `exports_dir` (None: no Parquet)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging_file = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    tables = published_tables(con, schemas)
    try:
        counts = _copy_tables(con, tables, staging_file, published_at)
    except BaseException:  # the alerts snapshot is published every minute: never leave its failures behind
        for leftover in (staging_file, staging_file.with_name(staging_file.name + ".wal")):
            leftover.unlink(missing_ok=True)
        raise
    if exports_dir is None:
        os.replace(staging_file, target)
        return SnapshotReport(target, None, counts)
    staging_exports = exports_dir.with_name(f".{exports_dir.name}.{uuid.uuid4().hex}.tmp")
    staging_exports.mkdir(parents=True)
    for schema, table in (t for t in tables if t[0] in PARQUET_SCHEMAS):
        con.execute(
            f"COPY {_quoted(schema)}.{_quoted(table)} TO ? (FORMAT parquet)",
            [str(staging_exports / f"{table}.parquet")],
        )
    os.replace(staging_file, target)
    swap_directory(staging_exports, exports_dir)
    return SnapshotReport(target, exports_dir, counts)


def _copy_tables(
    con: duckdb.DuckDBPyConnection, tables: list[tuple[str, str]], staging_file: Path, published_at: datetime
) -> dict[str, int]:
    counts: dict[str, int] = {}
    con.execute(f"ATTACH ? AS snapshot (STORAGE_VERSION '{SNAPSHOT_STORAGE_VERSION}')", [str(staging_file)])
    try:
        for schema in sorted({schema for schema, _ in tables}):
            con.execute(f"CREATE SCHEMA snapshot.{_quoted(schema)}")
        for schema, table in tables:
            name = f"{_quoted(schema)}.{_quoted(table)}"
            con.execute(f"CREATE TABLE snapshot.{name} AS FROM {name}")
            counts[f"{schema}.{table}"] = con.execute(f"SELECT count(*) FROM snapshot.{name}").fetchall()[0][0]
        con.execute(
            "CREATE TABLE snapshot.main.snapshot_info AS SELECT ?::TIMESTAMP AS published_at, ? AS tables",
            [published_at.replace(tzinfo=None), sorted(counts)],
        )
    finally:
        con.execute("DETACH snapshot")
    return counts


def swap_directory(new: Path, current: Path) -> None:
    """Put `new` in place of `current`; readers see either the old or the new folder, never a half one."""
    retired = current.with_name(f".{current.name}.{uuid.uuid4().hex}.old")
    if current.exists():
        os.replace(current, retired)
    os.replace(new, current)
    shutil.rmtree(retired, ignore_errors=True)
