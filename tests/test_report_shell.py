"""The Dagster shell of reports: partitioned report assets, the e-mail step, custom report, dashboard, schedules.

Runs go to an ephemeral instance; the analyst snapshot is the synthetic one (tests/report_support.py).
"""

from __future__ import annotations

import json
from datetime import datetime
from email import policy
from email.parser import BytesParser
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest

from conftest import isolated_home
from report_support import SNAPSHOT_END, WEEK
from syncmon_pipeline.reports.settings import REPORT_TYPES
from syncmon_pipeline.reports.synthetic import write_synthetic_snapshot


@pytest.fixture(scope="module")
def shell(tmp_path_factory):
    root = tmp_path_factory.mktemp("report_shell")
    (root / "syncmon.yaml").write_text("reports:\n  pdf: false\n  chart_images: false\n")
    with isolated_home(root) as paths:
        write_synthetic_snapshot(paths.analytics_snapshot, integrations=6, days=10, sessions=2000, end=SNAPSHOT_END, seed=5)
        from syncmon_pipeline.definitions import defs

        with dg.DagsterInstance.ephemeral() as instance:
            yield paths, defs, instance


def materializations(result) -> dict[str, dict]:
    return {
        event.asset_key.to_user_string(): event.event_specific_data.materialization.metadata
        for event in result.all_events
        if event.event_type_value == "ASSET_MATERIALIZATION"
    }


@pytest.fixture(scope="module")
def weekly_run(shell):
    paths, defs, instance = shell
    result = defs.resolve_job_def("weekly_reports_job").execute_in_process(
        partition_key=WEEK, instance=instance, raise_on_error=False
    )
    return result


def test_the_weekly_job_writes_every_report_with_paths_figures_and_lineage(shell, weekly_run):
    paths, _, _ = shell
    assert weekly_run.success
    found = materializations(weekly_run)
    for report_type in REPORT_TYPES:
        metadata = found[f"reports/{report_type}_weekly"]
        folder = paths.reports / report_type / f"weekly-{WEEK}"
        assert metadata["path_html"].value == str(folder / "report.html")
        assert metadata["report"].value == (folder / "report.html").as_uri()
        assert (folder / "report.html").stat().st_size == metadata["html_bytes"].value
        data = json.loads((folder / "report.json").read_text())
        assert data["period"]["label"] == f"weekly-{WEEK}" and data["report_type"] == report_type
        csvs = {k for k in metadata if k.startswith("path_csv_")}
        assert csvs and all((folder / f"{k.removeprefix('path_csv_')}.csv").exists() for k in csvs)
        assert len(csvs) == sum(len(s["tables"]) for s in data["sections"])
        figures = {k: v.value for k, v in metadata.items() if k.startswith("figure_")}
        assert figures and all(isinstance(v, (int, float)) for v in figures.values())
        lineage = metadata["upstream_snapshot"].value
        assert lineage["asset"] == "analyst_snapshot" and lineage["published_at"].startswith("2026-11-23T06:00")
        assert metadata["input_rows"].value["marts.fct_sync_sessions"] > 0
        assert metadata["data_as_of"].value > 0
        assert metadata["pdf"].value.startswith("PDF not rendered: turned off")


def test_the_email_step_mails_each_report_once_and_keeps_a_ledger(shell, weekly_run):
    paths, defs, instance = shell
    metadata = materializations(weekly_run)["reports/weekly_email"]
    assert metadata["deliveries_delivered"].value == len(REPORT_TYPES)  # one default recipient
    mails = sorted(paths.outbox.glob("report-*.eml"))
    assert len(mails) == len(REPORT_TYPES)
    subjects = {BytesParser(policy=policy.default).parse(p.open("rb"))["Subject"] for p in mails}
    assert any("Performance report" in s for s in subjects)
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        ledger = con.execute("SELECT report_type, status, transport FROM reports.deliveries ORDER BY 1").fetchall()
    assert ledger == [(t, "delivered", "outbox") for t in sorted(REPORT_TYPES)]
    again = defs.resolve_job_def("weekly_reports_job").execute_in_process(
        partition_key=WEEK, instance=instance, asset_selection=[dg.AssetKey(["reports", "weekly_email"])]
    )
    assert materializations(again)["reports/weekly_email"]["deliveries_already_delivered"].value == len(REPORT_TYPES)
    assert len(list(paths.outbox.glob("report-*.eml"))) == len(REPORT_TYPES)


