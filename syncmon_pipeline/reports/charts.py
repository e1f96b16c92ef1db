"""Charts as plotly figure specifications (plain dicts): the page draws them with the inlined plotly.js."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .model import Chart

_LAYOUT = {
    "margin": {"l": 56, "r": 16, "t": 40, "b": 48},
    "height": 340,
    "legend": {"orientation": "h", "y": -0.2},
    "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
    "paper_bgcolor": "rgba(0,0,0,0)",
}


# Health statuses keep the page's colours in charts too (plotly's default palette would make "down" orange).
STATUS_COLOURS = {"healthy": "#1a7f37", "degraded": "#9a6700", "stale": "#bc4c00", "down": "#cf222e", "unknown": "#8c959f"}


def _trace(chart: Chart, index: int) -> dict[str, Any]:
    s = chart.series[index]
    x, y = list(s.x), [None if isinstance(v, float) and math.isnan(v) else v for v in s.y]
    if chart.kind == "pie":
        trace = {"type": "pie", "labels": x, "values": y, "name": s.name, "hole": 0.35, "sort": False}
        if x and all(label in STATUS_COLOURS for label in x):
            trace["marker"] = {"colors": [STATUS_COLOURS[label] for label in x]}
        return trace
    if chart.kind == "bar":
        return {"type": "bar", "x": x, "y": y, "name": s.name}
    if chart.kind == "area":
        trace = {"type": "scatter", "mode": "lines", "x": x, "y": y, "name": s.name}
        trace.update({"stackgroup": "one"} if chart.stacked else {"fill": "tozeroy"})
        return trace
    if chart.kind == "scatter":
        return {"type": "scatter", "mode": "markers", "x": x, "y": y, "name": s.name, "text": list(s.text),
                "hovertemplate": "%{text}<br>%{x:.1f}, %{y:.1f}<extra></extra>", "marker": {"size": 9, "opacity": 0.75}}
    return {"type": "scatter", "mode": "lines+markers", "x": x, "y": y, "name": s.name, "connectgaps": False}


def figure(chart: Chart) -> dict[str, Any]:
    layout = {**_LAYOUT, "title": {"text": chart.title}, "showlegend": len(chart.series) > 1 or chart.kind == "pie"}
    if chart.kind != "pie":
        layout["xaxis"] = {"title": {"text": chart.x_title}, "automargin": True}
        layout["yaxis"] = {"title": {"text": chart.y_title}, "automargin": True, "rangemode": "tozero"}
    if chart.kind == "bar" and chart.stacked:
        layout["barmode"] = "stack"
    return {"data": [_trace(chart, i) for i in range(len(chart.series))], "layout": layout}


def _default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot put {type(value).__name__} in a chart")


def script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element: no `</script>`, `<!--` or `&` can end or bend it."""
    text = json.dumps(value, default=_default, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
