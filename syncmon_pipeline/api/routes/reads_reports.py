"""Reports written by the pipeline (`reports/<type>/<period label>/`): list, content and exports.

A report's id is `<report_type>/<period label>` (e.g. `performance/weekly-2026-11-16`); its URL is
`/v1/reports/<id>` and its files are under `/v1/reports/<id>/export/{html,json,csv,pdf}`. The CSV
export is a zip of every table's CSV; one table's CSV is at `export/csv/<table key>` (the keys are
listed in `exports`). A PDF exists only when the pipeline rendered one (404 otherwise).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path as FilePath
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request, Response

from syncmon_pipeline.reports.settings import REPORT_TYPES

from .. import read_models as m
from ..deps import require
from ..pagination import decode_cursor, encode_cursor, filters_hash
from ..problems import Problem
from ..read_http import JSON, body_tagged_json, documented, not_modified, validators, weak_etag
from ..read_parts import DEFAULT_LIMIT, Cursor, Limit, ReadParts, read_parts
from ..report_files import FILE_NAMES, LABEL_PATTERN, MEDIA_TYPES, TABLE_PATTERN, StoredReport, csv_zip

router = APIRouter(prefix="/v1/reports", tags=["reports"])
ReportType = Literal[REPORT_TYPES]  # type: ignore[valid-type]
Granularity = Literal["daily", "weekly", "monthly", "custom"]
Label = Annotated[str, Path(pattern=LABEL_PATTERN, description="The period label, e.g. weekly-2026-11-16.")]
Format = Literal["html", "json", "csv", "pdf"]
EXPORT_MEDIA = {MEDIA_TYPES[k].split(";")[0]: {} for k in ("html", "json", "csv", "zip", "pdf")}


@router.get("", response_model=m.ReportPage, summary="Reports on disk, newest period first",
            responses=documented())  # fmt: skip
def list_reports(
    request: Request,
    report_type: ReportType | None = None,
    granularity: Granularity | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    parts: ReadParts = Depends(read_parts),
    _: object = Depends(require("read")),
) -> Response:
    fingerprint = filters_hash("reports", {"report_type": report_type, "granularity": granularity})
    after = tuple(decode_cursor(cursor, fingerprint, ("str", "str", "str"))) if cursor else None
    found = [s for s in parts.reports.all()
             if (report_type is None or s.summary.report_type == report_type)
             and (granularity is None or s.summary.granularity == granularity)
             and (after is None or s.sort_key < after)]  # fmt: skip
    page = found[:limit]
    next_cursor = None
    if len(found) > limit:
        next_cursor = encode_cursor(page[-1].sort_key, fingerprint)
    return body_tagged_json(request, m.ReportPage(items=[s.summary for s in page], next_cursor=next_cursor), None)


def _stored(parts: ReadParts, report_type: str, label: str) -> StoredReport:
    stored = parts.reports.get(report_type, label)
    if stored is None:
        raise Problem(404, f"no report {report_type}/{label}; GET /v1/reports lists them")
    return stored


def _file_response(request: Request, body_path: FilePath, media_type: str, identity: str, *,
                   filename: str | None = None) -> Response:  # fmt: skip
    try:
        st = body_path.stat()
    except OSError:
        raise Problem(404, "the report was replaced or removed while being read; retry") from None
    etag = weak_etag(identity, str(st.st_ino), str(st.st_mtime_ns), str(st.st_size))
    modified = datetime.fromtimestamp(st.st_mtime, UTC)
    unchanged = not_modified(request, etag, modified)
    if unchanged is not None:
        return unchanged
    try:
        body = body_path.read_bytes()  # whole: a report folder may be swapped while it is sent
    except OSError:
        raise Problem(404, "the report was replaced or removed while being read; retry") from None
    headers = validators(etag, modified)
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return Response(body, media_type=media_type, headers=headers)


@router.get("/{report_type}/{period}", response_model=m.ReportDetail, summary="One report: summary, exports, data",
            responses=documented(404))  # fmt: skip
def report(
    request: Request,
    report_type: ReportType,
    period: Label,
    parts: ReadParts = Depends(read_parts),
    _: object = Depends(require("read")),
) -> Response:
    stored = _stored(parts, report_type, period)
    json_path = parts.reports.file(stored.folder, "report.json")
    if json_path is None:
        raise Problem(404, f"no report {report_type}/{period}; GET /v1/reports lists them")
    etag = weak_etag("report", stored.summary.id, *map(str, stored.identity))
    unchanged = not_modified(request, etag, stored.summary.generated_at)
    if unchanged is not None:
        return unchanged
    key = etag
    body = parts.cache.get(key)
    if body is None:
        try:
            document = m.ReportDocument.model_validate_json(json_path.read_bytes())
        except (OSError, ValueError):
            raise Problem(404, "the report was replaced or removed while being read; retry") from None
        body = m.ReportDetail(**stored.summary.model_dump(), data=document).model_dump_json().encode()
        parts.cache.put(key, body)
    return Response(body, media_type=JSON, headers=validators(etag, stored.summary.generated_at))


@router.get("/{report_type}/{period}/export/{format}", summary="A report's file",
            description="html, json, pdf, or csv: a zip of every table's CSV (one table: `export/csv/{table}`).",
            response_class=Response,
            responses={200: {"description": "The file.", "content": EXPORT_MEDIA}, **documented(404)})  # fmt: skip
def export(
    request: Request,
    report_type: ReportType,
    period: Label,
    format: Format,
    parts: ReadParts = Depends(read_parts),
    _: object = Depends(require("read")),
) -> Response:
    stored = _stored(parts, report_type, period)
    folder, name = stored.folder, f"{report_type}-{period}"
    if format == "csv":
        tables = parts.reports.csv_tables(folder)
        if not tables:
            raise Problem(404, f"report {stored.summary.id} has no tables to export")
        etag = weak_etag("zip", stored.summary.id, *map(str, stored.identity), *sorted(tables))
        unchanged = not_modified(request, etag, stored.summary.generated_at)
        if unchanged is not None:
            return unchanged
        headers = validators(etag, stored.summary.generated_at)
        headers["Content-Disposition"] = f'attachment; filename="{name}-csv.zip"'
        return Response(csv_zip(tables, name), media_type=MEDIA_TYPES["zip"], headers=headers)
    path = parts.reports.file(folder, FILE_NAMES[format])
    if path is None:
        if format == "pdf":
            raise Problem(404, f"report {stored.summary.id} has no PDF: one is rendered only when reports.pdf is on"
                               " and headless Chromium is installed")  # fmt: skip
        raise Problem(404, f"report {stored.summary.id} has no {format} file")
    return _file_response(request, path, MEDIA_TYPES[format], stored.summary.id,
                          filename=f"{name}.pdf" if format == "pdf" else None)  # fmt: skip


@router.get("/{report_type}/{period}/export/csv/{table}", summary="One table of a report as CSV",
            description="The table keys are in the report's `exports`.", response_class=Response,
            responses={200: {"description": "The CSV file.", "content": {"text/csv": {}}}, **documented(404)})  # fmt: skip
def export_table(
    request: Request,
    report_type: ReportType,
    period: Label,
    table: Annotated[str, Path(pattern=TABLE_PATTERN, description="A table's key, e.g. by_integration.")],
    parts: ReadParts = Depends(read_parts),
    _: object = Depends(require("read")),
) -> Response:
    stored = _stored(parts, report_type, period)
    tables = parts.reports.csv_tables(stored.folder)
    if table not in tables:
        raise Problem(404, f"report {stored.summary.id} has no table {table!r}; its tables: {', '.join(tables) or 'none'}")
    return _file_response(request, tables[table], MEDIA_TYPES["csv"], stored.summary.id,
                          filename=f"{report_type}-{period}-{table}.csv")  # fmt: skip
