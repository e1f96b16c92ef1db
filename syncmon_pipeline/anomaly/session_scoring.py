"""Scoring each session's measures as it lands: one streaming series per (integration, sync type, measure).

The hourly buckets (`scoring.py`) are for dashboards and reports; an alert cannot wait for an hour to
end. Here every ended session is a point of its integration's series of each measure, scored once in
the ingest run that brings it, continuing the series' stored detector state (`anomaly.session_detector_state`),
so the scores are the same as scoring the whole history in one pass. Each kind of sync is a series of
its own: a nightly full sync moves far more records than a delta, for longer, at a CPU and memory of
its own, and judged together both would look like a string of anomalies. Each measure belongs to the alert
type its anomalies mean, and only the direction that hurts counts as an anomaly (a latency drop is good
news): latency, duration and throughput → performance_degradation; volume drops and spikes of the
share of records that failed → data_quality_issue; CPU and memory → resource_exhaustion. A
session's measures are read together where one explains another (`attributed`): throughput is records over duration, so a volume
drop is not also a slowdown, and a long session that kept its usual pace was a big one, not a slow one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd

from syncmon_pipeline.anomaly.detector import ANOMALY_THRESHOLD, DEFAULT_PARAMETERS, DetectorState, score_frame
from syncmon_pipeline.sql_files import query_sql_file, run_sql_file

METHOD = "session-likelihood-v1"
# The detector's parameters but for its one-alarm-per-event filter: the alert engine keeps one alert
# per incident itself, and a marginal alarm on ordinary noise must not mute a tenfold spike a few
# sessions later.
PARAMETERS = replace(DEFAULT_PARAMETERS, refractory=-1)


@dataclass(frozen=True)
class SessionMeasure:
    name: str
    alert_type: str
    hurts: str  # the direction that is an anomaly: spike | drop


SESSION_MEASURES: tuple[SessionMeasure, ...] = (
    SessionMeasure("duration_seconds", "performance_degradation", "spike"),
    SessionMeasure("api_latency_ms", "performance_degradation", "spike"),
    SessionMeasure("throughput_rps", "performance_degradation", "drop"),
    SessionMeasure("records_processed", "data_quality_issue", "drop"),
    SessionMeasure("failed_record_share", "data_quality_issue", "spike"),  # records failed / processed
    SessionMeasure("cpu_pct", "resource_exhaustion", "spike"),
    SessionMeasure("memory_mb", "resource_exhaustion", "spike"),
)
_COLUMNS = ["integration_id", "session_id", "sync_type", "ended_at", *(m.name for m in SESSION_MEASURES)]
SeriesKey = tuple[str, str, str]  # (integration_id, sync_type, measure)


@dataclass(frozen=True)
class SeriesState:
    """Where one series stands: its first point's time (how much history it holds) and the detector's state."""

    first_ended_at: datetime
    detector: DetectorState


@dataclass(frozen=True)
class SeriesUpdate:
    """A series after a batch: its state, and its newest point (ended_at, session_id)."""

    state: SeriesState
    last_ended_at: datetime
    last_session_id: str


@dataclass(frozen=True)
class SessionScoringReport:
    sessions: int
    points_scored: int
    anomalies_found: int
    series: int


def score_sessions(
    sessions: pd.DataFrame, states: dict[SeriesKey, SeriesState], *, scored_at: datetime
) -> tuple[pd.DataFrame, dict[SeriesKey, SeriesUpdate]]:
    """Scores of `sessions` (columns as `_COLUMNS`, oldest first per integration) continuing `states`.

    Returns the score rows (one per session and measure with a value; `history_days` says how much
    history its series held at that point) and, per series touched, its update. A missing value is
    not a point: it is neither scored nor learnt from. Pure: the caller reads and writes the tables.
    """
    rows: list[pd.DataFrame] = []
    new_states: dict[SeriesKey, SeriesUpdate] = {}
    for (integration, sync_type), group in sessions.groupby(["integration_id", "sync_type"], sort=True):
        group = group.sort_values(["ended_at", "session_id"], kind="stable")
        last = group.iloc[-1]
        for measure in SESSION_MEASURES:
            present = group[group[measure.name].notna()]
            values = pd.to_numeric(present[measure.name], errors="coerce").astype("float64")
            values.index = pd.DatetimeIndex(present["ended_at"])
            key = (integration, sync_type, measure.name)
            before = states.get(key)
            result, detector = score_frame(values, PARAMETERS, before.detector if before else None)
            first = before.first_ended_at if before else (values.index[0] if len(values) else last["ended_at"])
            new_states[key] = SeriesUpdate(SeriesState(first, detector), last["ended_at"], last["session_id"])
            scored = result.assign(value=values.to_numpy(), session_id=present["session_id"].to_numpy())
            scored = scored.dropna(subset=["value", "expected"])
            if scored.empty:
                continue
            direction = np.where(scored["value"] >= scored["expected"], "spike", "drop")
            rows.append(pd.DataFrame({
                "integration_id": integration, "session_id": scored["session_id"].to_numpy(), "sync_type": sync_type,
                "measure": measure.name, "ended_at": scored.index, "value": scored["value"].to_numpy(),
                "expected": scored["expected"].to_numpy(), "lower_band": scored["lower_band"].to_numpy(),
                "upper_band": scored["upper_band"].to_numpy(), "score": scored["score"].to_numpy(),
                "is_anomaly": (scored["score"].to_numpy() >= ANOMALY_THRESHOLD) & (direction == measure.hurts),
                "direction": direction, "alert_type": measure.alert_type,
                "history_days": (scored.index - pd.Timestamp(first)).total_seconds().to_numpy() / 86400.0,
                "method": METHOD, "scored_at": scored_at,
            }))  # fmt: skip
    frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=[
        "integration_id", "session_id", "sync_type", "measure", "ended_at", "value", "expected", "lower_band", "upper_band",
        "score", "is_anomaly", "direction", "alert_type", "history_days", "method", "scored_at"])  # fmt: skip
    return attributed(frame), new_states


def attributed(scores: pd.DataFrame) -> pd.DataFrame:
    """`scores` with the anomalies another measure of the same session explains no longer flagged.

    Throughput is records processed over duration: a throughput drop in a session whose volume dropped
    is the volume anomaly (data_quality_issue) seen twice, not a slowdown; a duration spike in a session
    whose throughput stayed at or above its band's floor processed more records at the usual pace (a
    big sync, not a slow one). Where the other measure is missing, nothing is explained.
    """
    if scores.empty:
        return scores
    key = ["integration_id", "session_id"]
    by_measure = scores.set_index([*key, "measure"])
    volume_dropped = by_measure.xs("records_processed", level="measure")["is_anomaly"] if (
        "records_processed" in by_measure.index.get_level_values("measure")) else pd.Series(dtype=bool)  # fmt: skip
    throughput = by_measure.xs("throughput_rps", level="measure") if (
        "throughput_rps" in by_measure.index.get_level_values("measure")) else None  # fmt: skip
    kept_pace = (throughput["value"] >= throughput["lower_band"]) if throughput is not None else pd.Series(dtype=bool)
    session = pd.MultiIndex.from_frame(scores[key])
    explained = ((scores["measure"] == "throughput_rps").to_numpy()
                 & volume_dropped.reindex(session, fill_value=False).to_numpy(dtype=bool))  # fmt: skip
    explained |= ((scores["measure"] == "duration_seconds").to_numpy()
                  & kept_pace.reindex(session, fill_value=False).to_numpy(dtype=bool))  # fmt: skip
    return scores.assign(is_anomaly=scores["is_anomaly"].to_numpy(dtype=bool) & ~explained)


def score_new_sessions(
    con: duckdb.DuckDBPyConnection, *, ended_before: datetime, scored_at: datetime
) -> SessionScoringReport:
    """Score every ended session not scored yet (ending at or before `ended_before`); one transaction."""
    run_sql_file(con, __package__, "session_tables.sql")
    sessions = pd.DataFrame(query_sql_file(con, __package__, "session_measures.sql", {"ended_before": ended_before}),
                            columns=_COLUMNS)  # fmt: skip
    states: dict[SeriesKey, SeriesState] = {}
    for integration, sync_type, measure, first_ended_at, text in con.execute(
        "SELECT integration_id, sync_type, measure, first_ended_at, state FROM anomaly.session_detector_state"
    ).fetchall():
        detector = DetectorState.from_json(text)
        if detector is not None:  # a state of an older method: that series warms up again
            states[(integration, sync_type, measure)] = SeriesState(first_ended_at, detector)
    scores, new_states = score_sessions(sessions, states, scored_at=scored_at)
    con.begin()
    try:
        if not scores.empty:
            con.register("new_session_scores", scores)
            con.execute("INSERT INTO anomaly.session_anomaly_scores BY NAME SELECT * FROM new_session_scores")
            con.unregister("new_session_scores")
        if new_states:
            con.executemany("DELETE FROM anomaly.session_detector_state"
                            " WHERE integration_id = ? AND sync_type = ? AND measure = ?", list(new_states))  # fmt: skip
            con.executemany("INSERT INTO anomaly.session_detector_state VALUES (?, ?, ?, ?, ?, ?, ?)", [
                (*key, u.state.first_ended_at, u.last_ended_at, u.last_session_id, u.state.detector.to_json())
                for key, u in new_states.items()
            ])  # fmt: skip
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return SessionScoringReport(
        sessions=len(sessions), points_scored=len(scores),
        anomalies_found=0 if scores.empty else int(scores["is_anomaly"].sum()), series=len(new_states),
    )  # fmt: skip
