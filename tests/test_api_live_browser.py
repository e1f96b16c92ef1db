"""The live dashboard (`GET /`) in headless Chromium against a real uvicorn: rows appear under
"Running now" and in the alerts table as the stream brings them, without a reload; a new snapshot
swaps in the new figures and charts; the token leaves the address bar; 390 px has no horizontal
overflow. Screenshots: $SYNCMON_TEST_ARTIFACTS/screenshots/live-<width>.png."""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Error, Page, sync_playwright

from api_support import INGEST_SECRET, READER_SECRET, RunningApi, running_api
from report_support import synthetic_home
from test_report_browser import CHROMIUM_ARGS, SCREENSHOTS, chromium_program

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

HOSTILE_SUMMARY = '<img src=x onerror=alert("live")> <script>alert("live")</script> firing'
ROW_TEXT_JS = """([table, text]) => Array.from(document.querySelectorAll(`#${table} tbody tr`))
    .some((row) => row.innerText.includes(text))"""
ROW_JS = """([table, text]) => { const row = Array.from(document.querySelectorAll(`#${table} tbody tr`))
    .find((r) => r.innerText.includes(text)); return row ? {text: row.innerText, cls: row.className} : null; }"""
CHARTS_DRAWN_JS = """() => { const charts = Array.from(document.querySelectorAll(".chart"));
    return charts.length > 0 && charts.every((el) => el._fullLayout && el.querySelector(".main-svg")); }"""


@dataclass
class Watched:
    page: Page
    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # console errors, page errors, dialogs


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApi]:
    paths = synthetic_home(tmp_path_factory.mktemp("live"), hostile=True)
    with running_api(paths.home) as running:
        yield running


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


@pytest.fixture
def open_page(api: RunningApi, browser: Browser) -> Iterator:
    contexts = []

    def open_at(width: int) -> Watched:
        context = browser.new_context(viewport={"width": width, "height": 900})
        contexts.append(context)
        page = context.new_page()
        seen = Watched(page)
        # Only the service itself may be reached: anything else is recorded and refused.
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(api.url)
                      else (seen.requests.append(route.request.url), route.abort()))  # fmt: skip
        page.on("console", lambda msg: seen.problems.append(f"console: {msg.text}") if msg.type == "error" else None)
        page.on("pageerror", lambda exc: seen.problems.append(f"page error: {exc}"))
        page.on("dialog", lambda dialog: (seen.problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
        page.goto(f"{api.url}/?access_token={READER_SECRET}", wait_until="load", timeout=30_000)
        page.wait_for_function("() => document.documentElement.dataset.live === 'live'", timeout=10_000)
        return seen

    yield open_at
    for context in contexts:
        context.close()  # closes the page's EventSource before the server stops


def screenshot(page: Page, width: int) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"live-{width}.png"
    target.unlink(missing_ok=True)
    page.screenshot(path=str(target), full_page=True)


def append_changefeed(api: RunningApi, kind: str, integration: str | None, data: dict) -> None:
    folder = api.ctx.paths.changefeed
    folder.mkdir(parents=True, exist_ok=True)
    line = {"at": "2026-11-23T06:30:00+00:00", "kind": kind, "integration_id": integration, "data": data}
    with (folder / "alerts.ndjson").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line) + "\n")


def post_session(api: RunningApi, integration: str, session_id: str, status: str) -> float:
    """Through the API, as a synchronizer would; returns when the answer came."""
    with api.client(INGEST_SECRET) as client:
        body = {"integration_id": integration, "provider": "canvas", "session_id": session_id}
        if status == "running":
            answer = client.post("/v1/sessions", json={**body, "sync_type": "incremental", "direction": "inbound",
                                                       "triggered_by": "manual", "status": "running", "stage": "fetch"})
        else:
            body.pop("session_id")
            answer = client.put(f"/v1/sessions/{session_id}", json={**body, "status": status})
    assert answer.status_code == 202, answer.text
    return time.monotonic()


