"""Read-only access to the published snapshots (`analytics.duckdb`, `alert_state.duckdb`), never the warehouse.

One DuckDB connection per published file, shared by every request; each request takes a lease: a cursor
of its own (DuckDB cursors are per thread) on the connection of the file as it was when the request
began. A file's identity is (device, inode, mtime, size): the publisher renames a new file over the old
one, so a request that sees another identity opens the new file, and the old connection is closed as
soon as the last lease on it ends. A request in flight keeps reading the file it started with (the
renamed-away inode stays readable while open).

The file is ATTACHed READ_ONLY to a private in-memory database rather than opened with
`duckdb.connect(path)`: DuckDB caches database instances by path within a process, so reconnecting to a
republished path would hand back the old, cached instance.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from syncmon_pipeline.timestamps import from_utc_naive

from .problems import Problem

log = logging.getLogger(__name__)

ALIAS = "snapshot"
# What each published file is called in problem details and /v1/status.
TITLES = {"analytics": "the analyst snapshot", "alerts": "the alerts snapshot"}


@dataclass(frozen=True)
class Identity:
    device: int
    inode: int
    mtime_ns: int
    size: int

    @classmethod
    def of(cls, path: Path) -> Identity | None:
        try:
            st = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        return cls(st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


@dataclass(eq=False)
class OpenedSnapshot:
    """One published file as opened: its connection, when it was published, which tables it has."""

    name: str
    identity: Identity
    connection: duckdb.DuckDBPyConnection
    published_at: datetime | None
    tables: frozenset[str]  # "schema.table"
    users: int = 0
    retired: bool = False
    closed: bool = False

    def has(self, table: str) -> bool:
        return table in self.tables

    @property
    def version(self) -> str:
        """Changes with every publish: for ETags and cache keys."""
        i = self.identity
        stamp = self.published_at.isoformat() if self.published_at else ""
        return f"{self.name}:{stamp}:{i.inode}:{i.mtime_ns}"


@dataclass
class Lease:
    """What a request reads through: a cursor on one opened snapshot, made on first use (a read answered
    from the response cache never needs one)."""

    snapshot: OpenedSnapshot
    lock: threading.Lock
    _cursor: duckdb.DuckDBPyConnection | None = None

    @property
    def cursor(self) -> duckdb.DuckDBPyConnection:
        if self._cursor is None:
            with self.lock:  # cursor() touches the shared connection
                cursor = self.snapshot.connection.cursor()
            cursor.execute(f"USE {ALIAS}")
            self._cursor = cursor
        return self._cursor

    def close(self) -> None:
        if self._cursor is not None:
            self._cursor.close()
            self._cursor = None

    @property
    def name(self) -> str:
        return self.snapshot.name

    @property
    def published_at(self) -> datetime | None:
        return self.snapshot.published_at

    @property
    def version(self) -> str:
        return self.snapshot.version

    def has(self, table: str) -> bool:
        return self.snapshot.has(table)


def _open(name: str, path: Path, identity: Identity) -> OpenedSnapshot:
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH ? AS {ALIAS} (READ_ONLY)", [str(path)])
        con.execute(f"USE {ALIAS}")
        tables = frozenset(
            f"{schema}.{table}"
            for schema, table in con.execute(
                "SELECT table_schema, table_name FROM information_schema.tables WHERE table_catalog = ?", [ALIAS]
            ).fetchall()
        )
        published_at = None
        if "main.snapshot_info" in tables:
            found = con.execute("SELECT max(published_at) FROM main.snapshot_info").fetchall()
            published_at = from_utc_naive(found[0][0]) if found else None
    except Exception:
        con.close()
        raise
    return OpenedSnapshot(name, identity, con, published_at, tables)


@dataclass
class SnapshotFile:
    """One published file: opened on first use, reopened when republished, closed when no longer used."""

    name: str
    path: Path
    _current: OpenedSnapshot | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _live: int = 0  # connections open: the current one and retired ones still leased

    def _release(self, snapshot: OpenedSnapshot) -> None:
        with self._lock:
            snapshot.users -= 1
            if snapshot.retired and snapshot.users == 0:
                self._close(snapshot)

    def _close(self, snapshot: OpenedSnapshot) -> None:
        if not snapshot.closed:
            snapshot.closed = True
            self._live -= 1
            try:
                snapshot.connection.close()
            except duckdb.Error:  # pragma: no cover - closing never matters to a reader
                log.warning("closing %s failed", snapshot.name, exc_info=True)

    def _retire(self, snapshot: OpenedSnapshot | None) -> None:
        if snapshot is None:
            return
        snapshot.retired = True
        if snapshot.users == 0:
            self._close(snapshot)

    def _acquire(self) -> OpenedSnapshot | None:
        identity = Identity.of(self.path)
        with self._lock:
            current = self._current
            if identity is None:
                self._current = None
                self._retire(current)
                return None
            if current is None or current.identity != identity:
                try:
                    opened = _open(self.name, self.path, identity)
                except duckdb.Error as exc:
                    if Identity.of(self.path) is None:  # removed between stat and attach
                        return None
                    log.warning("cannot open %s at %s: %s", self.name, self.path, exc)
                    raise Problem(503, f"{TITLES.get(self.name, self.name)} cannot be read right now; retry shortly",
                                  headers={"Retry-After": "5"}) from None  # fmt: skip
                self._current = opened
                self._live += 1
                self._retire(current)
                current = opened
            current.users += 1
            return current

    @contextmanager
    def lease(self) -> Iterator[Lease | None]:
        """A cursor on the file as published now, or None when it is not published (yet)."""
        snapshot = self._acquire()
        if snapshot is None:
            yield None
            return
        lease = Lease(snapshot, self._lock)
        try:
            yield lease
        finally:
            lease.close()
            self._release(snapshot)

    def current(self) -> OpenedSnapshot | None:
        """The opened file when it is still the one published (one stat, no lease, nothing opened); None
        when it is not open yet, was republished or removed: then only a lease can tell."""
        identity = Identity.of(self.path)
        current = self._current
        return current if current is not None and identity is not None and current.identity == identity else None

    def peek(self) -> OpenedSnapshot | None:
        """The opened file, after a reopen check (for /v1/status); None when not published."""
        with self.lease() as lease:
            return lease.snapshot if lease else None

    def reset(self) -> None:
        """Forget the open connection (closed once its last lease ends); the next lease reopens."""
        with self._lock:
            current, self._current = self._current, None
            self._retire(current)

    @property
    def open_connections(self) -> int:
        """Connections open now: the current file's, plus replaced ones that requests still read."""
        return self._live


