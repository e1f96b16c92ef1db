"""Orchestrated analytics over simulated data: snapshot for analysts, series, overview, run-once output."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from syncmon_pipeline.analytics.series import MAX_POINTS, SeriesRequestError, measure_series
from syncmon_pipeline.simulator import simulate_history

from conftest import isolated_home

END = datetime(2026, 11, 20, tzinfo=UTC)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """A warehouse built by run-once over 3 simulated days of 6 integrations."""
    root = tmp_path_factory.mktemp("analytics")
    with isolated_home(root) as paths:
        simulate_history(paths.landing, integrations=6, days=3, seed=11, end=END, truth_path=root / "truth.json")
        from syncmon_pipeline.runner import run_once

        summary = run_once()
        yield paths, summary


def test_run_once_builds_the_marts_and_prints_the_health_table(pipeline):
    paths, summary = pipeline
    assert summary.success and summary.reconciled
    assert len(summary.health_rows) == 6
    text = summary.render()
    assert "integration health:" in text and "status" in text
    assert summary.snapshot == str(paths.analytics_snapshot)
    # dbt's parse cache outlives the per-invocation target folders, so the next run skips a full parse
    assert (paths.home / "dbt_target" / "partial_parse.msgpack").exists()
    assert not [p for p in (paths.home / "dbt_target").iterdir() if p.is_dir()]


def test_run_once_writes_every_report_and_the_dashboard_and_prints_their_paths(pipeline):
    paths, summary = pipeline
    assert summary.reports_success
    # 4 types for the day, week and month of the newest data (2026-11-19, the simulation ends at midnight)
    expected = {
        paths.reports / t / label / "report.html"
        for t in ("performance", "data_quality", "usage", "compliance")
        for label in ("daily-2026-11-19", "weekly-2026-11-16", "monthly-2026-11")
    }
    assert {Path(p) for p in summary.report_paths} == expected
    assert all(p.exists() for p in expected)
    assert summary.dashboard == str(paths.dashboard) and paths.dashboard.exists()
    text = summary.render()
    assert all(str(p) in text for p in expected) and f"dashboard: {paths.dashboard}" in text
    weekly = json.loads((paths.reports / "usage" / "weekly-2026-11-16" / "report.json").read_text())
    assert weekly["summary"][0]["value"] > 0  # sessions: the report reads the real snapshot


def test_the_synthetic_snapshot_of_the_report_tests_has_the_real_snapshot_schema(pipeline, tmp_path):
    """Report golden tests and the benchmark use a synthetic snapshot; it must not drift from the real one."""
    from syncmon_pipeline.reports.synthetic import write_synthetic_snapshot

    paths, _ = pipeline
    synthetic = tmp_path / "synthetic.duckdb"
    write_synthetic_snapshot(synthetic, integrations=2, days=1, sessions=10, end=END)
    schema_sql = (
        "SELECT table_schema || '.' || table_name, list(column_name || ' ' || data_type ORDER BY ordinal_position)"
        " FROM information_schema.columns WHERE table_schema IN ('marts', 'anomaly') GROUP BY 1 ORDER BY 1"
    )
    with duckdb.connect(str(paths.analytics_snapshot), read_only=True) as real:
        expected = dict(real.execute(schema_sql).fetchall())
    with duckdb.connect(str(synthetic), read_only=True) as fake:
        assert dict(fake.execute(schema_sql).fetchall()) == expected


def test_snapshot_holds_every_mart_in_a_format_duckdb_1_4_reads(pipeline):
    paths, _ = pipeline
    with duckdb.connect(str(paths.warehouse), read_only=True) as warehouse:
        marts = dict(
            warehouse.execute(
                "SELECT table_name, estimated_size FROM duckdb_tables() WHERE schema_name = 'marts'"
            ).fetchall()
        )
        counts = {t: warehouse.execute(f'SELECT count(*) FROM marts."{t}"').fetchall()[0][0] for t in marts}
    with duckdb.connect(str(paths.analytics_snapshot), read_only=True) as snapshot:
        published = {
            t: snapshot.execute(f'SELECT count(*) FROM marts."{t}"').fetchall()[0][0] for t in counts
        }
        (tags,) = snapshot.execute(
            "SELECT tags FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchall()[0]
    assert published == counts and "fct_sync_sessions" in counts and "mart_integration_health" in counts
    assert tags["storage_version"].startswith("v1.4")
    assert {p.stem for p in paths.exports.glob("*.parquet")} == set(counts) | {"anomaly_scores", "session_anomaly_scores"}


ANALYST = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    print(con.execute("SELECT count(*) FROM marts.fct_sync_sessions").fetchall()[0][0], flush=True)
    sys.stdin.readline()  # hold the connection open until told to look again
    print(con.execute("SELECT count(*) FROM marts.fct_sync_sessions").fetchall()[0][0], flush=True)
    """
)


