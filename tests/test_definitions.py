"""The shape of the code location: lineage, one-writer pool, sensors on by default, config errors."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg
import pytest

from syncmon_pipeline.config import ConfigError, load_settings

from conftest import make_event, query, write_events


@pytest.fixture
def defs(home):
    from syncmon_pipeline.definitions import defs

    return defs


def test_lineage_runs_landing_to_raw_to_staging(defs):
    graph = defs.resolve_asset_graph()
    raw = dg.AssetKey(["raw", "sync_events"])
    assert dg.AssetKey("landing_files") in graph.get(raw).parent_keys
    staging = dg.AssetKey(["staging", "stg_sync_events"])
    assert raw in graph.get(staging).parent_keys
    assert dg.AssetKey(["staging", "stg_session_errors"]) in graph.get(staging).child_keys


def test_dbt_tests_are_asset_checks(defs):
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert "unique_stg_sync_events_event_id" in checks
    assert len(checks) >= 20


def test_everything_that_opens_the_warehouse_is_in_one_pool(defs):
    """Reports and the dashboard read the analyst snapshot, never the warehouse: they need no slot."""
    from syncmon_pipeline.defs.reports import REPORT_ASSETS, custom_report, dashboard

    snapshot_readers = {key for asset in [*REPORT_ASSETS.values(), custom_report, dashboard] for key in asset.keys}
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.is_materializable:
            assert node.pools == (set() if key in snapshot_readers else {"warehouse"}), key
    assert len(snapshot_readers) == 14  # 4 types x 3 periods, the custom report and the dashboard


def test_dagster_yaml_limits_the_pool_to_one():
    import yaml

    config = yaml.safe_load((Path(__file__).resolve().parents[1] / "dagster.yaml").read_text())
    pools = config["concurrency"]["pools"]
    assert (pools["granularity"], pools["default_limit"]) == ("op", 1)
    assert pools["op_granularity_run_buffer"] >= 1  # the next run starts while the slot is taken


def test_bad_config_fails_naming_the_field(tmp_path):
    path = tmp_path / "syncmon.yaml"
    path.write_text("ingest:\n  max_files_per_run: 0\n  max_fils: 3\n")
    with pytest.raises(ConfigError) as error:
        load_settings(path)
    assert "ingest.max_files_per_run" in str(error.value) and "ingest.max_fils" in str(error.value)


def test_missing_explicit_config_file_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNCMON_CONFIG", str(tmp_path / "nope.yaml"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings()


def test_defaults_need_no_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SYNCMON_CONFIG", raising=False)
    assert load_settings().ingest.max_files_per_run == 100


HOLD_WRITE_LOCK = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    con.execute("CREATE TABLE IF NOT EXISTS held (x INT)")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    """
)


def test_ingest_waits_for_a_warehouse_lock_instead_of_failing(defs, home):
    write_events(home.landing, "a.ndjson", [make_event() for _ in range(3)])
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITE_LOCK, str(home.warehouse), "3"], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "locked"
    from syncmon_pipeline.defs.ingest import raw_events

    result = dg.materialize([raw_events], resources=defs.resources)
    holder.wait()
    assert result.success
    assert query(home, "SELECT count(*) FROM raw.sync_events") == [(3,)]


def test_the_code_location_loads_as_dagster_dev_loads_it(home):
    """`dagster definitions validate` loads the module the way the webserver and daemon do."""
    repo = Path(__file__).resolve().parents[1]
    dagster = Path(sys.executable).parent / "dagster"
    result = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", str(repo / "workspace.yaml")],
        capture_output=True, text=True, timeout=300, cwd=repo,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]


def test_ingest_and_alert_runs_go_before_analytics_for_the_warehouse_slot():
    from syncmon_pipeline.definitions import defs

    priority = {name: int(defs.resolve_job_def(name).tags.get("dagster/priority", 0))
                for name in ("ingest_job", "alert_evaluation_job", "analytics_job")}  # fmt: skip
    assert priority["ingest_job"] > priority["analytics_job"] < priority["alert_evaluation_job"]



def test_no_scheduled_run_holds_the_warehouse_for_the_dbt_unit_tests(defs):
    """They check the models' code, not the data: in every ingest run they cost a page ~7 s of the slot."""
    for job in ("ingest_job", "analytics_job"):
        steps = {node.name for node in defs.resolve_job_def(job).graph.node_defs}
        assert "dbt_models" in steps and not any("unit_tests" in step for step in steps), job
