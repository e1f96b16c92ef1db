"""Reads from the published snapshots (never the warehouse): status, dashboard, and the routers of
integrations and metrics, sessions, alerts and reports (`reads_*.py`); `DELETE /v1/cache`.

Missing snapshot (a fresh install): lists answer 200 with no items and `published_at: null` (and
`/v1/status` says why in `notes`); a single object, the dashboard and metrics answer 503 with a
problem saying that the analyst snapshot is not published yet.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import duckdb
from fastapi import APIRouter, Depends, Request, Response

from syncmon_pipeline.commands.inbox import backlog as command_backlog
from syncmon_pipeline.ingest.landing import list_landing_files
from syncmon_pipeline.reports.dashboard import build_dashboard

from .. import read_models as m
from ..context import ApiContext
from ..deps import get_context, require
from ..problems import Problem
from ..read_http import conditional_json, documented
from ..read_parts import ReadParts, install, read_parts
from ..read_queries import data_as_of
from ..snapshots import TITLES
from . import reads_alerts, reads_fleet, reads_reports, reads_sessions

log = logging.getLogger(__name__)
router = APIRouter()
system = APIRouter(prefix="/v1", tags=["reads"])


async def startup(ctx: ApiContext) -> None:
    install(ctx)


async def shutdown(ctx: ApiContext) -> None:
    parts = ctx.parts.get("reads")
    if parts is not None:
        parts.clear()


def _age(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else max(0.0, (now - then).total_seconds())


def _landing_backlog(ctx: ApiContext, now: datetime) -> m.BacklogStatus:
    files = list_landing_files(ctx.paths.landing)
    oldest = datetime.fromtimestamp(files[0].mtime, UTC) if files else None
    return m.BacklogStatus(files=len(files), oldest_at=oldest, oldest_age_seconds=_age(now, oldest))


def _command_backlog(ctx: ApiContext, now: datetime) -> m.BacklogStatus:
    count, age = command_backlog(ctx.paths.commands, now)
    oldest = None if age is None else now - timedelta(seconds=age)
    return m.BacklogStatus(files=count, oldest_at=oldest, oldest_age_seconds=age)


@system.get("/status", response_model=m.ServiceStatus, summary="Snapshot ages, backlogs and the last runs",
            responses=documented(not_modified=False))  # fmt: skip
def status(ctx: ApiContext = Depends(get_context), parts: ReadParts = Depends(read_parts),
           _: object = Depends(require("read"))) -> Response:  # fmt: skip
    now = ctx.clock().astimezone(UTC)
    snapshots: dict[str, m.SnapshotStatus] = {}
    has_alerts: dict[str, bool] = {}
    notes: list[str] = []
    as_of = None
    for name in ("analytics", "alerts"):
        try:
            with parts.snapshots.lease(name) as lease:
                if lease is None:
                    snapshots[name] = m.SnapshotStatus(published=False, published_at=None, age_seconds=None, tables=0)
                    has_alerts[name] = False
                    continue
                snapshots[name] = m.SnapshotStatus(published=True, published_at=lease.published_at,
                                                   age_seconds=_age(now, lease.published_at),
                                                   tables=len(lease.snapshot.tables))  # fmt: skip
                has_alerts[name] = lease.has("alerts.alerts")
                if name == "analytics" and lease.has("marts.fct_sync_sessions") and lease.has("marts.mart_integration_health"):
                    as_of = data_as_of(lease.cursor)[1]
        except (Problem, duckdb.Error):
            snapshots[name] = m.SnapshotStatus(published=True, published_at=None, age_seconds=None, tables=0)
            has_alerts[name] = False
            notes.append(f"{TITLES[name]} exists but cannot be read right now")
    if not snapshots["analytics"].published:
        notes.append("the analyst snapshot is not published yet: integrations, sessions, metrics and the dashboard"
                     " are empty (lists) or 503 (single objects) until the first analytics run")  # fmt: skip
    if not snapshots["alerts"].published:
        notes.append("the alerts snapshot is not published yet: alerts are read from the analyst snapshot"
                     " (as of its last analytics run)" if has_alerts["analytics"] else
                     "no alert tables are published yet: the alert lists are empty")  # fmt: skip
    alerts_from = "alerts" if has_alerts["alerts"] else "analytics" if has_alerts["analytics"] else None
    body = m.ServiceStatus(
        now=now, snapshots=snapshots, alerts_from=alerts_from, data_as_of=as_of, data_age_seconds=_age(now, as_of),
        last_runs=m.LastRuns(analytics=snapshots["analytics"].published_at,
                             alert_evaluation=snapshots["alerts"].published_at),
        landing=_landing_backlog(ctx, now), commands=_command_backlog(ctx, now), notes=notes,
    )  # fmt: skip
    return Response(body.model_dump_json(), media_type="application/json", headers={"Cache-Control": "no-store"})


@system.get("/dashboard", response_model=m.ReportDocument, summary="The dashboard's figures, charts and tables",
            description="The same content as the static dashboard page, built from the analyst snapshot.",
            responses=documented(503))  # fmt: skip
async def dashboard(request: Request, ctx: ApiContext = Depends(get_context), parts: ReadParts = Depends(read_parts),
              _: object = Depends(require("read"))) -> Response:  # fmt: skip
    def read() -> Response:
        with parts.snapshots.analytics(required=True) as lease:
            def build() -> m.ReportDocument:
                report = build_dashboard(lease.cursor, generated_at=ctx.clock())
                return m.ReportDocument.model_validate(report.to_json())

            return conditional_json(request, parts.cache, version=lease.version, modified=lease.published_at, build=build)

    return await parts.answer(request, "analytics", read)


@system.delete("/cache", status_code=204, summary="Close the snapshot connections and drop cached responses",
               responses=documented(not_modified=False) | {403: documented()[403] | {"description": "Needs admin."}})  # fmt: skip
def clear_cache(parts: ReadParts = Depends(read_parts), _: object = Depends(require("admin"))) -> Response:
    parts.clear()
    return Response(status_code=204)


router.include_router(system)
for module in (reads_fleet, reads_sessions, reads_alerts, reads_reports):
    router.include_router(module.router)
