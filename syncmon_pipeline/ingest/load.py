"""Exactly-once ingestion of landing files into the raw tables.

One call takes a batch of files: it decodes them in Python (checksums, gzip,
UTF-8), then classifies, deduplicates and records every line set-based in
DuckDB inside one transaction, and only after the commit moves the files
aside. A crash before the commit leaves the files in landing for the next run;
a crash after it leaves a ledger that the next run recognises.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from syncmon_pipeline import contract
from syncmon_pipeline.ingest.decode import DecodedFile, read_landing_file
from syncmon_pipeline.redaction import sql_redaction_parameters
from syncmon_pipeline.sql_files import query_sql_file, run_sql_file

_SQL = __package__
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_TIMESTAMP = contract.SCHEMA["properties"]["occurred_at"]["pattern"].strip("^$")
_TIMESTAMP_WITHOUT_OFFSET = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"


@dataclass(frozen=True)
class FileOutcome:
    file_name: str
    outcome: str  # ingested | duplicate_file | archived_after_crash | missing
    problem: str | None
    lines_total: int
    lines_ok: int
    lines_duplicate: int
    lines_quarantined: int
    archived_path: str | None


@dataclass(frozen=True)
class IngestReport:
    run_id: str
    files: tuple[FileOutcome, ...]

    def total(self, attribute: str) -> int:
        return sum(getattr(f, attribute) for f in self.files)

    @property
    def events_inserted(self) -> int:
        return self.total("lines_ok")

    @property
    def lines_quarantined(self) -> int:
        return self.total("lines_quarantined")

    @property
    def lines_duplicate(self) -> int:
        return self.total("lines_duplicate")

    @property
    def lines_total(self) -> int:
        return self.total("lines_total")


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    run_sql_file(con, _SQL, "raw_tables.sql")


def _contract_parameters(max_line_bytes: int) -> dict[str, object]:
    return {
        "schema_version": contract.SCHEMA_VERSION,
        "event_types": list(contract.EVENT_TYPES),
        "uuid_pattern": _UUID,
        "timestamp_pattern": _TIMESTAMP,
        "timestamp_without_offset_pattern": _TIMESTAMP_WITHOUT_OFFSET,
        "sync_types": list(contract.SYNC_TYPES),
        "directions": list(contract.DIRECTIONS),
        "triggers": list(contract.TRIGGERS),
        "statuses": list(contract.STATUSES),
        "error_categories": list(contract.ERROR_CATEGORIES),
        "error_severities": list(contract.ERROR_SEVERITIES),
        "conflict_strategies": list(contract.CONFLICT_STRATEGIES),
        "auth_statuses": list(contract.AUTH_STATUSES),
        "max_line_bytes": max_line_bytes,
        **sql_redaction_parameters(),
    }


def classify_text(con: duckdb.DuckDBPyConnection, texts: Sequence[DecodedFile], max_line_bytes: int) -> None:
    """Split and classify decoded files into the temp table `classified_lines` (file_id = position)."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE landing_text "
        "(file_id INTEGER, content VARCHAR, bad_utf8_lines BIGINT[], cut_last_line BOOLEAN)"
    )
    in_memory = [(i, d.text, d.bad_utf8_lines, d.cut_last_line) for i, d in enumerate(texts) if d.text is not None]
    if in_memory:
        con.executemany("INSERT INTO landing_text VALUES (?, ?, ?, ?)", in_memory)
    on_disk = {str(d.path): i for i, d in enumerate(texts) if d.text is None}
    if on_disk:
        run_sql_file(con, _SQL, "read_landing_text.sql", {"paths": list(on_disk), "file_ids": list(on_disk.values())})
    params = _contract_parameters(max_line_bytes)
    run_sql_file(con, _SQL, "contract_checks.sql")
    run_sql_file(con, _SQL, "split_lines.sql", params)
    run_sql_file(con, _SQL, "classify_lines.sql", params)