def test_an_open_analyst_connection_never_blocks_pipeline_runs(pipeline):
    paths, _ = pipeline
    from syncmon_pipeline.runner import run_once

    analyst = subprocess.Popen(
        [sys.executable, "-c", ANALYST, str(paths.analytics_snapshot)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        before = int(analyst.stdout.readline())
        for day in range(3):
            simulate_history(
                paths.landing, integrations=6, days=0.5, seed=11,  # same fleet, the next half day
                end=END + timedelta(days=0.5 * (day + 1)), truth_path=paths.home / f"truth-{day}.json",
            )
            assert run_once().success
        analyst.stdin.write("\n")
        analyst.stdin.flush()
        still_open = int(analyst.stdout.readline())
    finally:
        analyst.kill()
        analyst.wait()
    assert still_open == before  # the open connection keeps its consistent (old) view
    with duckdb.connect(str(paths.analytics_snapshot), read_only=True) as reopened:
        assert reopened.execute("SELECT count(*) FROM marts.fct_sync_sessions").fetchall()[0][0] > before


def test_series_counts_match_the_facts_at_every_interval(pipeline):
    paths, _ = pipeline
    start, end = END - timedelta(days=2), END - timedelta(days=1)
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        (expected,) = con.execute(
            "SELECT count(*) FROM marts.fct_sync_sessions WHERE started_at >= ? AND started_at < ?",
            [start.replace(tzinfo=None), end.replace(tzinfo=None)],
        ).fetchall()[0]
        hourly = measure_series(con, "sessions_started", start=start, end=end, interval="hour")
        minutes = measure_series(con, "sessions_started", start=start, end=start + timedelta(hours=16), interval="minute")
        daily = measure_series(con, "sessions_started", start=start, end=end, interval="day")
        rate = measure_series(con, "success_rate", start=start, end=end, interval="hour")
        one = measure_series(con, "errors_total", start=start, end=end, interval="hour",
                             integration_id=con.execute("SELECT min(integration_id) FROM marts.fct_sync_sessions").fetchall()[0][0])
    assert len(hourly) == 24 and hourly.sum() == expected > 0
    assert len(minutes) == 960 and minutes.sum() <= expected
    assert len(daily) == 1 and daily.iloc[0] == expected
    assert rate.dropna().between(0, 1).all()
    assert len(one) == 24


def test_series_refuses_more_than_a_thousand_points_with_a_clear_error(pipeline):
    paths, _ = pipeline
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        with pytest.raises(SeriesRequestError, match="exceed the limit of 1000; use a coarser interval"):
            measure_series(con, "sessions_started", start=END - timedelta(days=1), end=END, interval="minute")
        assert len(measure_series(con, "sessions_started", start=END - timedelta(minutes=MAX_POINTS), end=END,
                                  interval="minute")) == MAX_POINTS
        with pytest.raises(SeriesRequestError, match="unknown measure"):
            measure_series(con, "vibes", start=END - timedelta(days=1), end=END)
        with pytest.raises(SeriesRequestError, match="range is empty"):
            measure_series(con, "conflicts", start=END, end=END)


def test_overview_figures_are_numeric_metadata(pipeline):
    import dagster as dg

    paths, _ = pipeline
    from syncmon_pipeline.analytics.overview import fleet_overview

    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        overview = fleet_overview(con)
        (integrations,) = con.execute("SELECT count(*) FROM marts.mart_integration_health").fetchall()[0]
    figures = overview.numeric_metadata()
    assert figures["integrations_total"] == integrations == 6
    statuses = ("healthy", "degraded", "down", "stale", "unknown")
    assert sum(figures[f"integrations_{s}"] for s in statuses) == integrations
    assert 0 <= figures["completion_rate_24h"] <= 1 and figures["avg_duration_seconds_24h"] > 0
    assert all(isinstance(v, int | float) for v in figures.values())
    assert dg  # the asset attaches exactly these (see syncmon_pipeline/defs/analytics.py)


def test_duckdb_1_4_client_opens_the_snapshot(pipeline, tmp_path):
    """A real DuckDB 1.4 client (installed from the package index into a temp dir) reads the published file."""
    paths, _ = pipeline
    target = tmp_path / "duckdb14"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
         "--target", str(target), "duckdb>=1.4,<1.5"],
        capture_output=True, text=True, timeout=300,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import duckdb;"
        "con = duckdb.connect(sys.argv[2], read_only=True);"
        "print(duckdb.__version__, con.execute('SELECT count(*) FROM marts.mart_integration_health').fetchall()[0][0])"
    )
    result = subprocess.run([sys.executable, "-c", script, str(target), str(paths.analytics_snapshot)],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    version, rows = result.stdout.split()
    assert version.startswith("1.4") and int(rows) == 6


def test_dbt_unit_tests_run_as_a_dagster_asset_check(pipeline):
    import dagster as dg

    from syncmon_pipeline.definitions import defs
    from syncmon_pipeline.defs.dbt import dbt_unit_tests

    result = dg.materialize(
        [dbt_unit_tests], resources={"dbt": defs.resources["dbt"]}, selection=dg.AssetSelection.checks(dbt_unit_tests)
    )
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.passed, evaluation.metadata
    assert evaluation.metadata["unit_tests"].value >= 4


def readme_analyst_queries() -> list[str]:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## For analysts", 1)[1].split("\n## ", 1)[0]
    return [block.split("```", 1)[0] for block in section.split("```sql\n")[1:]]


def test_the_readme_analyst_queries_run_on_the_snapshot(pipeline):
    paths, _ = pipeline
    queries = readme_analyst_queries()
    assert len(queries) == 5
    with duckdb.connect(str(paths.analytics_snapshot), read_only=True) as con:
        for query in queries:
            rows = con.execute(query).fetchall()
            assert rows, query


def test_the_readme_series_example_runs_on_the_snapshot(pipeline):
    paths, _ = pipeline
    with duckdb.connect(str(paths.analytics_snapshot), read_only=True) as con:
        series = measure_series(con, "duration_seconds_p95", start=END - timedelta(days=2), end=END, interval="hour")
    assert len(series) == 48 and series.notna().any()


def test_anomaly_scores_cover_every_integration_and_metric_incrementally(pipeline):
    from syncmon_pipeline.anomaly.scoring import METRICS

    paths, _ = pipeline
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        series, duplicates, out_of_range, bad_bands = con.execute(
            "SELECT count(DISTINCT (integration_id, metric)),"
            " count(*) - count(DISTINCT (integration_id, metric, bucket_start)),"
            " count(*) FILTER (WHERE score < 0 OR score >= 1),"
            " count(*) FILTER (WHERE NOT (lower_band <= expected AND expected <= upper_band))"
            " FROM anomaly.anomaly_scores"
        ).fetchall()[0]
        latest = con.execute("SELECT max(bucket_start) FROM anomaly.anomaly_scores").fetchall()[0][0]
        last_event = con.execute("SELECT max(last_event_at) FROM marts.fct_sync_sessions").fetchall()[0][0]
    assert series >= 6 * (len(METRICS) - 1)  # every integration; a metric with no data at all has no rows
    assert duplicates == 0 and out_of_range == 0 and bad_bands == 0
    assert latest < last_event  # only complete hours are scored
    with duckdb.connect(str(paths.analytics_snapshot), read_only=True) as snapshot:
        assert snapshot.execute("SELECT count(*) FROM anomaly.anomaly_scores").fetchall()[0][0] > 0
