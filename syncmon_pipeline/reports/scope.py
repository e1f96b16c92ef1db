"""Cut the analyst snapshot to one report's period and filters, into temporary tables.

Every section query then reads `report_sessions`, `report_errors`, … instead of repeating the period
and filter conditions. Temporary tables live in the connection, so a read-only snapshot is enough.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from syncmon_pipeline.sql_files import query_sql_file, run_sql_file
from syncmon_pipeline.timestamps import to_utc_naive

from .model import Period

_PACKAGE = "syncmon_pipeline.reports"
# Audit tables that a young snapshot may not have yet: (schema, table, the file that cuts them).
_AUDIT_SOURCES = (
    ("alerts", "alerts", "audit_alerts.sql"),
    ("alerts", "notifications", "audit_notifications.sql"),
    ("retention", "archives", "audit_archives.sql"),
    ("retention", "removed_reports", "audit_removed_reports.sql"),
)


@dataclass(frozen=True)
class Scope:
    period: Period
    integrations: tuple[str, ...] = ()  # empty: all
    entity_types: tuple[str, ...] = ()  # empty: all
    sections: tuple[str, ...] = ()  # empty: the report type's own sections
    params: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def start_utc(self) -> datetime:
        return to_utc_naive(self.period.start)

    @property
    def end_utc(self) -> datetime:
        return to_utc_naive(self.period.end)

    @property
    def mid_utc(self) -> datetime:
        return self.start_utc + (self.end_utc - self.start_utc) / 2


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [schema, table]
    ).fetchall()[0][0])


def prepare_scope(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, Any]:
    """Create the report_* temporary tables; returns the parameters section queries bind."""
    params = {
        "start": scope.start_utc,
        "end": scope.end_utc,
        "mid": scope.mid_utc,
        "tz": scope.period.timezone,
        "bucket": scope.period.bucket,
        "integrations": list(scope.integrations),
        "entity_types": list(scope.entity_types),
    }
    run_sql_file(con, _PACKAGE, "sql/scope.sql", params)
    for schema, table, file_name in _AUDIT_SOURCES:
        if _table_exists(con, schema, table):
            run_sql_file(con, _PACKAGE, f"sql/{file_name}", params)
    run_sql_file(con, _PACKAGE, "sql/audit_empty.sql")
    return params


def rows(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The rows of `sql/<name>.sql`, binding the parameters it uses from `params`."""
    return query_sql_file(con, _PACKAGE, f"sql/{name}.sql", params)


def input_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {source: count for source, count in rows(con, "input_counts", {})}


def names_in(values: Sequence[str] | None) -> tuple[str, ...]:
    return tuple(sorted(set(values or ())))
