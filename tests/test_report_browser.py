"""Every report type and the dashboard in headless Chromium, at a phone and a desktop width.

One synthetic home with hostile text, its reports (the four types weekly, a custom report over the
whole synthetic range, a daily and a monthly one) and the dashboard; one browser for the module and
one context per width. Each page is opened once per width (offline, from `file://`) and what the
tests look at is gathered in that one visit: requests, console and page errors, dialogs, the plotly
graphs, widths, tables, figures, the visible text and a full-page screenshot.

Screenshots go to $SYNCMON_TEST_ARTIFACTS/screenshots (default /tmp/syncmon-test-artifacts/screenshots),
named `<page>-<width>.png`. Chromium is the system one (Debian: `apt-get install chromium`); without it
these tests fail, they do not skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from playwright.sync_api import Browser, BrowserContext, Error, sync_playwright

from report_support import DAY, GENERATED_AT, SNAPSHOT_END, WEEK, generate, synthetic_home
from syncmon_pipeline.reports.build import ReportRequest
from syncmon_pipeline.reports.formatting import format_value
from syncmon_pipeline.reports.materialize import GeneratedReport, generate_dashboard, generate_report
from syncmon_pipeline.reports.model import ReportData
from syncmon_pipeline.reports.pdf import ChromiumMissing, find_chromium
from syncmon_pipeline.reports.period import custom_period
from syncmon_pipeline.reports.settings import ReportSettings

pytestmark = pytest.mark.browser  # drives Debian's chromium

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
]  # fmt: skip
WIDTHS = (390, 1280)
PHONE = 390
REPORT_TYPES = ("performance", "data_quality", "usage", "compliance")
PAGES = (*REPORT_TYPES, "custom", "daily", "monthly", "dashboard")
CUSTOM_SECTIONS = ("performance.durations", "usage.peak_times", "compliance.audit_trail", "data_quality.validation")
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
SCREENSHOTS = Path(os.environ.get("SYNCMON_TEST_ARTIFACTS") or "/tmp/syncmon-test-artifacts") / "screenshots"

# What the synthetic snapshot plants with hostile=True (synthetic.py), plus what this module plants:
# no report shows the message of a non-validation error, and the synthetic `<script>` error is an
# authentication error, so the markup goes into texts that pages do show as well.
HOSTILE_MARKERS = ("<script", "<img", "onerror=", "=HYPERLINK(", "@SUM(", "+1-555-0100")
PLANTED_VALIDATION_MESSAGE = '<script>alert("x")</script> <img src=x onerror=alert("img")> failed'
PLANTED_ALERT_SUMMARY = '<script>alert("dashboard")</script> firing'

# Gathered in the page after its charts are drawn.
FACTS_JS = """
() => {
  const text = (el) => (el ? el.innerText.trim() : null);
  const charts = Array.from(document.querySelectorAll(".chart")).map((el) => ({
    id: el.id,
    drawn: Boolean(el._fullLayout && el.querySelector(".main-svg")),
    traces: (el.data || []).map((t) => {
      const arrays = ["x", "y", "values", "labels"].filter((k) => Array.isArray(t[k]) || ArrayBuffer.isView(t[k]));
      const longest = Math.max(0, ...arrays.map((k) => t[k].length));
      const values = Array.from(t.values || t.y || []);
      return {type: t.type, points: longest, nonNull: values.filter((v) => v !== null && v !== undefined).length};
    }),
  }));
  const tables = {};
  document.querySelectorAll("table.sortable").forEach((table) => {
    const rows = Array.from(table.tBodies[0].rows);
    tables[table.id] = {
      rows: rows.filter((r) => !r.querySelector(".nodata")).length,
      empty: rows.some((r) => r.querySelector(".nodata")),
      firstCells: rows.map((r) => text(r.cells[0])),
      insideWrap: Boolean(table.parentElement && table.parentElement.classList.contains("table-wrap")),
    };
  });
  const figures = {};
  document.querySelectorAll(".figure[data-key]").forEach((el) => {
    if (!(el.dataset.key in figures)) { figures[el.dataset.key] = text(el.querySelector(".value")); }
  });
  const handlers = Array.from(document.querySelectorAll("*")).filter(
    (el) => Array.from(el.attributes).some((a) => a.name.toLowerCase().startsWith("on"))).length;
  const refresh = document.querySelector('meta[http-equiv="refresh"]');
  return {
    charts, tables, figures, handlers,
    scripts: document.scripts.length,
    images: document.images.length,
    refresh: refresh ? refresh.getAttribute("content") : null,
    scrollWidth: document.documentElement.scrollWidth,
    bodyScrollWidth: document.body.scrollWidth,
    text: document.body.innerText,
    title: document.title,
  };
}
"""

CHARTS_DRAWN_JS = """
() => Array.from(document.querySelectorAll(".chart")).every((el) => el._fullLayout && el.querySelector(".main-svg"))
"""


def chromium_program() -> str:
    """The system Chromium ($SYNCMON_CHROMIUM, else chromium on PATH): never one Playwright downloads."""
    try:
        return find_chromium()
    except ChromiumMissing as exc:
        pytest.fail(f"the browser tests need headless Chromium: apt-get install chromium (CI installs it). {exc}",
                    pytrace=False)


@dataclass(frozen=True)
class Site:
    pages: dict[str, GeneratedReport]
    health_rows: int
    alert_rows: int  # firing or acknowledged

    def data(self, name: str) -> ReportData:
        return self.pages[name].data

    def url(self, name: str) -> str:
        return self.pages[name].files.html.resolve().as_uri()


@dataclass
class Visit:
    name: str
    width: int
    url: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    charts_drawn: bool = False
    facts: dict[str, Any] = field(default_factory=dict)
    screenshot: Path | None = None


def _plant_hostile_text(snapshot: Path) -> str:
    """Markup where pages show it; returns the integration of the planted validation message."""
    with duckdb.connect(str(snapshot)) as con:
        event_id, integration = con.execute(
            "SELECT event_id, integration_id FROM marts.fct_sync_errors WHERE category = 'validation'"
            " ORDER BY occurred_at DESC, event_id LIMIT 1"
        ).fetchone()
        con.execute("UPDATE marts.fct_sync_errors SET message = ? WHERE event_id = ?",
                    [PLANTED_VALIDATION_MESSAGE, event_id])
        con.execute(
            "UPDATE alerts.alerts SET summary = ? WHERE alert_id = (SELECT alert_id FROM alerts.alerts"
            " WHERE status = 'firing' ORDER BY fired_at DESC, alert_id LIMIT 1)", [PLANTED_ALERT_SUMMARY]
        )
    return integration


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    paths = synthetic_home(tmp_path_factory.mktemp("browser"), hostile=True)
    hostile_integration = _plant_hostile_text(paths.analytics_snapshot)
    with duckdb.connect(str(paths.analytics_snapshot), read_only=True) as con:
        others = [r[0] for r in con.execute(
            "SELECT integration_id FROM marts.dim_integrations WHERE integration_id <> ? ORDER BY integration_id LIMIT 2",
            [hostile_integration]).fetchall()]
        (health_rows,) = con.execute("SELECT count(*) FROM marts.mart_integration_health").fetchone()
        (alert_rows,) = con.execute(
            "SELECT count(*) FROM alerts.alerts WHERE status IN ('firing', 'acknowledged')").fetchone()
    pages = {name: generate(paths, name, granularity="weekly", key=WEEK) for name in REPORT_TYPES}
    whole_range = custom_period(SNAPSHOT_END - timedelta(days=11), SNAPSHOT_END + timedelta(hours=1), "UTC", "all")
    pages["custom"] = generate_report(
        paths, ReportRequest("custom", whole_range, integrations=(hostile_integration, *others),
                             sections=CUSTOM_SECTIONS, title="Custom report <b>bold?</b>"),
        ReportSettings(pdf=False), generated_at=GENERATED_AT,
    )
    pages["daily"] = generate(paths, "data_quality", granularity="daily", key=DAY)
    pages["monthly"] = generate(paths, "usage", granularity="monthly", key="2026-11-01")
    pages["dashboard"] = generate_dashboard(paths, ReportSettings(pdf=False), generated_at=GENERATED_AT)
    return Site(pages, health_rows, alert_rows)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    program = chromium_program()
    with sync_playwright() as p:
        try:
            launched = p.chromium.launch(executable_path=program, args=CHROMIUM_ARGS)
        except Error as exc:
            pytest.fail(f"Chromium at {program} did not start ({exc}); reinstall it: apt-get install chromium",
                        pytrace=False)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def contexts(browser: Browser) -> Iterator[dict[int, BrowserContext]]:
    """One offline context per width: a page that reaches for the network fails in it."""
    made = {w: browser.new_context(viewport={"width": w, "height": 900}, offline=True) for w in WIDTHS}
    try:
        yield made
    finally:
        for context in made.values():
            context.close()


@pytest.fixture(scope="module")
def visits(site: Site, contexts: dict[int, BrowserContext]) -> Iterator[Any]:
    done: dict[tuple[str, int], Visit] = {}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def load(name: str) -> None:
        """Open the page at every width at once (two renderers work in parallel), then look at each."""
        opened = []
        try:
            for width in WIDTHS:
                seen = Visit(name, width, site.url(name))
                page = contexts[width].new_page()
                opened.append((seen, page))
                page.on("request", lambda request, seen=seen: seen.requests.append(request.url))
                page.on("console", lambda msg, seen=seen: seen.console_errors.append(f"{msg.text} ({msg.location})")
                        if msg.type == "error" else None)
                page.on("pageerror", lambda exc, seen=seen: seen.page_errors.append(str(exc)))
                page.on("dialog", lambda dialog, seen=seen: (seen.dialogs.append(dialog.message), dialog.dismiss()))
                page.goto(seen.url, wait_until="commit", timeout=30_000)
            for seen, page in opened:
                page.wait_for_load_state("load", timeout=30_000)
                try:
                    page.wait_for_function(CHARTS_DRAWN_JS, timeout=20_000)
                    seen.charts_drawn = True
                except Error:
                    seen.charts_drawn = False
                seen.facts = page.evaluate(FACTS_JS)
                seen.screenshot = SCREENSHOTS / f"{name}-{seen.width}.png"
                seen.screenshot.unlink(missing_ok=True)  # not last run's
                page.screenshot(path=str(seen.screenshot), full_page=True)
                done[(name, seen.width)] = seen
        finally:
            for _, page in opened:
                page.close()

    def visit(name: str, width: int) -> Visit:
        if (name, width) not in done:
            load(name)
        return done[(name, width)]

    yield visit


by_page_and_width = pytest.mark.parametrize(
    ("name", "width"), [(n, w) for n in PAGES for w in WIDTHS], ids=[f"{n}-{w}" for n in PAGES for w in WIDTHS]
)


def _strings(report: ReportData) -> Iterator[str]:
    """Every free text the page shows from the data, as the page formats it."""
    yield report.title
    yield from report.highlights
    yield from (r.text for r in report.recommendations)
    for values in report.filters.values():
        yield from values
    for figure in report.summary:
        yield format_value(figure.value, figure.kind)
    for table in report.tables:
        for row in table.rows:
            for column, value in zip(table.columns, row):
                if isinstance(value, str):
                    yield format_value(value, column.kind)


def _hostile_strings(report: ReportData) -> list[str]:
    return sorted({s for s in _strings(report) if any(marker in s for marker in HOSTILE_MARKERS)})


@by_page_and_width
def test_page_works_offline_without_errors(visits: Any, name: str, width: int) -> None:
    seen = visits(name, width)
    outside = [url for url in seen.requests if not url.startswith(LOCAL_SCHEMES)]
    assert not outside, f"{name} at {width} px reached outside the file: {outside}"
    assert seen.requests and seen.requests[0] == seen.url
    assert not seen.console_errors, f"console errors on {name} at {width} px: {seen.console_errors}"
    assert not seen.page_errors, f"script errors on {name} at {width} px: {seen.page_errors}"


@by_page_and_width
def test_every_chart_is_drawn_with_data(site: Site, visits: Any, name: str, width: int) -> None:
    seen = visits(name, width)
    expected = [f"chart-{c.key}" for c in site.data(name).charts if c.points]
    assert expected, f"{name} has no chart with data"
    charts = seen.facts["charts"]
    assert [c["id"] for c in charts] == expected
    assert seen.charts_drawn, f"plotly did not draw every chart of {name}: {[c for c in charts if not c['drawn']]}"
    for chart in charts:
        assert chart["traces"], f"{chart['id']} has no traces"
        assert any(t["points"] > 0 and t["nonNull"] > 0 for t in chart["traces"]), f"{chart['id']} has no points"


@by_page_and_width
def test_tables_show_every_row(site: Site, visits: Any, name: str, width: int) -> None:
    tables = visits(name, width).facts["tables"]
    expected = {f"table-{t.key}": t for t in site.data(name).tables}
    assert set(tables) == set(expected)
    for key, table in expected.items():
        shown = tables[key]
        assert shown["rows"] == len(table.rows), key
        assert shown["empty"] == (not table.rows), key
        assert shown["insideWrap"], f"{key} is not in a .table-wrap (it could not scroll on its own)"


@by_page_and_width
def test_hostile_text_is_shown_not_run(site: Site, visits: Any, name: str, width: int) -> None:
    seen = visits(name, width)
    facts = seen.facts
    assert not seen.dialogs, f"a script from the data ran on {name}: {seen.dialogs}"
    # the page's own: packed plotly.js, chart specs, page script, and the plotly.js it unpacked and ran
    assert facts["scripts"] == 4, "only the page's own four scripts"
    assert facts["images"] == 0 and facts["handlers"] == 0, "markup from the data became elements"
    for text in _hostile_strings(site.data(name)):
        assert text in facts["text"], f"{text!r} is not visible on {name}"


def test_hostile_text_reaches_the_pages(site: Site, visits: Any) -> None:
    """The checks above are not vacuous: the planted markup is in the data and visible as text."""
    custom = visits("custom", 1280)
    assert PLANTED_VALIDATION_MESSAGE in _hostile_strings(site.data("custom"))
    assert PLANTED_VALIDATION_MESSAGE in custom.facts["text"]
    assert "Custom report <b>bold?</b>" in custom.facts["text"]
    dashboard = visits("dashboard", 1280)
    shown = _hostile_strings(site.data("dashboard"))
    assert PLANTED_ALERT_SUMMARY in shown
    assert any(s.startswith("=HYPERLINK(") for s in shown), "the synthetic status reason is on the dashboard"
    for text in shown:
        assert text in dashboard.facts["text"]


@pytest.mark.parametrize("name", PAGES)
def test_phone_width_has_no_horizontal_overflow(visits: Any, name: str) -> None:
    facts = visits(name, PHONE).facts
    assert facts["scrollWidth"] <= PHONE + 1, f"{name} is {facts['scrollWidth']} px wide at {PHONE} px"
    assert facts["bodyScrollWidth"] <= PHONE + 1


@by_page_and_width
def test_screenshot(visits: Any, name: str, width: int) -> None:
    shot = visits(name, width).screenshot
    assert shot == SCREENSHOTS / f"{name}-{width}.png"
    assert shot.is_file() and shot.stat().st_size > 10_000, shot


def test_sortable_table_sorts_numbers_both_ways(site: Site, contexts: dict[int, BrowserContext]) -> None:
    page = contexts[1280].new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(site.url("performance"), wait_until="load")
        # A numeric column of a table with 3+ rows, whose values are not already in ascending order.
        target = page.evaluate("""() => {
          for (const table of document.querySelectorAll("table.sortable")) {
            const rows = Array.from(table.tBodies[0].rows);
            if (rows.length < 3) continue;
            const heads = Array.from(table.tHead.rows[0].cells);
            for (let i = 0; i < heads.length; i++) {
              if (!heads[i].classList.contains("n")) continue;
              const v = rows.map((r) => r.cells[i].getAttribute("data-n")).filter((s) => s !== "").map(parseFloat);
              const ascending = v.every((x, j) => j === 0 || v[j - 1] <= x);
              if (v.length >= 3 && !ascending) return {table: table.id, column: i + 1};
            }
          }
          return null;
        }""")
        assert target, "no numeric column of 3+ rows out of order in the performance report"
        header = page.locator(f"#{target['table']} thead th:nth-child({target['column']})")
        cells = f"#{target['table']} tbody tr td:nth-child({target['column']})"

        def column() -> list[float]:
            found = page.eval_on_selector_all(cells, "cells => cells.map(c => c.getAttribute('data-n'))")
            values = [v for v in found if v != ""]
            assert found[: len(values)] == values, "cells without a value sort last"
            return [float(v) for v in values]

        header.locator("button").click()
        assert header.get_attribute("aria-sort") == "ascending"
        ascending = column()
        assert ascending == sorted(ascending) and len(ascending) >= 3
        header.locator("button").click()
        assert header.get_attribute("aria-sort") == "descending"
        assert column() == sorted(ascending, reverse=True)
        assert not errors
    finally:
        page.close()


def test_reports_do_not_refresh(visits: Any) -> None:
    for name in (*REPORT_TYPES, "custom", "daily", "monthly"):
        assert visits(name, 1280).facts["refresh"] is None, name


def test_dashboard_contents(site: Site, visits: Any) -> None:
    data = site.data("dashboard")
    facts = visits("dashboard", 1280).facts
    assert facts["refresh"] == str(ReportSettings().dashboard_refresh_seconds) == "30"
    figures = {f.key: f for f in data.summary}
    for key in ("active_syncs", "completion_rate_24h", "avg_duration_seconds_24h", "uptime_24h"):
        assert facts["figures"][key] == format_value(figures[key].value, figures[key].kind), key
        assert facts["figures"][key] != "–", f"{key} has no value"
    tables = facts["tables"]
    running = next(t for t in data.tables if t.key == "running_sessions")
    assert tables["table-running_sessions"]["rows"] == len(running.rows) >= 1
    assert tables["table-running_sessions"]["firstCells"] == [r[0] for r in running.rows]
    assert tables["table-integration_health"]["rows"] == site.health_rows == 8
    assert tables["table-firing_alerts"]["rows"] == site.alert_rows >= 1
    assert tables["table-entity_metrics"]["rows"] >= 1
    charts = {c["id"] for c in facts["charts"]}  # drawn with data: test_every_chart_is_drawn_with_data
    assert {"chart-trend_sessions", "chart-trend_success", "chart-trend_records", "chart-entity_records",
            "chart-health_status"} <= charts
    for heading in ("Running now", "Firing alerts", "Integration health", "Trends (48 hours)", "Entity metrics"):
        assert heading in facts["text"]
