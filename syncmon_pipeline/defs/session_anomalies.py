"""`anomaly/session_anomaly_scores`: each ended session's measures scored in the ingest run that brings it."""

from datetime import UTC, datetime

import dagster as dg

from syncmon_pipeline.anomaly.session_scoring import score_new_sessions
from syncmon_pipeline.defs.resources import WAREHOUSE_POOL, WarehouseResource

SESSION_ANOMALY_SCORES = dg.AssetKey(["anomaly", "session_anomaly_scores"])


@dg.asset(
    key=SESSION_ANOMALY_SCORES,
    deps=[dg.AssetKey(["marts", "fct_sync_sessions"]), dg.AssetKey(["marts", "fct_session_metrics"]),
          dg.AssetKey(["intermediate", "int_session_status_history"])],
    group_name="anomaly",
    pool=WAREHOUSE_POOL,
    description="Per ended session and measure (duration, API latency, throughput, records processed and failed,"
    " CPU, memory): value, expected value, band, score in [0, 1], is_anomaly in the direction that hurts and the"
    " alert type it belongs to. Scored in every ingest run, continuing each (integration, sync type, measure) series' state.",
)
def session_anomaly_scores(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    now = datetime.now(UTC).replace(tzinfo=None)
    with warehouse.get_connection() as con:
        report = score_new_sessions(con, ended_before=now, scored_at=now)
    context.log.info(f"scored {report.sessions} sessions ({report.points_scored} points of {report.series} series):"
                     f" {report.anomalies_found} anomalies")  # fmt: skip
    return dg.MaterializeResult(metadata={
        "sessions_scored": report.sessions, "points_scored": report.points_scored,
        "anomalies_found": report.anomalies_found, "series": report.series,
    })  # fmt: skip
