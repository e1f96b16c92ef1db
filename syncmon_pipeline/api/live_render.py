"""Render the live dashboard: the static dashboard's templates, plus the page state and script.

The page extends the reports' `base.html.j2` (same look, plotly.js inlined gzip-compressed exactly as
in the offline dashboard) and shows the same sections; `live.js` (inlined: the page loads nothing
else) keeps "Running now", "Firing alerts" and, on each new snapshot, everything else current.
The script never contains `</script>` (it is inlined as it is).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jinja2

from syncmon_pipeline.contract import TERMINAL_STATUSES
from syncmon_pipeline.reports.charts import script_json
from syncmon_pipeline.reports.formatting import format_value, sort_key
from syncmon_pipeline.reports.render import NUMERIC_KINDS, chart_specs, plotly_js_packed

from .live_page import LiveView, columns_json

# What the page follows: the session events that change "Running now", the alert changefeed, and the
# messages that say the snapshot's figures (or provisional rows) changed.
PAGE_KINDS = ("session_created", "session_status", "session_progress", "session_error", "alert", "ingested",
              "snapshot_published")  # fmt: skip

# Everything the page needs is inline (scripts, styles, the charts' data); it talks only to its own origin.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                               "img-src data: blob:; connect-src 'self'; base-uri 'none'; form-action 'self'; "
                               "frame-ancestors 'none'",
}  # fmt: skip


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.PackageLoader("syncmon_pipeline.api", "templates"),
                                    jinja2.PackageLoader("syncmon_pipeline.reports", "templates")]),
        autoescape=True,  # the data carries free text from synchronisers
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )  # fmt: skip
    env.filters["fmt"] = format_value
    env.filters["sortkey"] = sort_key
    env.globals["numeric_kinds"] = NUMERIC_KINDS
    return env


@cache
def live_js() -> str:
    """The page's script: its rows (live_rows.js), then what shows them and follows the stream (live.js)."""
    static = resources.files("syncmon_pipeline.api").joinpath("static")
    return "\n".join(static.joinpath(name).read_text("utf-8") for name in ("live_rows.js", "live.js"))


def page_state(view: LiveView, cursor: int) -> dict[str, Any]:
    report = view.report
    return {
        "cursor": cursor,
        "as_of": report.data_as_of.isoformat() if report.data_as_of else None,
        "snapshots": view.snapshots,
        "running": {"columns": columns_json(report, "running_sessions"), "rows": view.running},
        "alerts": {"columns": columns_json(report, "firing_alerts"), "rows": view.alerts},
        "terminal": list(TERMINAL_STATUSES),
        "kinds": list(PAGE_KINDS),
    }


def render_main(view: LiveView) -> str:
    return environment().get_template("live_main.html.j2").render(report=view.report, notice=view.notice)


def render_page(view: LiveView, cursor: int) -> str:
    return environment().get_template("live.html.j2").render(
        report=view.report, notice=view.notice, plotly_packed=plotly_js_packed(), chart_specs=chart_specs(view.report),
        state_json=script_json(page_state(view, cursor)), live_js=live_js(),
    )  # fmt: skip


def render_fragment(view: LiveView, cursor: int) -> dict[str, Any]:
    """What the page fetches when a snapshot is published: the new main content, its charts and state."""
    charts = json.loads(chart_specs(view.report))  # plotly figures, timestamps as ISO strings
    return {"html": render_main(view), "charts": charts, "state": page_state(view, cursor)}


def render_denied(status: int, detail: str) -> str:
    return environment().get_template("live_denied.html.j2").render(status=status, detail=detail)
