"""Cut the analyst snapshot to one report's period and filters, into temporary tables, on first use.

Every section query reads `report_sessions`, `report_errors`, … instead of repeating the period and
filter conditions. A table is created the first time a query names it (`sql/scope/<table>.sql`), so a
report reads only the facts its sections need, and the tables it created are its inputs (lineage).
Temporary tables live in the connection: a read-only snapshot is enough.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import duckdb

from syncmon_pipeline.sql_files import load_statements, query_sql_file, run_sql_file, table_exists
from syncmon_pipeline.timestamps import to_utc_naive

from .model import Period

_PACKAGE = "syncmon_pipeline.reports"
_SCOPE_TABLE = re.compile(r"\breport_[a-z_]+\b")
# Where each scope table comes from: the snapshot table (for lineage), and whether a young snapshot
# may lack it (the audit tables appear with the first alert evaluation or retention run).
SOURCES: dict[str, tuple[str, bool]] = {
    "report_sessions": ("marts.fct_sync_sessions", False),
    "report_errors": ("marts.fct_sync_errors", False),
    "report_warnings": ("marts.fct_sync_warnings", False),
    "report_conflicts": ("marts.fct_sync_conflicts", False),
    "report_metrics": ("marts.fct_session_metrics", False),
    "report_health_checks": ("marts.fct_health_checks", False),
    "report_alerts": ("alerts.alerts", True),
    "report_notifications": ("alerts.notifications", True),
    "report_archives": ("retention.archives", True),
    "report_removed_reports": ("retention.removed_reports", True),
}


@dataclass(frozen=True)
class Scope:
    period: Period
    integrations: tuple[str, ...] = ()  # empty: all
    entity_types: tuple[str, ...] = ()  # empty: all

    def params(self) -> dict[str, Any]:
        start, end = to_utc_naive(self.period.start), to_utc_naive(self.period.end)
        assert start is not None and end is not None
        return {
            "start": start,
            "end": end,
            "mid": start + (end - start) / 2,
            "tz": self.period.timezone,
            "bucket": self.period.bucket,
            "integrations": list(self.integrations),
            "entity_types": list(self.entity_types),
        }


class ScopedSnapshot:
    """A snapshot connection with one report's scope: runs section queries, creating what they read."""

    def __init__(self, con: duckdb.DuckDBPyConnection, scope: Scope) -> None:
        self.con = con
        self.params = scope.params()
        self._created: dict[str, str] = {}  # scope table -> its source, in creation order

    def _ensure(self, statements: tuple[str, ...], creating: str | None = None) -> None:
        for name in sorted({n for s in statements for n in _SCOPE_TABLE.findall(s)} & SOURCES.keys() - {creating}):
            if name in self._created:
                continue
            source, optional = SOURCES[name]
            file_name = f"sql/scope/{name}.sql"
            if optional and not table_exists(self.con, *source.split(".")):
                file_name = f"sql/scope/{name}.empty.sql"
            else:
                self._ensure(load_statements(_PACKAGE, file_name), creating=name)  # metrics read report_sessions
            run_sql_file(self.con, _PACKAGE, file_name, self.params)
            self._created[name] = source

    def rows(self, name: str) -> list[tuple[Any, ...]]:
        """The rows of `sql/<name>.sql`, binding the parameters it uses."""
        self._ensure(load_statements(_PACKAGE, f"sql/{name}.sql"))
        return query_sql_file(self.con, _PACKAGE, f"sql/{name}.sql", self.params)

    def input_counts(self) -> dict[str, int]:
        """Rows read from each snapshot table within the scope: the report's inputs."""
        return {
            source: self.con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]  # name from SOURCES only
            for name, source in sorted(self._created.items(), key=lambda item: item[1])
        }


def rows(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The rows of `sql/<name>.sql` for queries that need no scope (the dashboard)."""
    return query_sql_file(con, _PACKAGE, f"sql/{name}.sql", params)
