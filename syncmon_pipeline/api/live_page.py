"""The live dashboard's content: the static dashboard's data, read from the published snapshots.

`build_dashboard` over the analyst snapshot gives the figures, charts and tables (a young install
without a snapshot gets the same page, empty). "Running now" and "Firing alerts" are read again with
their keys (session id, alert id), alerts from the alerts snapshot when there is one (it is
republished after every alert evaluation, the analyst one every analytics run), so the page can apply
the stream to them. A view is built once per pair of snapshot files and reused by every request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb

from syncmon_pipeline.config import DataPaths
from syncmon_pipeline.reports.dashboard import build_dashboard
from syncmon_pipeline.reports.model import ReportData, Section
from syncmon_pipeline.reports.queries import table
from syncmon_pipeline.sql_files import query_sql_file, run_sql_file, table_exists
from syncmon_pipeline.timestamps import from_utc_naive, to_utc_naive

from .bus import StreamBus
from .stream_sources import file_identity

log = logging.getLogger(__name__)
_PACKAGE = "syncmon_pipeline.api.sql"
CACHE_SECONDS = 60.0  # a view is rebuilt at least this often even when no snapshot changed


@dataclass(frozen=True)
class LiveView:
    report: ReportData
    running: list[dict[str, Any]]
    alerts: list[dict[str, Any]]
    snapshots: dict[str, str | None]  # name -> published_at (ISO) or None when not published yet
    notice: str | None  # shown on the page when a snapshot could not be read
    position: int  # the bus position before the snapshots were read: later messages may be missing from them
    built: float  # time.monotonic()


def plain(value: Any) -> Any:
    """JSON-ready: naive warehouse timestamps as aware UTC ISO strings, Decimals as floats."""
    if isinstance(value, datetime):
        return from_utc_naive(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _records(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    found = query_sql_file(con, _PACKAGE, f"{name}.sql", params)
    columns = [d[0] for d in con.description or []]
    return [dict(zip(columns, row)) for row in found]


def _published_at(con: duckdb.DuckDBPyConnection) -> str | None:
    if not table_exists(con, "main", "snapshot_info"):
        return None
    found = con.execute("SELECT max(published_at) FROM main.snapshot_info").fetchall()
    return plain(found[0][0]) if found and found[0][0] else None


def _empty_snapshot() -> duckdb.DuckDBPyConnection:
    """An in-memory database with every published table, empty: the dashboard of a fresh install."""
    con = duckdb.connect()
    run_sql_file(con, "syncmon_pipeline.reports.sql", "synthetic_setup.sql", {})
    return con


def _with_live_tables(report: ReportData, running: list[dict], alerts: list[dict]) -> ReportData:
    """The dashboard with the keyed rows in its running and alerts tables (and the alert count to match)."""
    def section(s: Section) -> Section:
        records = {"running_sessions": running, "firing_alerts": alerts}
        tables = tuple(table(t.key, t.title, records[t.key], list(t.columns), t.note) if t.key in records else t
                       for t in s.tables)  # fmt: skip
        return replace(s, tables=tables)

    firing = sum(1 for a in alerts if a["status"] == "firing")
    summary = tuple(replace(f, value=firing) if f.key == "alerts_firing" else f for f in report.summary)
    return replace(report, summary=summary, sections=tuple(section(s) for s in report.sections))


def build_view(paths: DataPaths, *, generated_at: datetime, position: int = 0) -> LiveView:
    snapshots: dict[str, str | None] = {"analytics": None, "alerts": None}
    notice = None
    with ExitStack() as stack:
        con = None
        if paths.analytics_snapshot.exists():
            try:
                con = stack.enter_context(duckdb.connect(str(paths.analytics_snapshot), read_only=True))
                snapshots["analytics"] = _published_at(con)
            except duckdb.Error as error:
                log.warning("live page: the analyst snapshot could not be read: %s", type(error).__name__)
                notice = "The analyst snapshot could not be read just now; the figures will be back after the next one."
                con = None
        if con is None:
            con = stack.enter_context(_empty_snapshot())
        report = build_dashboard(con, generated_at=generated_at)
        as_of = to_utc_naive(report.data_as_of)
        running = _records(con, "live_running", {"as_of": as_of})
        alerts_con = con if table_exists(con, "alerts", "alerts") else None
        if paths.alerts_snapshot.exists():
            try:
                fresher = stack.enter_context(duckdb.connect(str(paths.alerts_snapshot), read_only=True))
                if table_exists(fresher, "alerts", "alerts"):
                    alerts_con = fresher
                    snapshots["alerts"] = _published_at(fresher)
            except duckdb.Error as error:
                log.warning("live page: the alerts snapshot could not be read: %s", type(error).__name__)
        alerts = _records(alerts_con, "live_alerts", {}) if alerts_con is not None else []
    report = _with_live_tables(report, running, alerts)
    running_json = [{k: plain(v) for k, v in r.items()} for r in running]
    alerts_json = [{k: plain(v) for k, v in a.items()} for a in alerts]
    return LiveView(report, running_json, alerts_json, snapshots, notice, position, time.monotonic())


class ViewCache:
    """One view per pair of snapshot files (and at most CACHE_SECONDS old), built by one request at a time."""

    def __init__(self, paths: DataPaths, bus: StreamBus, clock: Callable[[], datetime]):
        self.paths, self.bus, self.clock = paths, bus, clock
        self._lock = threading.Lock()
        self._key: Any = None
        self._view: LiveView | None = None

    def get(self) -> LiveView:
        key = (file_identity(self.paths.analytics_snapshot), file_identity(self.paths.alerts_snapshot))
        with self._lock:
            view = self._view
            if view is None or key != self._key or time.monotonic() - view.built > CACHE_SECONDS:
                view = build_view(self.paths, generated_at=self.clock(), position=self.bus.last_id)
                self._key, self._view = key, view
            return view


def columns_json(report: ReportData, key: str) -> list[dict[str, str]]:
    found = next(t for t in report.tables if t.key == key)
    return [{"key": c.key, "label": c.label, "kind": c.kind} for c in found.columns]

