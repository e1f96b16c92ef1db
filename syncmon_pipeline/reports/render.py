"""Render report data as a self-contained HTML page (plotly.js inlined: it opens offline from disk).

plotly.js is 4.8 MB; inlined as is it would leave a 5 MB page little room for data. It is inlined
gzip-compressed (1.4 MB, base64 1.9 MB) and unpacked by the browser's DecompressionStream before the
charts are drawn.
"""

from __future__ import annotations

import base64
import gzip
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


@cache
def plotly_js_packed() -> str:
    """plotly.js gzip-compressed (mtime 0: the same bytes every time) and base64-encoded."""
    return base64.b64encode(gzip.compress(plotly_js().encode("utf-8"), compresslevel=9, mtime=0)).decode("ascii")


def chart_specs(report: ReportData) -> str:
    return script_json({f"chart-{c.key}": figure(c) for c in report.charts if c.points})


def render_report_html(report: ReportData, *, refresh_seconds: int | None = None, template: str = "report.html.j2") -> str:
    return environment().get_template(template).render(
        report=report, plotly_packed=plotly_js_packed(), chart_specs=chart_specs(report), refresh_seconds=refresh_seconds
    )
