"""The read endpoints over real published snapshots: a real uvicorn on loopback, real DuckDB files.

One module-wide home: a day of 4 simulated integrations plus a failing one (an alert, its e-mail in
the ledger), a session id shared by two integrations, a session still running and a silence, built by
`run_once` like `syncmon run-once` (reports without PDF), then served by the API.
"""

from __future__ import annotations

import io
import threading
import time
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from api_support import ADMIN_SECRET, INGEST_SECRET, READER_SECRET, RunningApi, api_settings, running_api
from conftest import isolated_home
from syncmon_pipeline.alerts import service
from syncmon_pipeline.api import read_models as m
from syncmon_pipeline.config import DataPaths, load_settings
from syncmon_pipeline.publish.snapshot import PUBLISHED_SCHEMAS, publish_snapshot
from syncmon_pipeline.recorder import SessionRecorder
from syncmon_pipeline.simulator import simulate_history

FAILING = "powerschool-district-404"
HEALTHY = "clever-district-1"
SHARED = "shared-0"  # a session id in both FAILING and HEALTHY
RUNNING = "running-now-1"
FAST = {"rate_limit_per_second": 100_000, "rate_limit_burst": 100_000}


@dataclass
class Built:
    paths: DataPaths
    api: RunningApi
    now: datetime
    silence_id: str

    def get(self, url: str, secret: str | None = READER_SECRET, **kwargs):
        with self.api.client(secret) as client:
            return client.get(url, **kwargs)


def _write_sessions(landing: Path, now: datetime) -> None:
    with SessionRecorder(landing, FAILING, "powerschool") as rec:
        for i in range(3):
            at = now - timedelta(minutes=10 * (3 - i) + 1)
            sid = rec.create_session("incremental", "inbound", entity_types=["students"], at=at, session_id=f"shared-{i}")
            rec.start(sid, "fetch", at=at + timedelta(seconds=1))
            rec.error(sid, "system", "upstream returned 503 for password=hunter2", severity="high",
                      at=at + timedelta(seconds=20))  # fmt: skip
            rec.fail(sid, "upstream returned 503", "fetch", at=at + timedelta(seconds=30))
    with SessionRecorder(landing, HEALTHY, "clever") as rec:
        at = now - timedelta(minutes=5)
        rec.create_session("incremental", "inbound", entity_types=["students"], at=at, session_id=SHARED)
        rec.start(SHARED, "fetch", at=at + timedelta(seconds=1))
        rec.progress(SHARED, records_processed=100, records_created=5, at=at + timedelta(seconds=10))
        rec.warning(SHARED, "slow page", code="W1", at=at + timedelta(seconds=12))
        rec.complete(SHARED, at=at + timedelta(seconds=30))
        rec.create_session("full", "inbound", entity_types=["students"], at=now - timedelta(minutes=3), session_id=RUNNING)
        rec.start(RUNNING, "fetch", at=now - timedelta(minutes=3))
        rec.progress(RUNNING, records_processed=10, at=now - timedelta(minutes=2))


def republish(con: duckdb.DuckDBPyConnection, paths: DataPaths, *, schemas=PUBLISHED_SCHEMAS) -> datetime:
    at = datetime.now(UTC)
    publish_snapshot(con, target=paths.analytics_snapshot, exports_dir=paths.exports, published_at=at, schemas=schemas)
    return at


def republish_alerts(con: duckdb.DuckDBPyConnection, paths: DataPaths) -> datetime:
    """As the alert job does after every evaluation."""
    at = datetime.now(UTC)
    publish_snapshot(con, target=paths.alerts_snapshot, exports_dir=None, published_at=at, schemas=("alerts",))
    return at


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("api_reads")
    (root / "syncmon.yaml").write_text("reports:\n  pdf: false\n  chart_images: false\n")
    with isolated_home(root) as paths:
        now = datetime.now(UTC)
        simulate_history(paths.landing, integrations=4, days=1, seed=3, end=now.replace(minute=0, second=0, microsecond=0),
                         truth_path=root / "truth.json")  # fmt: skip
        _write_sessions(paths.landing, now)
        from syncmon_pipeline.runner import run_once

        assert run_once().success
        with duckdb.connect(str(paths.warehouse)) as con:  # as the pipeline would: a silence, then a publish
            silence = service.add_silence(con, matchers={"integration_id": FAILING}, starts_at=now - timedelta(minutes=1),
                                          ends_at=now + timedelta(hours=4), author="ops-alice", comment="maintenance",
                                          now=now, settings=load_settings().alerting)  # fmt: skip
            republish(con, paths)
            republish_alerts(con, paths)
        with running_api(paths.home, api_settings(**FAST)) as api:
            yield Built(paths, api, now, silence.silence_id)


