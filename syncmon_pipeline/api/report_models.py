"""Response models of the report reads: a report's data (report.json, or the dashboard's), its files."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReportPeriod(BaseModel):
    model_config = ConfigDict(extra="allow")
    granularity: str
    label: str
    start: datetime | None = None
    end: datetime | None = None
    timezone: str | None = None
    bucket: str | None = None


class ReportFigure(BaseModel):
    model_config = ConfigDict(extra="allow")
    key: str
    label: str
    value: int | float | str | None = None
    kind: str = "int"


class ReportColumn(BaseModel):
    model_config = ConfigDict(extra="allow")
    key: str
    label: str
    kind: str = "text"


class ReportTable(BaseModel):
    model_config = ConfigDict(extra="allow")
    key: str
    title: str
    columns: list[ReportColumn] = []
    rows: list[list[Any]] = []
    note: str = ""


class ReportSeries(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    x: list[Any] = []
    y: list[Any] = []
    text: list[str] = []


class ReportChart(BaseModel):
    model_config = ConfigDict(extra="allow")
    key: str
    title: str
    kind: str
    series: list[ReportSeries] = []
    x_title: str = ""
    y_title: str = ""
    stacked: bool = False


class ReportSection(BaseModel):
    model_config = ConfigDict(extra="allow")
    key: str
    title: str
    intro: str = ""
    figures: list[ReportFigure] = []
    charts: list[ReportChart] = []
    tables: list[ReportTable] = []


class ReportRecommendation(BaseModel):
    model_config = ConfigDict(extra="allow")
    rule: str
    severity: str
    text: str
    figures: dict[str, Any] = {}


class ReportDocument(BaseModel):
    """A report's data (its report.json), or the dashboard's: figures, charts and tables."""

    model_config = ConfigDict(extra="allow")
    report_type: str
    title: str
    period: ReportPeriod
    generated_at: datetime | None = None
    data_as_of: datetime | None = None
    filters: dict[str, Any] = {}
    summary: list[ReportFigure] = []
    highlights: list[str] = []
    sections: list[ReportSection] = []
    recommendations: list[ReportRecommendation] = []
    inputs: dict[str, int] = {}


class ReportExport(_Model):
    format: Literal["html", "json", "csv", "pdf"]
    table: str | None = Field(description="csv: the table this file holds; null: a zip of every table's CSV")
    media_type: str
    bytes: int | None = Field(description="null for the zip (made on request)")
    url: str


class ReportSummary(_Model):
    id: str = Field(description="`<report_type>/<period label>`; the report is at /v1/reports/<id>.")
    report_type: str
    period_label: str
    granularity: str
    title: str
    period_start: datetime | None
    period_end: datetime | None
    timezone: str | None
    generated_at: datetime | None
    data_as_of: datetime | None
    url: str
    exports: list[ReportExport]


class ReportPage(_Model):
    items: list[ReportSummary]
    next_cursor: str | None


class ReportDetail(ReportSummary):
    data: ReportDocument