def _archive_target(archive_root: Path, name: str, sha256: str, now: datetime, taken: set[Path]) -> Path:
    folder = archive_root / now.strftime("%Y-%m-%d")
    target = folder / name
    if target.exists() or target in taken:
        target = folder / f"{sha256[:12]}-{name}"
    taken.add(target)
    return target


def _move(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)


def ingest_files(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[Path],
    *,
    archive_root: Path,
    run_id: str,
    now: datetime,
    max_line_bytes: int = 1_048_576,
) -> IngestReport:
    """Ingest `paths` exactly once; returns what happened to every file."""
    ensure_raw_tables(con)
    now_utc = now.astimezone(UTC).replace(tzinfo=None)
    present = [p for p in paths if p.exists()]
    outcomes = [FileOutcome(p.name, "missing", None, 0, 0, 0, 0, None) for p in paths if not p.exists()]
    decoded = {p: read_landing_file(p) for p in present}
    known = {
        sha: (name, archived)
        for sha, name, archived in query_sql_file(
            con, _SQL, "ledger_lookup.sql", {"hashes": sorted({d.sha256 for d in decoded.values()})}
        )
    }

    fresh: list[tuple[Path, DecodedFile, Path]] = []
    duplicates: list[tuple[Path, DecodedFile, Path]] = []
    moves_only: list[tuple[Path, Path]] = []
    taken: set[Path] = set()
    seen_in_batch: set[str] = set()
    for path, file in decoded.items():
        earlier = known.get(file.sha256)
        if earlier and earlier[0] == path.name and not Path(earlier[1]).exists():
            moves_only.append((path, Path(earlier[1])))  # ingested, then the run died before the move
            continue
        target = _archive_target(archive_root, path.name, file.sha256, now_utc, taken)
        if earlier or file.sha256 in seen_in_batch:
            duplicates.append((path, file, target))
        else:
            fresh.append((path, file, target))
        seen_in_batch.add(file.sha256)

    con.begin()
    try:
        classify_text(con, [file for _, file, _ in fresh], max_line_bytes)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE batch_files (file_id INTEGER, file_name VARCHAR, archived_path VARCHAR,"
            " size_bytes BIGINT, sha256 VARCHAR, file_mtime TIMESTAMP, problem VARCHAR)"
        )
        if fresh:
            con.executemany(
                "INSERT INTO batch_files VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (i, p.name, str(t), f.size_bytes, f.sha256, _mtime(p), f.problem)
                    for i, (p, f, t) in enumerate(fresh)
                ],
            )
        run_sql_file(
            con,
            _SQL,
            "record_batch.sql",
            {"schema_version": contract.SCHEMA_VERSION, "run_id": run_id, "ingested_at": now_utc},
        )
        for path, file, target in duplicates:
            lines = file.line_count
            con.execute(
                "INSERT INTO raw.ingested_files VALUES (?, ?, ?, ?, ?, 'duplicate_file', ?, ?, 0, ?, 0, ?, ?)",
                [path.name, str(target), file.size_bytes, file.sha256, _mtime(path),
                 "same content as an earlier file", lines, lines, run_id, now_utc],
            )
        ledger = con.execute(
            "SELECT file_name, archived_path, problem, lines_total, lines_ok, lines_duplicate, lines_quarantined,"
            " outcome FROM raw.ingested_files WHERE ingest_run_id = ? ORDER BY archived_path",
            [run_id],
        ).fetchall()
        con.commit()
    except BaseException:
        con.rollback()
        raise

    for path, _, target in (*fresh, *duplicates):
        _move(path, target)
    for path, target in moves_only:
        _move(path, target)
    outcomes += [
        FileOutcome(name, outcome, problem, total, ok, dup, quarantined, archived)
        for name, archived, problem, total, ok, dup, quarantined, outcome in ledger
    ]
    outcomes += [FileOutcome(p.name, "archived_after_crash", None, 0, 0, 0, 0, str(t)) for p, t in moves_only]
    return IngestReport(run_id, tuple(outcomes))


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