def snapshot_rows(paths: DataPaths, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(paths.analytics_snapshot), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


# -- every endpoint, with data ------------------------------------------------------------------------


def test_status_reports_snapshots_backlogs_and_data_age(built: Built) -> None:
    r = built.get("/v1/status")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    status = m.ServiceStatus.model_validate(r.json())
    analytics = status.snapshots["analytics"]
    assert analytics.published and analytics.tables >= 15 and 0 <= analytics.age_seconds < 600
    assert status.snapshots["alerts"].published and status.alerts_from == "alerts"
    assert status.data_as_of is not None and abs(status.data_as_of - built.now) < timedelta(minutes=5)
    assert status.last_runs.analytics == analytics.published_at
    assert status.last_runs.alert_evaluation == status.snapshots["alerts"].published_at
    assert status.landing.files == 0 and status.commands.files == 0 and status.notes == []


def test_status_counts_landing_and_command_backlogs(built: Built) -> None:
    landing, pending = built.paths.landing, built.paths.commands / "pending"
    pending.mkdir(parents=True, exist_ok=True)
    files = [landing / "late.ndjson", landing / ".hidden.ndjson.tmp", pending / "cmd_1.json"]
    (files[2]).write_text('{"command_id": "cmd_1", "created_at": "2026-01-01T00:00:00Z"}')
    files[0].write_text("{}\n")
    files[1].write_text("{}\n")
    try:
        status = m.ServiceStatus.model_validate(built.get("/v1/status").json())
        assert status.landing.files == 1 and status.landing.oldest_age_seconds is not None
        assert status.commands.files == 1 and status.commands.oldest_at == datetime(2026, 1, 1, tzinfo=UTC)
    finally:
        for f in files:
            f.unlink()


def test_dashboard_is_the_static_dashboard_content(built: Built) -> None:
    r = built.get("/v1/dashboard")
    assert r.status_code == 200
    doc = m.ReportDocument.model_validate(r.json())
    assert doc.report_type == "dashboard"
    figures = {f.key: f.value for f in doc.summary}
    assert figures["integrations_total"] == 6 and figures["alerts_firing"] >= 1
    assert {s.key for s in doc.sections} == {"running", "alerts", "health", "trends", "entities"}
    assert r.headers["etag"].startswith('W/"') and "last-modified" in r.headers


def test_integrations_and_health(built: Built) -> None:
    page = m.Page[m.Integration].model_validate(built.get("/v1/integrations").json())
    ids = [i.integration_id for i in page.items]
    assert len(ids) == 6 and ids == sorted(ids) and page.next_cursor is None and page.snapshot == "analytics"
    by_id = {i.integration_id: i for i in page.items}
    assert by_id[FAILING].health.status == "down" and by_id[FAILING].health.consecutive_failures == 3
    down = m.Page[m.Integration].model_validate(built.get("/v1/integrations", params={"status": "down"}).json())
    assert [i.integration_id for i in down.items] == [FAILING]
    clever = built.get("/v1/integrations", params={"provider": "clever"}).json()["items"]
    assert clever and all(i["provider"] == "clever" for i in clever)

    health = m.HealthDetail.model_validate(built.get(f"/v1/health/{FAILING}").json())
    assert health.integration.health.status == "down"
    assert health.window_end - health.window_start == timedelta(hours=24)
    assert health.hourly and sum(b.sessions_failed or 0 for b in health.hourly) == 3
    assert all(health.window_start <= b.bucket_start < health.window_end for b in health.hourly)


def test_metrics_default_to_the_last_day_of_data(built: Built) -> None:
    r = built.get("/v1/metrics/sessions_started")
    series = m.MetricSeries.model_validate(r.json())
    assert series.interval == "hour" and len(series.points) == 24 and series.end - series.start == timedelta(hours=24)
    assert series.start <= built.now < series.end
    (total,) = snapshot_rows(built.paths, "SELECT count(*) FROM marts.fct_sync_sessions WHERE started_at >= ? AND"
                                          " started_at < ?", [series.start.replace(tzinfo=None), series.end.replace(tzinfo=None)])  # fmt: skip
    assert sum(p.value for p in series.points) == total[0]
    one = m.MetricSeries.model_validate(built.get("/v1/metrics/errors_total", params={
        "integration_id": FAILING, "interval": "minute", "start": (built.now - timedelta(hours=1)).isoformat()}).json())
    assert one.integration_id == FAILING and len(one.points) <= 61 and sum(p.value for p in one.points) >= 3
    days = m.MetricSeries.model_validate(built.get("/v1/metrics/success_rate", params={"interval": "day"}).json())
    assert len(days.points) == 30 and all(p.value is None or 0 <= p.value <= 1 for p in days.points)


def test_sessions_list_filters_and_aggregate(built: Built) -> None:
    r = built.get("/v1/sessions", params={"aggregate": "true", "limit": 5})
    page = m.SessionPage.model_validate(r.json())
    (total,) = snapshot_rows(built.paths, "SELECT count(*) FROM marts.fct_sync_sessions")
    assert len(page.items) == 5 and page.next_cursor and page.aggregate.sessions == total[0]
    assert sum(page.aggregate.by_status.values()) == total[0] and 0 < page.aggregate.success_rate < 1
    assert page.aggregate.p95_duration_seconds >= page.aggregate.avg_duration_seconds > 0
    failed = m.SessionPage.model_validate(built.get("/v1/sessions", params={
        "integration_id": FAILING, "status": "failed", "aggregate": "true"}).json())
    assert {s.session_id for s in failed.items} == {"shared-0", "shared-1", "shared-2"}
    assert failed.aggregate.success_rate == 0 and failed.aggregate.by_outcome == {"failed": 3}
    window = built.get("/v1/sessions", params={"started_after": (built.now - timedelta(minutes=30)).isoformat(),
                                               "limit": 500}).json()["items"]  # fmt: skip
    assert window and all(datetime.fromisoformat(s["started_at"]) >= built.now - timedelta(minutes=30) for s in window)
    full = built.get("/v1/sessions", params={"sync_type": "full", "provider": "clever"}).json()["items"]
    assert full and all(s["sync_type"] == "full" and s["provider"] == "clever" for s in full)


def test_current_sessions_are_the_unfinished_ones(built: Built) -> None:
    page = m.SessionPage.model_validate(built.get("/v1/sessions/current").json())
    assert RUNNING in {s.session_id for s in page.items}
    assert all(not s.is_terminal and s.running_seconds is not None for s in page.items)


def test_session_detail_and_ambiguous_ids(built: Built) -> None:
    r = built.get(f"/v1/sessions/{SHARED}")
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    matches = r.json()["matches"]
    assert [x["integration_id"] for x in matches] == sorted([FAILING, HEALTHY])
    failing = built.get(matches[[x["integration_id"] for x in matches].index(FAILING)]["url"])
    detail = m.SessionDetail.model_validate(failing.json())
    assert detail.session.integration_id == FAILING and detail.session.outcome == "failed"
    assert detail.errors and all("hunter2" not in (e.message or "") for e in detail.errors)
    kinds = [t.kind for t in detail.timeline]
    assert kinds[0] == "created" and kinds[-1] == "ended" and "error" in kinds
    assert detail.status_history is None and not detail.truncated  # the status history is not published
    healthy = m.SessionDetail.model_validate(built.get(f"/v1/sessions/{SHARED}", params={"integration_id": HEALTHY}).json())
    assert healthy.session.outcome == "succeeded" and [w.warning_code for w in healthy.warnings] == ["W1"]
    unique = built.get("/v1/sessions/shared-1")  # one integration has it: no integration_id needed
    assert unique.status_code == 200 and unique.json()["session"]["integration_id"] == FAILING


def test_alerts_history_detail_and_silences(built: Built) -> None:
    page = m.Page[m.AlertItem].model_validate(built.get("/v1/alerts").json())
    assert page.snapshot == "alerts" and page.items
    assert all(a.status in ("pending", "firing", "acknowledged") for a in page.items)
    failure = next(a for a in page.items if a.integration_id == FAILING and a.alert_type == "sync_failure")
    assert failure.status == "firing"
    assert built.get("/v1/alerts", params={"severity": "info", "alert_type": "sync_failure"}).json()["items"] == []
    history = m.Page[m.AlertItem].model_validate(built.get("/v1/alerts/history").json())
    starts = [a.started_at for a in history.items]
    assert failure.alert_id in {a.alert_id for a in history.items} and starts == sorted(starts, reverse=True)

    r = built.get(failure.url)
    detail = m.AlertDetail.model_validate(r.json())
    assert detail.evidence["figures"]["failed_sessions"] == 3
    assert detail.notifications and detail.notifications[0].delivery_attempts
    email = detail.notifications[0]
    assert email.channel == "email" and "@" in email.target and email.title.startswith("[FIRING")
    assert email.delivery_attempts[0].outcome == "delivered"
    assert "hunter2" not in r.text and "message" not in r.json()["notifications"][0]

    silences = m.Page[m.SilenceItem].model_validate(built.get("/v1/silences").json())
    assert [(s.silence_id, s.state) for s in silences.items] == [(built.silence_id, "active")]
    assert silences.items[0].matchers == {"integration_id": FAILING}
    everything = built.get("/v1/silences", params={"include_expired": "true"}).json()["items"]
    assert built.silence_id in {s["silence_id"] for s in everything}


def test_reports_list_detail_and_exports(built: Built, tmp_path: Path) -> None:
    page = m.ReportPage.model_validate(built.get("/v1/reports", params={"limit": 500}).json())
    assert len(page.items) == 12 and page.next_cursor is None
    keys = [(r.period_start, r.generated_at, r.id) for r in page.items]
    assert keys == sorted(keys, reverse=True)
    weekly = m.ReportPage.model_validate(built.get("/v1/reports", params={"granularity": "weekly",
                                                                          "report_type": "performance"}).json())  # fmt: skip
    (report,) = weekly.items
    assert report.id == f"performance/{report.period_label}" and report.url == f"/v1/reports/{report.id}"
    detail = m.ReportDetail.model_validate(built.get(report.url).json())
    assert detail.data.report_type == "performance" and detail.data.period.label == report.period_label

    exports = {(e.format, e.table): e for e in report.exports}
    html = built.get(exports["html", None].url)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html") and b"<html" in html.content[:500]
    js = built.get(exports["json", None].url)
    assert js.headers["content-type"] == "application/json" and js.json()["report_type"] == "performance"
    tables = sorted(t for f, t in exports if f == "csv" and t)
    archive = zipfile.ZipFile(io.BytesIO(built.get(exports["csv", None].url).content))
    assert sorted(Path(n).stem for n in archive.namelist()) == tables
    one = built.get(exports["csv", tables[0]].url)
    assert one.headers["content-type"].startswith("text/csv") and one.text.splitlines()[0]
    assert "attachment" in one.headers["content-disposition"]

    pdf_url = f"{report.url}/export/pdf"
    missing = built.get(pdf_url)
    assert missing.status_code == 404 and "no PDF" in missing.json()["detail"]
    pdf = built.paths.reports / "performance" / report.period_label / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7 test\n%%EOF\n")
    try:
        found = built.get(pdf_url)
        assert found.status_code == 200 and found.headers["content-type"] == "application/pdf"
        assert found.content.startswith(b"%PDF")
    finally:
        pdf.unlink()


# -- authentication, errors ---------------------------------------------------------------------------


READ_URLS = ("/v1/status", "/v1/dashboard", "/v1/integrations", f"/v1/health/{FAILING}", "/v1/metrics/errors_total",
             "/v1/sessions", "/v1/sessions/current", "/v1/sessions/shared-1", "/v1/alerts", "/v1/alerts/history",
             "/v1/silences", "/v1/reports")  # fmt: skip


@pytest.mark.parametrize("url", READ_URLS)
def test_reads_need_a_token_with_the_read_scope(built: Built, url: str) -> None:
    missing = built.get(url, secret=None)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert built.get(url, secret="not-a-token-0123456789").status_code == 401
    forbidden = built.get(url, secret=INGEST_SECRET)
    assert forbidden.status_code == 403 and "'read'" in forbidden.json()["detail"]
    assert built.get(url, secret=READER_SECRET).status_code == 200


def test_unknown_objects_are_404(built: Built) -> None:
    for url in ("/v1/health/nope", "/v1/sessions/nope", f"/v1/sessions/shared-1?integration_id={HEALTHY}",
                "/v1/alerts/nope", "/v1/reports/usage/daily-1999-01-01", "/v1/reports/usage/daily-1999-01-01/export/html",
                "/v1/metrics/errors_total?integration_id=nope"):  # fmt: skip
        r = built.get(url)
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json", url
    some = built.get("/v1/reports", params={"limit": 1}).json()["items"][0]
    r = built.get(f"{some['url']}/export/csv/nope")
    assert r.status_code == 404 and "its tables" in r.json()["detail"]


def test_report_paths_cannot_leave_the_reports_folder(built: Built, tmp_path: Path) -> None:
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "report.json").write_text('{"report_type": "usage", "title": "x", "period": {"granularity": "daily", "label": "x"}}')
    (outside / "report.html").write_text("secret")
    link = built.paths.reports / "usage" / "daily-2000-01-01"
    link.symlink_to(outside, target_is_directory=True)
    try:
        for url in ("/v1/reports/usage/daily-2000-01-01", "/v1/reports/usage/daily-2000-01-01/export/html",
                    "/v1/reports/usage/..%2F..%2F..%2Fetc/export/html", "/v1/reports/usage/.hidden/export/html",
                    "/v1/reports/..%2Fusage/daily-2000-01-01", "/v1/reports/usage/%2E%2E/export/json",
                    "/v1/reports/usage/daily-2026-12-01/export/csv/..%2F..%2Freport",
                    "/v1/reports/usage/daily-2000-01-01/export/csv/x"):  # fmt: skip
            r = built.get(url)
            assert r.status_code in (404, 422) and "secret" not in r.text, url
        assert "daily-2000-01-01" not in built.get("/v1/reports", params={"limit": 500}).text
    finally:
        link.unlink()


