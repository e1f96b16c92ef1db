"""One integration's strange evidence never stops alerting for the others.

A rule is injected that raises for one integration only (at the query, as a DuckDB error would):
every other integration's alert is still evaluated and delivered, the skipped pair shows in the run's
metadata and the log, and the failure itself fires `sync_failure` for `pipeline:alert_rule:<rule>`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes

import dagster as dg
import duckdb
import pytest

from syncmon_pipeline.alerts import ledger, observations, service
from syncmon_pipeline.alerts.settings import AlertingSettings

from conftest import isolated_home
from test_alert_shell import failing_sessions

ORIGINAL_RULE_ROWS = observations.rule_rows
BAD = "powerschool-district-13"
GOOD = "powerschool-district-14"


def _raising_for_bad(real):
    def rule_rows(con: duckdb.DuckDBPyConnection, rule: str):
        if rule == "sync_failure":
            (count,) = con.execute(
                "SELECT count(*) FROM _alert_params WHERE rule = 'sync_failure' AND integration_id = ?", [BAD]
            ).fetchall()[0]
            if count:
                raise duckdb.ConversionException(f"injected: cannot read the evidence of {BAD} token=s3cr3t")
        return real(con, rule)

    return rule_rows


@pytest.fixture(scope="module")
def isolated(tmp_path_factory):
    root = tmp_path_factory.mktemp("alert_isolation")
    patch = pytest.MonkeyPatch()
    with isolated_home(root) as paths:
        patch.setenv("DAGSTER_HOME", str(root / "dagster_home"))  # keep the runs to read their metadata
        (root / "dagster_home").mkdir()
        patch.setattr(observations, "rule_rows", _raising_for_bad(observations.rule_rows))
        now = datetime.now(UTC)
        failing_sessions(paths.landing, BAD, 3, now - timedelta(minutes=1))
        failing_sessions(paths.landing, GOOD, 3, now - timedelta(minutes=1))
        from syncmon_pipeline.runner import run_once

        try:
            summary = run_once(reports=False)
            with dg.DagsterInstance.get() as instance:
                record = instance.fetch_materializations(dg.AssetKey(["alerts", "alert_state"]), limit=1).records[0]
                metadata = record.asset_materialization.metadata
            yield paths, summary, metadata, now
        finally:
            patch.undo()


def _alerts(paths) -> dict[str, dict]:
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        cursor = con.execute("SELECT * FROM alerts.alerts")
        names = [d[0] for d in cursor.description]
        return {row[names.index("integration_id")]: dict(zip(names, row)) for row in cursor.fetchall()}


def test_the_other_integrations_alert_is_still_delivered(isolated):
    paths, summary, _, _ = isolated
    assert summary.success and summary.alerts_success
    alerts = _alerts(paths)
    assert alerts[GOOD]["alert_type"] == "sync_failure" and alerts[GOOD]["status"] == "firing"
    assert BAD not in alerts, "the rule was skipped for the integration it cannot evaluate"
    subjects = [str(message_from_bytes(p.read_bytes())["Subject"]) for p in paths.outbox.glob("*.eml")]
    assert any(GOOD in s and "FIRING" in s for s in subjects)


def test_the_skipped_pair_is_in_the_run_metadata_without_secrets(isolated):
    _, _, metadata, _ = isolated
    assert metadata["rule_failures"].value == 1
    (skipped,) = metadata["skipped_rules"].value
    assert skipped["rule"] == "sync_failure" and skipped["integration_id"] == BAD
    assert "ConversionException" in skipped["error"] and "s3cr3t" not in skipped["error"]


def test_the_failure_is_an_alert_for_the_pipeline_that_pages_and_resolves(isolated, monkeypatch):
    paths, _, _, now = isolated
    alert = _alerts(paths)["pipeline:alert_rule:sync_failure"]
    assert alert["alert_type"] == "sync_failure" and alert["status"] == "firing"
    assert BAD in alert["summary"] and "could not be evaluated for 1 integration" in alert["summary"]
    assert "s3cr3t" not in alert["summary"]
    settings = AlertingSettings()
    later = now + timedelta(minutes=2)  # past the group wait: the page goes out at the next tick
    with duckdb.connect(str(paths.warehouse)) as con:
        still_failing = service.evaluate_alerts(con, now=later, settings=settings)
        assert [f.integration_id for f in still_failing.rule_failures] == [BAD]
        ledger.deliver_due(con, now=later, clock=lambda: later, settings=settings, outbox=paths.outbox, environ={})
    subjects = [str(message_from_bytes(p.read_bytes())["Subject"]) for p in paths.outbox.glob("*.eml")]
    assert any("pipeline:alert_rule:sync_failure" in s and "FIRING" in s for s in subjects)
    monkeypatch.setattr(observations, "rule_rows", ORIGINAL_RULE_ROWS)  # the rule is mended
    with duckdb.connect(str(paths.warehouse)) as con:
        mended = service.evaluate_alerts(con, now=later + timedelta(minutes=1), settings=settings)
    assert mended.rule_failures == ()
    alerts = _alerts(paths)
    assert alerts["pipeline:alert_rule:sync_failure"]["status"] == "resolved"
    assert alerts[BAD]["status"] in ("pending", "firing"), "evaluated again once the rule works"


def test_a_null_summary_from_a_rule_reads_as_a_sentence(isolated):
    """The class of the resource_exhaustion defect: SQL left the summary empty; the alert still reads."""
    text = observations.fallback_summary("resource_exhaustion", 3.0, None)
    assert text.startswith("The synchronizer runs out of CPU") and "threshold n/a" in text


def test_a_backtest_says_which_pairs_it_skipped(isolated):
    from syncmon_pipeline.alerts.backtest import backtest

    paths, _, _, now = isolated
    with duckdb.connect(str(paths.warehouse)) as con:
        report = backtest(con, since=now - timedelta(hours=1), until=now, step=timedelta(minutes=5),
                          settings=AlertingSettings(), rule="sync_failure")
    assert any(a.integration_id == GOOD for a in report.alerts)
    assert report.skipped and all(BAD in s for s in report.skipped)
    assert f"skipped: rule sync_failure skipped for {BAD}" in report.render()
