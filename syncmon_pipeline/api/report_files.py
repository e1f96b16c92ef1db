"""The reports on disk (`reports/<type>/<period label>/`), found safely and summarised once per version.

A report's id is `<report_type>/<period label>`, e.g. `performance/weekly-2026-11-16`, and its URL is
`/v1/reports/<id>`. Only known report types and labels of letters, digits, `_` and `-` name a folder,
and every file served must resolve inside the reports folder (no `..`, no symlink out), so a request
can never reach another file. Folders being written (`.<label>.<uuid>.tmp`) are never listed.
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from syncmon_pipeline.reports.settings import REPORT_TYPES

from . import read_models as m

log = logging.getLogger(__name__)
LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
LABEL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$"
TABLE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,63}")
TABLE_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$"
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "json": "application/json", "csv": "text/csv; charset=utf-8",
               "pdf": "application/pdf", "zip": "application/zip"}  # fmt: skip
FILE_NAMES = {"html": "report.html", "json": "report.json", "pdf": "report.pdf"}


def _utc_key(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if moment else ""


@dataclass(frozen=True)
class StoredReport:
    summary: m.ReportSummary
    folder: Path
    identity: tuple[int, int, int]  # report.json's (inode, mtime_ns, size)

    @property
    def sort_key(self) -> tuple[str, str, str]:
        """Newest period first, then the latest written; the id breaks ties (keyset cursor)."""
        s = self.summary
        return _utc_key(s.period_start), _utc_key(s.generated_at), s.id


class ReportLibrary:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._summaries: dict[Path, StoredReport] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._summaries.clear()

    def _inside(self, path: Path) -> Path | None:
        """`path` resolved, when it exists and stays inside the reports folder; else None."""
        try:
            root = self.root.resolve(strict=True)
            resolved = path.resolve(strict=True)
        except (FileNotFoundError, NotADirectoryError, RuntimeError, OSError):
            return None
        return resolved if resolved.is_relative_to(root) else None

    def folder(self, report_type: str, label: str) -> Path | None:
        if report_type not in REPORT_TYPES or not LABEL.fullmatch(label):
            return None
        folder = self._inside(self.root / report_type / label)
        if folder is None or not folder.is_dir() or folder.parent.name != report_type:
            return None
        return folder

    def file(self, folder: Path, name: str) -> Path | None:
        found = self._inside(folder / name)
        return found if found is not None and found.parent == folder and found.is_file() else None

    def csv_tables(self, folder: Path) -> dict[str, Path]:
        tables = {}
        for path in sorted(folder.glob("*.csv")):
            if TABLE.fullmatch(path.stem) and self.file(folder, path.name) is not None:
                tables[path.stem] = path
        return tables

    def get(self, report_type: str, label: str) -> StoredReport | None:
        folder = self.folder(report_type, label)
        if folder is None:
            return None
        json_path = self.file(folder, "report.json")
        if json_path is None:
            return None
        try:
            st = json_path.stat()
        except OSError:
            return None
        identity = (st.st_ino, st.st_mtime_ns, st.st_size)
        with self._lock:
            known = self._summaries.get(folder)
        if known is not None and known.identity == identity:
            return known
        try:
            data = json.loads(json_path.read_bytes())
            summary = self._summary(report_type, label, folder, data)
        except (OSError, ValueError, ValidationError, TypeError, KeyError) as exc:
            log.warning("report %s/%s is unreadable: %s", report_type, label, type(exc).__name__)
            return None
        stored = StoredReport(summary, folder, identity)
        with self._lock:
            self._summaries[folder] = stored
        return stored

    def _summary(self, report_type: str, label: str, folder: Path, data: dict[str, Any]) -> m.ReportSummary:
        doc = m.ReportDocument.model_validate(data)
        report_id = f"{report_type}/{label}"
        url = f"/v1/reports/{report_id}"
        exports = []
        for fmt in ("html", "json", "pdf"):
            path = self.file(folder, FILE_NAMES[fmt])
            if path is not None:
                exports.append(m.ReportExport(format=fmt, table=None, media_type=MEDIA_TYPES[fmt],
                                              bytes=path.stat().st_size, url=f"{url}/export/{fmt}"))  # fmt: skip
        tables = self.csv_tables(folder)
        if tables:
            exports.append(m.ReportExport(format="csv", table=None, media_type=MEDIA_TYPES["zip"], bytes=None,
                                          url=f"{url}/export/csv"))  # fmt: skip
        for key, path in tables.items():
            exports.append(m.ReportExport(format="csv", table=key, media_type=MEDIA_TYPES["csv"],
                                          bytes=path.stat().st_size, url=f"{url}/export/csv/{key}"))  # fmt: skip
        return m.ReportSummary(
            id=report_id, report_type=report_type, period_label=label, granularity=doc.period.granularity,
            title=doc.title, period_start=doc.period.start, period_end=doc.period.end, timezone=doc.period.timezone,
            generated_at=doc.generated_at, data_as_of=doc.data_as_of, url=url, exports=exports,
        )  # fmt: skip

    def all(self) -> list[StoredReport]:
        """Every readable report, newest first."""
        found = []
        for report_type in REPORT_TYPES:
            type_dir = self.root / report_type
            if not type_dir.is_dir():
                continue
            for entry in type_dir.iterdir():
                if LABEL.fullmatch(entry.name):
                    stored = self.get(report_type, entry.name)
                    if stored is not None:
                        found.append(stored)
        with self._lock:  # forget removed reports
            live = {s.folder for s in found}
            for folder in [f for f in self._summaries if f not in live]:
                del self._summaries[folder]
        return sorted(found, key=lambda s: s.sort_key, reverse=True)


def csv_zip(tables: dict[str, Path], prefix: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key, path in tables.items():
            archive.writestr(f"{prefix}/{key}.csv", path.read_bytes())
    return buffer.getvalue()