class Snapshots:
    """The published files the API reads: `analytics` (marts, anomaly, alerts, retention) and `alerts`."""

    def __init__(self, analytics: Path, alerts: Path) -> None:
        self.files = {"analytics": SnapshotFile("analytics", analytics), "alerts": SnapshotFile("alerts", alerts)}

    def lease(self, name: str):
        return self.files[name].lease()

    @contextmanager
    def analytics(self, *, required: bool) -> Iterator[Lease | None]:
        """The analyst snapshot; `required`: a 503 problem when it is not published yet."""
        with self.files["analytics"].lease() as lease:
            if lease is None and required:
                raise not_published("analytics")
            yield lease

    @contextmanager
    def alerts(self, *, required: bool) -> Iterator[Lease | None]:
        """The freshest alert tables: the alerts snapshot when published, else the analyst snapshot's copy."""
        with self.files["alerts"].lease() as lease:
            if lease is not None and lease.has("alerts.alerts"):
                yield lease
                return
        with self.files["analytics"].lease() as lease:
            if lease is not None and lease.has("alerts.alerts"):
                yield lease
                return
            if required:
                raise not_published("alerts")
            yield None

    def current(self, name: str) -> OpenedSnapshot | None:
        """The file a lease of `name` (analytics, or alerts as `alerts()` chooses) would read now, when that is
        known without opening anything; else None."""
        if name == "analytics":
            return self.files["analytics"].current()
        for file in (self.files["alerts"], self.files["analytics"]):
            if Identity.of(file.path) is None:
                continue
            opened = file.current()
            return opened if opened is not None and opened.has("alerts.alerts") else None
        return None

    def reset(self) -> None:
        for file in self.files.values():
            file.reset()


def not_published(name: str) -> Problem:
    if name == "alerts":
        detail = ("no alert tables are published yet: neither the alerts snapshot nor the analyst snapshot exists;"
                  " they appear after the first alert evaluation or analytics run")  # fmt: skip
    else:
        detail = ("the analyst snapshot is not published yet; it appears after the first analytics run"
                  " (`syncmon run-once`, or the analytics schedule)")  # fmt: skip
    return Problem(503, detail, headers={"Retry-After": "60"}, snapshot=name)
