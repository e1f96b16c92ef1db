"""Each session's measures are scored as they land, streaming per (integration, measure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from syncmon_pipeline.anomaly.session_scoring import SESSION_MEASURES, score_new_sessions, score_sessions

START = datetime(2026, 11, 1)
MEASURES = [m.name for m in SESSION_MEASURES]


def sessions(count: int, *, integration: str = "int-a", seed: int = 3, spike_at: int | None = None,
             latency_factor: float = 10.0) -> pd.DataFrame:  # fmt: skip
    """A session every 15 minutes with ordinary noisy measures; `spike_at`: that one's API latency × factor."""
    rng = np.random.default_rng(seed)
    rows = []
    for n in range(count):
        latency = 100 + rng.normal(0, 8)
        if n == spike_at:
            latency *= latency_factor
        duration = 300 + rng.normal(0, 20)
        records = float(round(5000 + rng.normal(0, 200)))
        rows.append({"integration_id": integration, "session_id": f"s-{n:05d}", "sync_type": "incremental", "ended_at": START + timedelta(minutes=15 * n),
                     "duration_seconds": duration, "api_latency_ms": latency, "throughput_rps": records / duration,
                     "records_processed": records, "failed_record_share": rng.poisson(2) / records,
                     "cpu_pct": 40 + rng.normal(0, 4), "memory_mb": 800 + rng.normal(0, 30)})  # fmt: skip
    return pd.DataFrame(rows)


def test_scoring_in_two_chunks_equals_one_pass():
    data = pd.concat([sessions(400), sessions(300, integration="int-b", seed=9)], ignore_index=True)
    whole, _ = score_sessions(data, {}, scored_at=START)
    first = data.groupby("integration_id").head(250)
    rest = data.drop(first.index)
    part_one, states = score_sessions(first, {}, scored_at=START)
    part_two, _ = score_sessions(rest, {k: u.state for k, u in states.items()}, scored_at=START)
    key = ["integration_id", "measure", "session_id"]
    joined = pd.concat([part_one, part_two]).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(joined, whole.sort_values(key).reset_index(drop=True))


def test_a_session_with_ten_times_the_usual_api_latency_is_a_performance_anomaly():
    scores, _ = score_sessions(sessions(500, spike_at=450), {}, scored_at=START)
    flagged = scores[scores["is_anomaly"]]
    hit = flagged[(flagged["session_id"] == "s-00450") & (flagged["measure"] == "api_latency_ms")]
    assert len(hit) == 1
    row = hit.iloc[0]
    assert row["alert_type"] == "performance_degradation" and row["direction"] == "spike"
    assert row["value"] > 5 * row["expected"] and row["upper_band"] < row["value"] and 0.5 <= row["score"] <= 1
    # ordinary noise stays well below it (a rare marginal alarm on a new high is possible: the alert rules
    # ask for a higher score and a real deviation before they page)
    others = scores[(scores["measure"] == "api_latency_ms") & (scores["session_id"] != "s-00450")]
    assert others["score"].max() < row["score"] - 0.2
    assert len(flagged) <= 0.002 * len(scores) + 1  # at most one ordinary point in 500 alarms


def test_a_drop_in_latency_is_good_news_not_an_anomaly():
    scores, _ = score_sessions(sessions(500, spike_at=450, latency_factor=0.1), {}, scored_at=START)
    drop = scores[(scores["session_id"] == "s-00450") & (scores["measure"] == "api_latency_ms")].iloc[0]
    assert drop["direction"] == "drop" and not drop["is_anomaly"]


def _scaled(frame: pd.DataFrame, at: int, *, records: float = 1.0, duration: float = 1.0) -> pd.DataFrame:
    """`frame` with session `at`'s volume and duration scaled (its throughput follows: records / duration)."""
    frame = frame.copy()
    frame.loc[at, "records_processed"] = round(frame.loc[at, "records_processed"] * records)
    frame.loc[at, "duration_seconds"] *= duration
    frame.loc[at, "throughput_rps"] = frame.loc[at, "records_processed"] / frame.loc[at, "duration_seconds"]
    return frame


def _flagged(scores: pd.DataFrame, session_id: str) -> set[str]:
    return set(scores[(scores["session_id"] == session_id) & scores["is_anomaly"]]["measure"])


@pytest.mark.parametrize(
    ("records", "duration", "flagged"),
    [
        (0.1, 1.0, {"records_processed"}),  # a volume drop is data quality's, not also a slowdown
        (4.0, 4.0, set()),  # four times the records at the usual pace: a big sync, not a slow one
        (1.0, 4.0, {"duration_seconds", "throughput_rps"}),  # the usual records, four times slower
    ],
)
def test_one_sessions_measures_are_read_together(records, duration, flagged):
    scores, _ = score_sessions(_scaled(sessions(500), 450, records=records, duration=duration), {}, scored_at=START)
    assert _flagged(scores, "s-00450") == flagged