def test_invalid_parameters_are_422_problems(built: Built) -> None:
    cases = {
        "/v1/sessions?limit=501": "limit", "/v1/sessions?limit=0": "limit", "/v1/integrations?status=sad": "status",
        "/v1/sessions?cursor=not-a-cursor": "cursor", "/v1/alerts?cursor=eyJrIjpbXX0": "cursor",
        "/v1/metrics/bogus": "sessions_started", "/v1/metrics/errors_total?start=2026-01-02T00:00&end=2026-01-01T00:00": "after",
        "/v1/sessions?started_before=0.5": "ISO 8601", "/v1/alerts/history?started_after=2026-01-01": "ISO 8601",
        "/v1/sessions?started_after=0001-01-01T00:00:00": "between",
        "/v1/reports/usage/daily-2026-01-01/export/docx": "format",
    }
    for url, mention in cases.items():
        r = built.get(url)
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", url
        assert mention in r.json()["detail"], (url, r.json())


def test_a_series_over_1000_points_is_refused_with_the_count(built: Built) -> None:
    r = built.get("/v1/metrics/errors_total", params={"interval": "minute", "start": "2026-01-01T00:00:00Z",
                                                      "end": "2026-01-02T00:00:00Z"})  # fmt: skip
    assert r.status_code == 422
    body = r.json()
    assert body["points"] == 1440 and body["max_points"] == 1000 and "1440 minute points" in body["detail"]


