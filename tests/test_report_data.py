"""Report data from the synthetic snapshot: golden JSON files, figures cross-checked in SQL, safety.

Regenerate the golden files after an intended change, then review the diff:

    SYNCMON_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_report_data.py -q
"""

from __future__ import annotations

import csv
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from report_support import DAY, GENERATED_AT, WEEK, synthetic_home
from syncmon_pipeline.reports.build import ReportRequest, build_report, section_catalog
from syncmon_pipeline.reports.materialize import generate_report
from syncmon_pipeline.reports.period import custom_period, period_for_key
from syncmon_pipeline.reports.settings import ReportSettings
from syncmon_pipeline.reports.synthetic import write_synthetic_snapshot

GOLDEN = Path(__file__).parent / "golden" / "reports"
UPDATE = os.environ.get("SYNCMON_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    paths = synthetic_home(tmp_path_factory.mktemp("report_data"))
    with duckdb.connect(str(paths.analytics_snapshot), read_only=True) as con:
        yield paths, con


def build(con, report_type: str, granularity: str = "weekly", key: str = WEEK, timezone: str = "UTC", **request):
    return build_report(con, ReportRequest(report_type, period_for_key(granularity, key, timezone), **request),
                        generated_at=GENERATED_AT)


def assert_golden(name: str, data: dict) -> None:
    path = GOLDEN / f"{name}.json"
    text = json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    assert path.exists(), f"missing golden file {path}; run with SYNCMON_UPDATE_GOLDEN=1 to create it"
    assert json.loads(path.read_text("utf-8")) == json.loads(text), f"{name} differs from {path}"


CASES = {
    "performance_weekly": dict(report_type="performance"),
    "data_quality_weekly": dict(report_type="data_quality"),
    "usage_weekly_amsterdam": dict(report_type="usage", timezone="Europe/Amsterdam"),
    "compliance_weekly": dict(report_type="compliance"),
    "performance_daily": dict(report_type="performance", granularity="daily", key=DAY),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_report_data_matches_its_golden_file(snapshot, name):
    _, con = snapshot
    assert_golden(name, build(con, **CASES[name]).to_json())


def test_custom_report_data_matches_its_golden_file(snapshot):
    _, con = snapshot
    (first, second) = [r[0] for r in con.execute("SELECT integration_id FROM marts.dim_integrations ORDER BY 1 LIMIT 2").fetchall()]
    data = build(con, "custom", integrations=(first, second), entity_types=(),
                 sections=("usage.by_integration", "data_quality.quality_score", "compliance.audit_trail"))
    assert_golden("custom_two_integrations", data.to_json())
    usage = next(t for t in data.tables if t.key == "usage-usage_by_integration")
    assert {r[0] for r in usage.rows} == {first, second}


def test_the_figures_agree_with_the_snapshot(snapshot):
    """Independent SQL over the snapshot gives the same headline figures as the report."""
    _, con = snapshot
    data = build(con, "usage")
    start, end = data.period.start.replace(tzinfo=None), data.period.end.replace(tzinfo=None)
    sessions, records, integrations = con.execute(
        "SELECT count(*), sum(records_processed), count(DISTINCT integration_id) FROM marts.fct_sync_sessions"
        " WHERE coalesce(started_at, created_at) >= ? AND coalesce(started_at, created_at) < ?", [start, end]
    ).fetchall()[0]
    figures = {f.key: f.value for f in data.summary}
    assert (figures["sessions"], figures["records_processed"], figures["integrations_active"]) == (sessions, records, integrations)
    assert data.inputs["marts.fct_sync_sessions"] == sessions
    by_integration = next(t for t in data.tables if t.key == "usage_by_integration")
    assert sum(r[2] for r in by_integration.rows) == sessions
    hours = next(c for c in data.charts if c.key == "sessions_by_hour")
    assert sum(hours.series[0].y) == sessions and list(hours.series[0].x) == list(range(24))


def test_every_recommendation_cites_the_figures_of_the_table_it_came_from(snapshot):
    _, con = snapshot
    data = build(con, "performance")
    assert data.recommendations, "the synthetic fleet has integrations below the success target"
    table = next(t for t in data.tables if t.key == "durations_by_integration")
    rows = {r["integration_id"]: r for r in table.records()}
    low = [r for r in data.recommendations if r.rule == "low_success_rate"]
    assert low
    for rec in low:
        row = rows[rec.figures["integration_id"]]
        assert rec.figures["success_rate"] == row["success_rate"] < 0.95
        assert f"{row['success_rate']:.1%}" in rec.text and f"{row['sessions']:,}" in rec.text


def test_a_period_without_sessions_says_so_instead_of_recommending(snapshot):
    _, con = snapshot
    data = build(con, "performance", granularity="monthly", key="2025-01-01")
    assert [r.rule for r in data.recommendations] == ["no_sessions"]
    assert data.summary[0].value == 0 and all(not c.points for c in data.charts)


def test_an_entity_type_filter_keeps_only_sessions_that_synced_it(snapshot):
    _, con = snapshot
    (entity,) = con.execute("SELECT entity_type FROM marts.mart_entity_metrics GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchall()[0]
    data = build(con, "usage", entity_types=(entity,))
    table = next(t for t in data.tables if t.key == "usage_by_entity_type")
    assert [r[0] for r in table.rows] == [entity]


def test_an_unknown_section_or_type_is_refused_with_the_choices():
    period = period_for_key("weekly", WEEK, "UTC")
    with pytest.raises(ValueError, match="usage.peak_times"):
        ReportRequest("custom", period, sections=("usage.nope",)).section_keys()
    with pytest.raises(ValueError, match="performance, data_quality, usage, compliance"):
        ReportRequest("finance", period).section_keys()
    assert len(section_catalog()) == 15


def test_hostile_text_is_escaped_in_html_and_inert_in_csv(tmp_path):
    """An error message with <script> and cells starting with = + @ come out inert (also checked in Chromium)."""
    paths = synthetic_home(tmp_path, hostile=True)
    with duckdb.connect(str(paths.analytics_snapshot)) as con:
        (end,) = con.execute("SELECT max(last_event_at) FROM marts.fct_sync_sessions").fetchall()[0]
        # an operator's acknowledgement and a synchroniser's message that a spreadsheet would run as formulas
        con.execute("UPDATE alerts.alerts SET acknowledged_by = '=HYPERLINK(\"http://evil\",\"ok\")'"
                    " WHERE acknowledged_by IS NOT NULL")
        con.execute("UPDATE marts.fct_sync_errors SET message = ? WHERE event_id = (SELECT arg_max(event_id, occurred_at)"
                    " FROM marts.fct_sync_errors WHERE category = 'validation')", ["-2+3+cmd|' /C calc'!A0"])
    end = end.replace(tzinfo=UTC)
    period = custom_period(end - timedelta(days=11), end + timedelta(hours=1), "UTC", "everything")
    report = generate_report(paths, ReportRequest("custom", period), ReportSettings(pdf=False), generated_at=GENERATED_AT)
    cells_in_data = [cell for t in report.data.tables for row in t.rows for cell in row]
    assert '<script>alert("x")</script> failed' in cells_in_data  # the data keeps what the synchroniser said...
    html = report.files.html.read_text("utf-8")
    assert '<script>alert("x")' not in html  # ...the page shows it as text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "<script" not in (report.files.folder / "email.html").read_text("utf-8")  # mail bodies have no script
    cells = [cell for path in report.files.csvs.values() for row in csv.reader(path.open(encoding="utf-8")) for cell in row]
    dangerous = [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r") or (c[:1] == "-" and not _number(c))]
    assert not dangerous, dangerous[:5]
    assert any(c.startswith("'=HYPERLINK(") for c in cells) and any(c.startswith("'-2+3+cmd|") for c in cells)


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_the_snapshot_generator_is_deterministic(tmp_path):
    """Golden files rely on it: the same arguments give the same rows."""
    end = datetime(2026, 11, 23, tzinfo=UTC)
    for name in ("a", "b"):
        write_synthetic_snapshot(tmp_path / f"{name}.duckdb", integrations=3, days=2, sessions=200, end=end, seed=1)
    digests = []
    for name in ("a", "b"):
        with duckdb.connect(str(tmp_path / f"{name}.duckdb"), read_only=True) as con:
            digests.append(con.execute("SELECT md5(string_agg(s::VARCHAR, '|' ORDER BY s::VARCHAR)) FROM marts.fct_sync_sessions AS s").fetchall())
    assert digests[0] == digests[1]
