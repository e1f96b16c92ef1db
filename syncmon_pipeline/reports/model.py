"""Report data: what a report says, independent of how it is rendered (HTML, CSV, JSON, e-mail).

Builders fill these from the analyst snapshot; renderers only read them. Everything is plain data so
`to_json` gives the report's JSON file and golden tests compare it as it is.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Literal

ChartKind = Literal["line", "bar", "pie", "area", "scatter"]
ColumnKind = Literal["text", "int", "number", "percent", "seconds", "datetime"]


@dataclass(frozen=True)
class Figure:
    """A headline number: `value` is raw, `kind` says how to show it."""

    key: str
    label: str
    value: float | int | str | None
    kind: ColumnKind = "int"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: ColumnKind = "text"


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    note: str = ""

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip((c.key for c in self.columns), row)) for row in self.rows]


@dataclass(frozen=True)
class Series:
    name: str
    x: tuple[Any, ...]
    y: tuple[Any, ...]
    text: tuple[str, ...] = ()  # a label per point (scatter)


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    kind: ChartKind
    series: tuple[Series, ...]
    x_title: str = ""
    y_title: str = ""
    stacked: bool = False

    @property
    def points(self) -> int:
        return sum(len(s.y) for s in self.series)


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    intro: str = ""
    figures: tuple[Figure, ...] = ()
    charts: tuple[Chart, ...] = ()
    tables: tuple[Table, ...] = ()


@dataclass(frozen=True)
class Recommendation:
    rule: str
    severity: Literal["info", "warning", "critical"]
    text: str
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Period:
    granularity: str  # daily, weekly, monthly or custom
    label: str  # the folder name under reports/<type>/
    start: datetime  # inclusive, timezone-aware
    end: datetime  # exclusive, timezone-aware
    timezone: str
    bucket: Literal["hour", "day"]

    @property
    def title(self) -> str:
        if self.granularity == "daily":
            return f"{self.start:%A %d %B %Y}"
        if self.granularity == "weekly":
            return f"week of {self.start:%d %B %Y}"
        if self.granularity == "monthly":
            return f"{self.start:%B %Y}"
        return f"{self.start:%d %b %Y %H:%M} to {self.end:%d %b %Y %H:%M}"


@dataclass(frozen=True)
class ReportData:
    report_type: str
    title: str
    period: Period
    generated_at: datetime
    data_as_of: datetime | None
    filters: dict[str, list[str]]
    summary: tuple[Figure, ...]
    highlights: tuple[str, ...]
    sections: tuple[Section, ...]
    recommendations: tuple[Recommendation, ...]
    inputs: dict[str, int]  # "schema.table" -> rows read within the period

    @property
    def charts(self) -> list[Chart]:
        return [chart for section in self.sections for chart in section.charts]

    @property
    def tables(self) -> list[Table]:
        return [table for section in self.sections for table in section.tables]

    def to_json(self) -> dict[str, Any]:
        return _plain(asdict(self))


def _plain(value: Any) -> Any:
    """JSON-ready: ISO timestamps, rounded floats (stable golden files), NaN as null, tuples as lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, 4)
    if hasattr(value, "__float__") and not isinstance(value, (int, bool)):
        return round(float(value), 4)  # Decimal from DuckDB
    return value