def test_a_cursor_only_works_with_the_filters_it_was_made_for(built: Built) -> None:
    first = built.get("/v1/sessions", params={"limit": 2, "provider": "clever"}).json()
    other = built.get("/v1/sessions", params={"limit": 2, "provider": "schoology", "cursor": first["next_cursor"]})
    assert other.status_code == 422 and "other filters" in other.json()["detail"]
    elsewhere = built.get("/v1/alerts/history", params={"cursor": first["next_cursor"]})
    assert elsewhere.status_code == 422


# -- pagination ---------------------------------------------------------------------------------------


def _walk(built: Built, url: str, params: dict) -> list[dict]:
    items, cursor, pages = [], None, 0
    while True:
        page = built.get(url, params={**params, **({"cursor": cursor} if cursor else {})}).json()
        items += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return items
        assert len(page["items"]) == params["limit"] and pages < 500


def test_pagination_walks_every_session_once_in_order(built: Built) -> None:
    walked = _walk(built, "/v1/sessions", {"limit": 17})
    expected = snapshot_rows(built.paths, """
        SELECT integration_id, session_id FROM marts.fct_sync_sessions
        ORDER BY coalesce(started_at, created_at, first_event_at, last_event_at) DESC, integration_id DESC, session_id DESC""")
    assert [(s["integration_id"], s["session_id"]) for s in walked] == [tuple(r) for r in expected]
    clever = _walk(built, "/v1/sessions", {"limit": 3, "provider": "clever", "status": ["completed", "failed"]})
    (count,) = snapshot_rows(built.paths, "SELECT count(*) FROM marts.fct_sync_sessions WHERE provider = 'clever'"
                                          " AND status IN ('completed', 'failed')")  # fmt: skip
    assert len(clever) == count[0] == len({(s["integration_id"], s["session_id"]) for s in clever})
    integrations = _walk(built, "/v1/integrations", {"limit": 4})
    assert [i["integration_id"] for i in integrations] == sorted(i["integration_id"] for i in integrations)
    assert len(integrations) == 6
    reports = _walk(built, "/v1/reports", {"limit": 5})
    assert len(reports) == 12 == len({r["id"] for r in reports})
    history = _walk(built, "/v1/alerts/history", {"limit": 1})
    assert len(history) == len({a["alert_id"] for a in history}) >= 1


