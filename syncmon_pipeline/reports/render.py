"""Render report data as a self-contained HTML page (plotly.js inlined: it opens offline from disk)."""

from __future__ import annotations

from functools import cache

import jinja2
from plotly.offline import get_plotlyjs

from .charts import figure, script_json
from .formatting import format_value, sort_key
from .model import ReportData

NUMERIC_KINDS = ("int", "number", "percent", "seconds")


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("syncmon_pipeline.reports", "templates"),
        autoescape=True,  # every template, whatever its name: report data carries free text from synchronisers
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = format_value
    env.filters["sortkey"] = sort_key
    env.globals["numeric_kinds"] = NUMERIC_KINDS
    return env


@cache
def plotly_js() -> str:
    return get_plotlyjs()


def chart_specs(report: ReportData) -> str:
    return script_json({f"chart-{c.key}": figure(c) for c in report.charts if c.points})


def render_report_html(report: ReportData, *, refresh_seconds: int | None = None, template: str = "report.html.j2") -> str:
    return environment().get_template(template).render(
        report=report, plotly_js=plotly_js(), chart_specs=chart_specs(report), refresh_seconds=refresh_seconds
    )