def test_live_page_follows_sessions_alerts_and_snapshots(api: RunningApi, open_page):
    seen = open_page(1280)
    page = seen.page
    assert "access_token" not in page.url  # taken out of the address bar
    assert page.evaluate("() => sessionStorage.getItem('syncmon-token')") == READER_SECRET
    page.wait_for_function(CHARTS_DRAWN_JS, timeout=20_000)
    snapshot_rows = page.evaluate(
        "() => document.querySelectorAll('#table-running_sessions tbody tr:not(:has(.nodata))').length")
    firing_before = page.inner_text('.figure[data-key="alerts_firing"] .value')

    # A session posted to the API shows under "Running now" at once, provisional.
    integration, session = f"canvas-live-{uuid.uuid4().hex[:6]}", f"s-{uuid.uuid4().hex[:8]}"
    posted = post_session(api, integration, session, "running")
    page.wait_for_function(ROW_TEXT_JS, arg=["table-running_sessions", integration], timeout=2_000)
    assert time.monotonic() - posted < 2.0
    row = page.evaluate(ROW_JS, ["table-running_sessions", integration])
    assert "running" in row["text"] and "fetch" in row["text"] and "provisional" in row["text"].lower()
    assert "provisional" in row["cls"]
    assert page.evaluate("() => document.querySelectorAll('#table-running_sessions tbody tr').length") \
        == snapshot_rows + 1
    assert page.inner_text('.figure[data-key="active_syncs"] .value') == str(snapshot_rows + 1)
    # Ingest takes the landing file away: the row is real now (no longer provisional), and stays.
    time.sleep(0.6)  # the landing watcher (every 0.25 s) sees the file first, as it would: ingest waits 2 s
    for landed in api.ctx.paths.landing.glob("*.ndjson*"):
        landed.unlink()
    page.wait_for_function("""(text) => { const r = Array.from(document.querySelectorAll(
        '#table-running_sessions tbody tr')).find((row) => row.innerText.includes(text));
        return r && !r.classList.contains('provisional'); }""", arg=integration, timeout=3_000)  # fmt: skip

    # An alert from the changefeed shows in the alerts table, its markup as text.
    alert_id = f"alert-{uuid.uuid4().hex[:8]}"
    append_changefeed(api, "alert_firing", integration, {
        "alert_id": alert_id, "fingerprint": f"fp-{alert_id}", "alert_type": "sync_failure", "severity": "critical",
        "status": "firing", "fired_at": "2026-11-23T06:29:00+00:00", "summary": HOSTILE_SUMMARY,
    })  # fmt: skip
    page.wait_for_function(ROW_TEXT_JS, arg=["table-firing_alerts", HOSTILE_SUMMARY], timeout=3_000)
    first_alert = page.evaluate("() => document.querySelector('#table-firing_alerts tbody tr').innerText")
    assert integration in first_alert and "critical" in first_alert  # the most severe, newest first
    assert int(page.inner_text('.figure[data-key="alerts_firing"] .value').replace(",", "")) \
        == int(firing_before.replace(",", "")) + 1
    append_changefeed(api, "alert_acknowledged", integration, {"alert_id": alert_id, "acknowledged_by": "ops-alice"})
    page.wait_for_function("""(id) => { const r = Array.from(document.querySelectorAll('#table-firing_alerts tbody tr'))
        .find((row) => row.dataset.key === id); return r && r.innerText.includes('acknowledged')
        && r.innerText.includes('ops-alice'); }""", arg=alert_id, timeout=3_000)  # fmt: skip

    # A new analyst snapshot: the page swaps in the server's new content; the live rows stay.
    snapshot = api.ctx.paths.analytics_snapshot
    staging = snapshot.with_name(".analytics.duckdb.copy")
    shutil.copyfile(snapshot, staging)
    os.replace(staging, snapshot)
    page.wait_for_function("() => document.documentElement.dataset.liveRefreshed", timeout=5_000)
    page.wait_for_function(CHARTS_DRAWN_JS, timeout=10_000)
    assert page.evaluate(ROW_TEXT_JS, ["table-running_sessions", integration])
    assert page.evaluate(ROW_TEXT_JS, ["table-firing_alerts", HOSTILE_SUMMARY])
    screenshot(page, 1280)

    # A terminal status removes the row; a resolved alert leaves the table.
    post_session(api, integration, session, "completed")
    append_changefeed(api, "alert_resolved", integration, {"alert_id": alert_id})
    page.wait_for_function("(args) => !(" + ROW_TEXT_JS + ")(args)", arg=["table-running_sessions", integration],
                           timeout=3_000)  # fmt: skip
    page.wait_for_function("(args) => !(" + ROW_TEXT_JS + ")(args)", arg=["table-firing_alerts", HOSTILE_SUMMARY],
                           timeout=3_000)  # fmt: skip
    assert page.inner_text('.figure[data-key="alerts_firing"] .value') == firing_before

    assert seen.requests == []  # nothing but the service itself
    assert seen.problems == []  # no console errors, no script ran from the data


def test_live_page_at_phone_width_has_no_horizontal_overflow(api: RunningApi, open_page):
    seen = open_page(390)
    page = seen.page
    page.wait_for_function(CHARTS_DRAWN_JS, timeout=20_000)
    integration = f"canvas-phone-{uuid.uuid4().hex[:6]}"
    post_session(api, integration, f"s-{uuid.uuid4().hex[:8]}", "running")
    page.wait_for_function(ROW_TEXT_JS, arg=["table-running_sessions", integration], timeout=2_000)
    assert page.evaluate("() => document.scrollingElement.scrollWidth") <= 390
    screenshot(page, 390)
    assert seen.requests == [] and seen.problems == []


def test_a_reload_keeps_the_tab_signed_in_and_a_bad_token_gets_the_explanation(api: RunningApi, open_page):
    page = open_page(1280).page
    page.reload(wait_until="load")  # the address has no token now: the tab's copy is used
    page.wait_for_function("() => document.documentElement.dataset.live === 'live'", timeout=10_000)
    assert "access_token" not in page.url
    page.evaluate("() => sessionStorage.clear()")
    answer = page.goto(f"{api.url}/?access_token=not-a-valid-token-000", wait_until="load")
    assert answer is not None and answer.status == 401
    assert "needs a token" in page.inner_text("h1")
    assert "access_token" not in page.url