# -- caching ------------------------------------------------------------------------------------------


def test_etag_and_last_modified_answer_304(built: Built) -> None:
    for url in ("/v1/sessions?limit=3", "/v1/dashboard", f"/v1/health/{FAILING}", "/v1/alerts", "/v1/silences",
                "/v1/reports", "/v1/reports?limit=1"):  # fmt: skip
        first = built.get(url)
        etag = first.headers["etag"]
        again = built.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag, url
        assert built.get(url, headers={"If-None-Match": 'W/"other"'}).status_code == 200
    sessions = built.get("/v1/sessions?limit=3")
    assert built.get("/v1/sessions?limit=4").headers["etag"] != sessions.headers["etag"]
    since = built.get("/v1/sessions?limit=3", headers={"If-Modified-Since": sessions.headers["last-modified"]})
    assert since.status_code == 304
    report = built.get("/v1/reports", params={"limit": 1}).json()["items"][0]
    export = built.get(report["exports"][0]["url"])
    assert built.get(report["exports"][0]["url"], headers={"If-None-Match": export.headers["etag"]}).status_code == 304


def test_delete_cache_needs_admin_and_reopens_the_snapshots(built: Built) -> None:
    before = built.get("/v1/sessions?limit=3").json()
    assert built.api.ctx.parts["snapshots"].files["analytics"].open_connections == 1
    with built.api.client(READER_SECRET) as dash:
        assert dash.delete("/v1/cache").status_code == 403
    with built.api.client(ADMIN_SECRET) as root:
        r = root.delete("/v1/cache")
    assert r.status_code == 204 and built.api.ctx.parts["snapshots"].files["analytics"].open_connections == 0
    assert len(built.api.ctx.parts["reads"].cache) == 0
    assert built.get("/v1/sessions?limit=3").json() == before


