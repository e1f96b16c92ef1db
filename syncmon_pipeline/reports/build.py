"""Build a report's data from the analyst snapshot: scope, sections, summary, recommendations, lineage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from types import ModuleType

import duckdb

from syncmon_pipeline.redaction import error_line
from syncmon_pipeline.timestamps import from_utc_naive

from . import compliance, data_quality, performance, usage
from .formatting import format_value
from .model import Figure, Period, Recommendation, ReportData, Section
from .queries import Queries
from .recommendations import SKIPPED, recommend
from .scope import Scope, ScopedSnapshot

REPORT_MODULES: dict[str, ModuleType] = {
    "performance": performance, "data_quality": data_quality, "usage": usage, "compliance": compliance,
}  # fmt: skip
CUSTOM = "custom"


def section_catalog() -> dict[str, Callable[[Queries], Section]]:
    """Every section of every report type as "<type>.<section>", the choices of a custom report."""
    return {f"{name}.{key}": build for name, module in REPORT_MODULES.items() for key, build in module.SECTIONS.items()}


@dataclass(frozen=True)
class ReportRequest:
    report_type: str  # one of REPORT_MODULES or "custom"
    period: Period
    integrations: tuple[str, ...] = ()
    entity_types: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()  # custom reports only: keys of section_catalog()
    title: str | None = None

    def section_keys(self) -> list[str]:
        if self.report_type == CUSTOM:
            catalog = section_catalog()
            unknown = [key for key in self.sections if key not in catalog]
            if unknown:
                raise ValueError(f"unknown report section(s) {unknown}; choose from {', '.join(catalog)}")
            return list(self.sections) or list(catalog)
        if self.report_type not in REPORT_MODULES:
            raise ValueError(f"unknown report type {self.report_type!r}; types are {', '.join(REPORT_MODULES)}, custom")
        return [f"{self.report_type}.{key}" for key in REPORT_MODULES[self.report_type].SECTIONS]


def build_report(con: duckdb.DuckDBPyConnection, request: ReportRequest, *, generated_at: datetime) -> ReportData:
    keys = request.section_keys()
    snapshot = ScopedSnapshot(con, Scope(request.period, request.integrations, request.entity_types))
    q = Queries(snapshot)
    catalog = section_catalog()
    built = [_section_or_note(key, catalog[key], q) for key in keys]
    sections = tuple(_prefixed(s, key) if request.report_type == CUSTOM else s for key, (s, _) in zip(keys, built))
    skipped = tuple(note for _, note in built if note is not None)
    types = list(dict.fromkeys(key.split(".")[0] for key in keys))
    summary = tuple({f.key: f for t in types for f in REPORT_MODULES[t].summary(q)}.values())
    sessions = int(q.one("usage_summary").get("sessions") or 0)
    title = request.title or (REPORT_MODULES[request.report_type].TITLE if request.report_type in REPORT_MODULES
                              else "Custom report")
    (as_of,) = con.execute("SELECT max(last_event_at) FROM marts.fct_sync_sessions").fetchall()[0]
    return ReportData(
        report_type=request.report_type,
        title=title,
        period=request.period,
        generated_at=generated_at,
        data_as_of=from_utc_naive(as_of) if as_of else None,
        filters={"integrations": list(request.integrations), "entity_types": list(request.entity_types),
                 "sections": keys if request.report_type == CUSTOM else []},
        summary=summary,
        highlights=_highlights(summary, sessions, q),
        sections=sections,
        recommendations=skipped + recommend(q, keys, sessions),
        inputs=snapshot.input_counts(),
    )


def _section_or_note(
    key: str, build: Callable[[Queries], Section], q: Queries
) -> tuple[Section, Recommendation | None]:
    """The section, or, when it cannot be computed, an empty one saying why (the others still render)."""
    try:
        return build(q), None
    except Exception as error:  # noqa: BLE001 - one section's failure never fails the whole report
        reason = error_line(error)
        title = key.split(".", 1)[1].replace("_", " ").capitalize()
        intro = f"This section could not be computed ({reason}). The other sections are complete."
        note = Recommendation(SKIPPED, "warning", f"Section {title!r} was skipped: {reason}.",
                              {"section": key, "error": reason})
        return Section(key=key.split(".", 1)[1], title=title, intro=intro), note


def skipped_parts(report: ReportData) -> list[dict]:
    """What this report could not compute (sections, rules, integrations), for run metadata and logs."""
    return [dict(r.figures) for r in report.recommendations if r.rule == SKIPPED]


def _prefixed(section: Section, key: str) -> Section:
    """A custom report may mix types: its section keys keep their type so charts and tables stay unique."""
    prefix = key.split(".")[0]
    return replace(
        section, key=key.replace(".", "-"),
        charts=tuple(replace(c, key=f"{prefix}-{c.key}") for c in section.charts),
        tables=tuple(replace(t, key=f"{prefix}-{t.key}") for t in section.tables),
    )


def _highlights(summary: tuple[Figure, ...], sessions: int, q: Queries) -> tuple[str, ...]:
    """The executive summary in sentences, from the same figures the report shows."""
    usage = q.one("usage_summary")
    perf = q.one("performance_summary")
    lines = [
        f"{sessions:,} sessions ran across {usage.get('integrations_active') or 0:,} integrations and processed"
        f" {format_value(usage.get('records_processed') or 0, 'int')} records."
    ]
    if perf.get("success_rate") is not None:
        lines.append(f"{format_value(perf['success_rate'], 'percent')} of finished sessions succeeded; the median"
                     f" session took {format_value(perf.get('duration_p50'), 'seconds')} and the p95"
                     f" {format_value(perf.get('duration_p95'), 'seconds')}.")
    quality = q.one("quality_summary")
    if quality:
        lines.append(f"{format_value(quality.get('errors') or 0, 'int')} errors, of which"
                     f" {format_value(quality.get('validation_errors') or 0, 'int')} validation issues;"
                     f" {format_value(quality.get('conflicts_unresolved') or 0, 'int')} of"
                     f" {format_value(quality.get('conflicts') or 0, 'int')} conflicts are unresolved.")
    return tuple(lines)