def test_a_custom_report_takes_its_range_integrations_and_sections_from_run_config(shell):
    paths, defs, instance = shell
    with duckdb.connect(str(paths.analytics_snapshot), read_only=True) as con:
        two = [r[0] for r in con.execute("SELECT integration_id FROM marts.dim_integrations ORDER BY 1 LIMIT 2").fetchall()]
    config = {"start": "2026-11-14T00:00:00+00:00", "end": "2026-11-23T00:00:00+00:00", "integrations": two,
              "sections": ["performance.durations", "data_quality.conflicts"], "name": "two-integrations"}
    result = dg.materialize(
        [defs.resolve_assets_def(dg.AssetKey(["reports", "custom_report"]))], instance=instance,
        run_config={"ops": {"reports__custom_report": {"config": config}}},
    )
    assert result.success
    folder = paths.reports / "custom" / "two-integrations-20261114T0000-20261123T0000"
    data = json.loads((folder / "report.json").read_text())
    assert [s["key"] for s in data["sections"]] == ["performance-durations", "data_quality-conflicts"]
    assert data["filters"]["integrations"] == two
    durations = next(t for s in data["sections"] for t in s["tables"] if t["key"] == "performance-durations_by_integration")
    assert {row[0] for row in durations["rows"]} <= set(two)


def test_an_unknown_custom_section_fails_listing_the_known_ones(shell):
    _, defs, instance = shell
    result = dg.materialize(
        [defs.resolve_assets_def(dg.AssetKey(["reports", "custom_report"]))], instance=instance, raise_on_error=False,
        run_config={"ops": {"reports__custom_report": {"config": {"sections": ["performance.nonsense"]}}}},
    )
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.user_failure_data
    assert "performance.nonsense" in failure.description and "usage.peak_times" in failure.description


def test_the_dashboard_asset_writes_the_page_and_links_it(shell):
    paths, defs, instance = shell
    result = dg.materialize([defs.resolve_assets_def(dg.AssetKey("dashboard"))], instance=instance)
    metadata = materializations(result)["dashboard"]
    assert metadata["dashboard"].value == paths.dashboard.as_uri()
    html = paths.dashboard.read_text()
    assert '<meta http-equiv="refresh" content="30">' in html and "Running now" in html
    assert "figure_active_syncs" in metadata


def test_reports_fail_clearly_before_the_first_snapshot(tmp_path):
    with isolated_home(tmp_path):
        from syncmon_pipeline.definitions import defs

        result = defs.resolve_job_def("daily_reports_job").execute_in_process(
            partition_key="2026-11-20", instance=dg.DagsterInstance.ephemeral(), raise_on_error=False,
            asset_selection=[dg.AssetKey(["reports", "usage_daily"])],
        )
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.user_failure_data
    assert "analyst snapshot" in failure.description and "not published yet" in failure.description


@pytest.mark.parametrize(
    ("schedule", "cron", "at", "partition"),
    [
        ("daily_reports_schedule", "0 7 * * *", "2026-11-27T07:00", "2026-11-26"),
        ("weekly_reports_schedule", "0 7 * * 1", "2026-11-23T07:00", "2026-11-16"),
        ("monthly_reports_schedule", "0 7 1 * *", "2026-12-01T07:00", "2026-11-01"),
    ],
)
def test_delivery_schedules_run_by_default_for_the_last_complete_period(shell, schedule, cron, at, partition):
    _, defs, _ = shell
    definition = defs.resolve_schedule_def(schedule)
    assert definition.cron_schedule == cron and definition.execution_timezone == "UTC"
    assert definition.default_status == dg.DefaultScheduleStatus.RUNNING
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime.fromisoformat(at).replace(tzinfo=ZoneInfo("UTC")), repository_def=defs.get_repository_def()
    )
    request = definition.evaluate_tick(context).run_requests[0]
    assert request.partition_key == partition
    assert request.run_key == f"{schedule.split('_')[0]}-{partition}"


def test_retention_runs_daily_by_default(shell):
    _, defs, _ = shell
    schedule = defs.resolve_schedule_def("retention_schedule")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING and schedule.cron_schedule == "30 3 * * *"


def test_report_mail_takes_the_warehouse_slot_only_to_claim_and_record(shell):
    """A failing mail server's timeouts and backoff happen in a step that holds no slot."""
    from syncmon_pipeline.defs.report_delivery import EMAIL_ASSETS
    from syncmon_pipeline.defs.resources import WAREHOUSE_POOL

    for granularity, asset in EMAIL_ASSETS.items():
        pools = {op.name: op.pool for op in asset.node_def.node_defs}
        assert pools == {f"claim_{granularity}_report_emails": WAREHOUSE_POOL,
                         f"send_{granularity}_report_emails": None,
                         f"record_{granularity}_report_emails": WAREHOUSE_POOL}  # fmt: skip
        send = next(op for op in asset.node_def.node_defs if op.name.startswith("send_"))
        assert not send.required_resource_keys  # no warehouse resource either
