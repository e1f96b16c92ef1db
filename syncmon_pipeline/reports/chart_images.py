"""Static PNG images of a report's charts for e-mail bodies (mail clients run no JavaScript).

Each chart is drawn by plotly.js in headless Chromium and screenshotted; without Chromium the e-mail
simply has no images (its tables carry the figures).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from .charts import figure, script_json
from .email import ChartImage
from .model import ReportData
from .pdf import CHROMIUM_FLAGS
from .render import plotly_js

WIDTH, HEIGHT = 760, 360


def _page(spec_json: str) -> str:
    return (
        "<!doctype html><html><head><meta charset='utf-8'><style>body{margin:0;background:#fff}</style></head><body>"
        f"<div id='c' style='width:{WIDTH}px;height:{HEIGHT}px'></div><script>{plotly_js()}</script>"
        f"<script>var s={spec_json};s.layout.width={WIDTH};s.layout.height={HEIGHT};"
        "Plotly.newPlot('c',s.data,s.layout,{staticPlot:true});</script></body></html>"
    )


def chart_images(report: ReportData, *, chromium: str, limit: int = 3, timeout: float = 60) -> list[ChartImage]:
    images: list[ChartImage] = []
    charts = [c for c in report.charts if c.points][:limit]
    with tempfile.TemporaryDirectory(prefix="syncmon-charts-") as work:
        for index, chart in enumerate(charts):
            page, png = Path(work) / f"chart{index}.html", Path(work) / f"chart{index}.png"
            page.write_text(_page(script_json(figure(chart))), "utf-8")
            command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={work}/profile", "--hide-scrollbars",
                       f"--window-size={WIDTH},{HEIGHT}", "--virtual-time-budget=10000", f"--screenshot={png}",
                       page.as_uri()]
            try:
                subprocess.run(command, capture_output=True, timeout=timeout, check=False)
            except subprocess.TimeoutExpired:
                continue  # one chart missing from a mail body is not worth failing the delivery
            if png.exists() and png.stat().st_size > 0:
                images.append(ChartImage(f"chart-{chart.key}@syncmon", chart.title, png.read_bytes()))
    return images