def test_each_kind_of_sync_is_a_series_of_its_own():
    """A nightly full sync moves far more records, longer and at more CPU and memory than the incremental
    syncs between them: judged against the incrementals it would be an anomaly every night."""
    data = sessions(24 * 25)
    full = data.index % 24 == 0
    data.loc[full, "sync_type"] = "full"
    data.loc[full, ["records_processed", "duration_seconds"]] *= [100.0, 40.0]
    data.loc[full, ["cpu_pct", "memory_mb"]] *= [2.0, 3.0]
    data["throughput_rps"] = data["records_processed"] / data["duration_seconds"]
    scores, states = score_sessions(data, {}, scored_at=START)
    assert {key[1] for key in states} == {"full", "incremental"}
    assert set(scores[scores["session_id"].isin(data[full]["session_id"])]["sync_type"]) == {"full"}
    assert scores["is_anomaly"].sum() <= 0.005 * len(scores)  # the rare marginal alarms of ordinary noise
    assert not scores[scores["sync_type"] == "full"]["is_anomaly"].any()


def test_every_measure_belongs_to_its_alert_type():
    types = {m.name: m.alert_type for m in SESSION_MEASURES}
    assert {types[m] for m in ("duration_seconds", "api_latency_ms", "throughput_rps")} == {"performance_degradation"}
    assert {types[m] for m in ("records_processed", "failed_record_share")} == {"data_quality_issue"}
    assert {types[m] for m in ("cpu_pct", "memory_mb")} == {"resource_exhaustion"}


@pytest.fixture
def warehouse(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE SCHEMA intermediate")
    con.execute("CREATE TABLE intermediate.int_session_status_history (integration_id VARCHAR, session_id VARCHAR,"
                " status VARCHAR, duration_seconds DOUBLE)")  # fmt: skip
    con.execute("CREATE TABLE marts.fct_sync_sessions (integration_id VARCHAR, session_id VARCHAR, sync_type VARCHAR, ended_at TIMESTAMP,"
                " outcome VARCHAR, duration_seconds DOUBLE, records_processed BIGINT, records_failed BIGINT)")  # fmt: skip
    con.execute("CREATE TABLE marts.fct_session_metrics (integration_id VARCHAR, session_id VARCHAR,"
                " api_latency_ms_avg DOUBLE, cpu_pct DOUBLE, memory_mb DOUBLE)")  # fmt: skip
    yield con
    con.close()


def land(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, outcome: str = "succeeded") -> None:
    rows = frame.assign(outcome=outcome, records_processed=frame["records_processed"].round().astype(int),
                        records_failed=(frame["failed_record_share"] * frame["records_processed"]).round().astype(int))  # fmt: skip
    con.register("landed", rows)
    con.execute("INSERT INTO marts.fct_sync_sessions SELECT integration_id, session_id, sync_type, ended_at, outcome,"
                " duration_seconds, records_processed, records_failed FROM landed")  # fmt: skip
    con.execute("INSERT INTO marts.fct_session_metrics SELECT integration_id, session_id, api_latency_ms, cpu_pct,"
                " memory_mb FROM landed")  # fmt: skip
    con.unregister("landed")


def test_ingest_runs_score_each_session_once_and_continue_the_series(warehouse):
    data = sessions(300, spike_at=280)
    land(warehouse, data.iloc[:200])
    now = START + timedelta(days=30)
    first = score_new_sessions(warehouse, ended_before=now, scored_at=now)
    assert (first.sessions, first.series) == (200, len(MEASURES))
    assert score_new_sessions(warehouse, ended_before=now, scored_at=now).sessions == 0  # nothing new
    land(warehouse, data.iloc[200:])
    land(warehouse, sessions(1, integration="int-a", seed=1).assign(session_id="failed-1"), outcome="failed")
    second = score_new_sessions(warehouse, ended_before=now, scored_at=now)
    assert second.sessions == 100 and second.anomalies_found >= 1
    stored = warehouse.execute("SELECT measure, session_id, score FROM anomaly.session_anomaly_scores"
                               " ORDER BY measure, session_id").df()  # fmt: skip
    assert "failed-1" not in set(stored["session_id"])  # a failed run is sync_failure's business
    one_pass, _ = score_sessions(data, {}, scored_at=now)
    expected = one_pass.sort_values(["measure", "session_id"])[["measure", "session_id", "score"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(stored, expected, check_exact=False, rtol=1e-12)
    flagged = warehouse.execute("SELECT session_id FROM anomaly.session_anomaly_scores WHERE is_anomaly"
                                " AND measure = 'api_latency_ms' ORDER BY score DESC").fetchall()  # fmt: skip
    assert flagged[0] == ("s-00280",)  # the tenfold spike, even right after a marginal alarm
