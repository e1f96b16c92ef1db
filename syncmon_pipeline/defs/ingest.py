"""Landing folder → raw tables: the ingest asset and the sensor that feeds it."""


import time
import uuid
from datetime import UTC, datetime

import dagster as dg

from syncmon_pipeline.config import DataPaths, load_settings
from syncmon_pipeline.defs.alert_tick import alert_state
from syncmon_pipeline.defs.alert_ui import firing_alert_checks
from syncmon_pipeline.defs.dbt import dbt_unit_tests, session_facts
from syncmon_pipeline.defs.give_way import URGENT_RUN_TAGS
from syncmon_pipeline.defs.resources import WAREHOUSE_POOL, WarehouseResource, data_paths
from syncmon_pipeline.defs.session_anomalies import session_anomaly_scores
from syncmon_pipeline.ingest.landing import Cursor, list_landing_files, next_batch
from syncmon_pipeline.ingest.load import IngestReport, ingest_files

LANDING_FILES = dg.AssetSpec(
    "landing_files",
    description="NDJSON files (contract v1) that synchronizers drop, atomically, into $SYNCMON_HOME/landing.",
    group_name="ingest",
)

RAW_KEYS = {
    "sync_events": dg.AssetKey(["raw", "sync_events"]),
    "quarantine": dg.AssetKey(["raw", "quarantine"]),
    "ingested_files": dg.AssetKey(["raw", "ingested_files"]),
}


class IngestConfig(dg.Config):
    files: list[str] = []
    """Landing file names to ingest; empty means every complete file now in the landing folder."""


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            RAW_KEYS["sync_events"],
            deps=[LANDING_FILES],
            description="Accepted events, deduplicated by event_id, free text redacted.",
        ),
        dg.AssetSpec(RAW_KEYS["quarantine"], deps=[LANDING_FILES], description="Lines that broke the contract."),
        dg.AssetSpec(RAW_KEYS["ingested_files"], deps=[LANDING_FILES], description="The file ledger."),
    ],
    group_name="ingest",
    pool=WAREHOUSE_POOL,
)
def raw_events(context: dg.AssetExecutionContext, config: IngestConfig, warehouse: WarehouseResource):
    """Ingest a batch of landing files into the raw tables, exactly once."""
    paths: DataPaths = data_paths()
    settings = load_settings()
    names = config.files or [f.name for f in list_landing_files(paths.landing)]
    chunk = settings.ingest.max_files_per_run
    run_id = context.run_id or uuid.uuid4().hex
    with warehouse.get_connection() as con:
        reports = [
            ingest_files(
                con,
                [paths.landing / name for name in names[start : start + chunk]],
                archive_root=paths.processed,
                run_id=run_id,
                now=datetime.now(UTC),
                max_line_bytes=settings.ingest.max_line_bytes,
            )
            for start in range(0, max(len(names), 1), chunk)
        ]
        totals = con.execute(
            "SELECT (SELECT count(*) FROM raw.sync_events), (SELECT count(*) FROM raw.quarantine),"
            " (SELECT count(*) FROM raw.ingested_files)"
        ).fetchall()[0]
    report = IngestReport(run_id, tuple(f for r in reports for f in r.files))
    for outcome in report.files:
        if outcome.problem or outcome.lines_quarantined:
            context.log.warning(
                f"{outcome.file_name}: {outcome.lines_quarantined} line(s) quarantined"
                + (f"; {outcome.problem}" if outcome.problem else "")
            )
    yield dg.MaterializeResult(
        asset_key=RAW_KEYS["sync_events"],
        metadata={
            "events_inserted": report.events_inserted,
            "duplicate_lines_skipped": report.lines_duplicate,
            "files": len(report.files),
            "total_events": totals[0],
            "warehouse": dg.MetadataValue.path(str(paths.warehouse)),
        },
    )
    yield dg.MaterializeResult(
        asset_key=RAW_KEYS["quarantine"],
        metadata={"lines_quarantined": report.lines_quarantined, "total_quarantined": totals[1]},
    )
    yield dg.MaterializeResult(
        asset_key=RAW_KEYS["ingested_files"],
        metadata={"files_ledgered": len(report.files), "total_files": totals[2], "lines_in": report.lines_total},
    )


ingest_job = dg.define_asset_job(
    "ingest_job",
    # The alert job reports the `firing_alerts` checks itself, and dbt's unit tests check code, not data
    # (`make test` and CI run them): leaving both out saves a page two steps, ~7 s of the warehouse slot.
    selection=(dg.AssetSelection.assets(raw_events, session_anomaly_scores, alert_state) | session_facts)
    - dg.AssetSelection.checks(*firing_alert_checks, dbt_unit_tests),
    description="Ingest landing files, refresh the session facts, score the sessions that ended, then evaluate"
    " alerts and send what is due.",
    executor_def=dg.in_process_executor,  # one process per run: a subprocess per step costs seconds of latency
    tags=URGENT_RUN_TAGS,
)


WAITING_STATUSES = (dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING)


@dg.sensor(
    job=ingest_job,
    minimum_interval_seconds=load_settings().ingest.sensor_interval_seconds,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Launches an ingest run for new landing files. Never opens the warehouse.",
)
def landing_sensor(context: dg.SensorEvaluationContext):
    waiting = context.instance.get_runs_count(
        dg.RunsFilter(job_name=ingest_job.name, statuses=[*WAITING_STATUSES])
    )
    if waiting:
        # Back-pressure: the files stay for the next tick instead of piling up runs behind the writer.
        return dg.SkipReason(f"{waiting} ingest run(s) still waiting to start; new files wait for the next tick")
    settings = load_settings().ingest
    batch = next_batch(
        list_landing_files(data_paths().landing),
        Cursor.parse(context.cursor),
        now=time.time(),
        settle_seconds=settings.settle_seconds,
        straggler_seconds=settings.straggler_minutes * 60,
        max_files=settings.max_files_per_run,
    )
    if batch is None:
        return dg.SkipReason("no new complete files in the landing folder")
    context.update_cursor(batch.cursor.serialize())
    return dg.RunRequest(
        run_key=batch.run_key,
        run_config=dg.RunConfig(ops={"raw_events": IngestConfig(files=[f.name for f in batch.files])}),
        tags={"syncmon/files": str(len(batch.files))},
    )