# -- concurrency with the pipeline --------------------------------------------------------------------


def test_reads_keep_answering_while_the_warehouse_is_held_read_write(built: Built) -> None:
    with duckdb.connect(str(built.paths.warehouse)) as writer:
        writer.execute("SELECT count(*) FROM raw.sync_events").fetchall()
        for url in READ_URLS:
            assert built.get(url).status_code == 200, url


def test_reads_continue_across_republishes(built: Built) -> None:
    initial = built.get("/v1/status").json()["snapshots"]["analytics"]["published_at"]
    urls = ("/v1/sessions?limit=50&aggregate=true", "/v1/dashboard", "/v1/alerts", "/v1/integrations",
            f"/v1/sessions/{SHARED}?integration_id={HEALTHY}", "/v1/metrics/records_processed")  # fmt: skip
    failures: list[str] = []
    seen: set[str] = set()
    done = threading.Event()

    def reader(url: str) -> None:
        with built.api.client(READER_SECRET) as client:
            while not done.is_set():
                r = client.get(url)
                if r.status_code != 200:
                    failures.append(f"{url}: {r.status_code} {r.text[:200]}")
                    return
                seen.add(r.headers.get("last-modified", ""))

    threads = [threading.Thread(target=reader, args=(u,)) for u in urls]
    for t in threads:
        t.start()
    try:
        with duckdb.connect(str(built.paths.warehouse)) as con:
            for schemas in (PUBLISHED_SCHEMAS, PUBLISHED_SCHEMAS + ("intermediate",)):
                time.sleep(1.1)  # Last-Modified has whole seconds
                republish(con, built.paths, schemas=schemas)
        time.sleep(1.0)
    finally:
        done.set()
        for t in threads:
            t.join(30)
    assert not failures, failures
    assert len(seen) >= 2, "the readers saw more than one publication"
    assert built.api.ctx.parts["snapshots"].files["analytics"].open_connections == 1, "replaced files are closed"
    latest = built.get("/v1/status").json()["snapshots"]["analytics"]["published_at"]
    assert latest != initial
    # the last publish includes the status history: the session detail shows it
    detail = m.SessionDetail.model_validate(built.get(f"/v1/sessions/{SHARED}", params={"integration_id": HEALTHY}).json())
    assert [c.status for c in detail.status_history] == ["running", "completed"]
    assert "status" in [t.kind for t in detail.timeline]


