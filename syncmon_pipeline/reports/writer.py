"""Write one report's files: HTML, one CSV per table, the JSON of its data and (when possible) a PDF."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from syncmon_pipeline.publish.snapshot import swap_directory

from .chart_images import chart_images
from .csv_export import write_table_csv
from .email import write_email_body
from .model import ReportData
from .pdf import ChromiumMissing, find_chromium, render_pdf
from .render import render_report_html


@dataclass(frozen=True)
class ReportFiles:
    folder: Path
    html: Path
    json: Path
    csvs: dict[str, Path]
    pdf: Path | None
    pdf_problem: str | None = None
    sizes: dict[str, int] = field(default_factory=dict)

    @property
    def html_bytes(self) -> int:
        return self.html.stat().st_size


def report_folder(reports_root: Path, report: ReportData) -> Path:
    return reports_root / report.report_type / report.period.label


def write_report(
    report: ReportData, folder: Path, *, pdf: bool = True, email_rows: int = 15, email_images: bool = False
) -> ReportFiles:
    """Write every file into a fresh folder and swap it in: a reader never sees half a report.

    Besides the report (HTML, JSON, CSVs, PDF) the folder holds its e-mail body (`email.*`), with static
    chart images when `email_images` and Chromium is installed.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}.tmp")
    staging.mkdir()
    html = staging / "report.html"
    html.write_text(render_report_html(report), "utf-8")
    (staging / "report.json").write_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n", "utf-8")
    csv_names = {t.key: f"{t.key}.csv" for t in report.tables}
    for table in report.tables:
        write_table_csv(table, staging / csv_names[table.key])
    problem = None
    try:
        chromium: str | None = find_chromium()
    except ChromiumMissing as exc:
        chromium, problem = None, f"PDF not rendered: {exc}"
    if pdf and chromium:
        try:
            render_pdf(html, staging / "report.pdf", chromium=chromium)
        except RuntimeError as exc:
            problem = f"PDF not rendered: {exc}"
    elif not pdf:
        problem = "PDF not rendered: turned off (reports.pdf: false)"
    images = chart_images(report, chromium=chromium) if email_images and chromium else []
    write_email_body(report, staging, max_rows=email_rows, images=images)
    swap_directory(staging, folder)
    pdf_path = folder / "report.pdf"
    return ReportFiles(
        folder=folder,
        html=folder / "report.html",
        json=folder / "report.json",
        csvs={key: folder / name for key, name in csv_names.items()},
        pdf=pdf_path if pdf_path.exists() else None,
        pdf_problem=problem,
        sizes={p.name: p.stat().st_size for p in sorted(folder.iterdir())},
    )