def test_alerts_fall_back_to_the_analyst_snapshot_and_follow_republishes(built: Built) -> None:
    target = built.paths.alerts_snapshot
    aside = target.with_name("alert_state.duckdb.aside")
    first = built.get("/v1/alerts").json()
    assert first["snapshot"] == "alerts"
    target.rename(aside)
    try:
        status = m.ServiceStatus.model_validate(built.get("/v1/status").json())
        assert status.alerts_from == "analytics" and not status.snapshots["alerts"].published
        assert any("alerts are read from the analyst snapshot" in n for n in status.notes)
        page = built.get("/v1/alerts").json()
        assert page["snapshot"] == "analytics" and page["items"] == first["items"]
        assert built.get(page["items"][0]["url"]).json()["snapshot"] == "analytics"
        assert built.get("/v1/silences").json()["snapshot"] == "analytics"
    finally:
        aside.rename(target)
    assert built.get("/v1/alerts").json() == first  # the same file again
    with duckdb.connect(str(built.paths.warehouse)) as con:
        time.sleep(0.01)
        republish_alerts(con, built.paths)
    again = built.get("/v1/alerts").json()
    assert again["snapshot"] == "alerts" and again["published_at"] != first["published_at"]


# -- a fresh install ----------------------------------------------------------------------------------


def test_a_fresh_install_answers_empty_lists_and_clear_503s(tmp_path: Path) -> None:
    with running_api(tmp_path / "home") as api, api.client(READER_SECRET) as client:
        status = m.ServiceStatus.model_validate(client.get("/v1/status").json())
        assert not status.snapshots["analytics"].published and status.alerts_from is None
        assert any("analyst snapshot is not published yet" in n for n in status.notes)
        for url in ("/v1/integrations", "/v1/sessions", "/v1/sessions/current", "/v1/alerts", "/v1/alerts/history",
                    "/v1/silences", "/v1/reports"):  # fmt: skip
            r = client.get(url)
            assert r.status_code == 200 and r.json()["items"] == [] and r.json()["next_cursor"] is None, url
            assert r.json().get("published_at") is None
        aggregate = client.get("/v1/sessions", params={"aggregate": "true"}).json()["aggregate"]
        assert aggregate["sessions"] == 0
        for url in ("/v1/dashboard", "/v1/health/x", "/v1/sessions/x", "/v1/metrics/errors_total", "/v1/alerts/x"):
            r = client.get(url)
            assert r.status_code == 503 and "published yet" in r.json()["detail"], url
            assert r.headers["retry-after"]
