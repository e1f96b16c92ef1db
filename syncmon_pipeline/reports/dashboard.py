"""The dashboard: the fleet at a glance, as one self-refreshing page built from the analyst snapshot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb

from syncmon_pipeline.analytics.overview import fleet_overview
from syncmon_pipeline.sql_files import table_exists
from syncmon_pipeline.timestamps import from_utc_naive, to_utc_naive

from .model import Column as C
from .model import Figure, Period, ReportData, Section
from .queries import chart, series, table
from .render import render_report_html
from .scope import rows


def _records(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> list[dict]:
    found = rows(con, name, params)
    columns = [d[0] for d in con.description or []]
    return [dict(zip(columns, r)) for r in found]


def build_dashboard(con: duckdb.DuckDBPyConnection, *, generated_at: datetime) -> ReportData:
    overview = fleet_overview(con)
    as_of = overview.as_of or to_utc_naive(generated_at)
    params = {"as_of": as_of}
    health = _records(con, "dashboard_health", params)
    trend = _records(con, "dashboard_trend", params)
    entities = _records(con, "dashboard_entities", params)
    alerts = _records(con, "dashboard_alerts", params) if table_exists(con, "alerts", "alerts") else []
    statuses: dict[str, int] = {}
    for r in health:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    status_rows = [{"status": k, "integrations": v} for k, v in sorted(statuses.items())]
    summary = (
        Figure("active_syncs", "Active syncs", overview.active_syncs),
        Figure("completion_rate_24h", "Completion rate (24 h)", overview.completion_rate_24h, "percent"),
        Figure("avg_duration_seconds_24h", "Average duration (24 h)", overview.avg_duration_seconds_24h, "seconds"),
        Figure("uptime_24h", "Uptime (24 h)", overview.uptime_24h, "percent"),
        Figure("integrations_total", "Integrations", overview.integrations_total),
        Figure("integrations_unhealthy", "Down or degraded", overview.integrations_down + overview.integrations_degraded),
        Figure("alerts_firing", "Alerts firing", sum(1 for a in alerts if a["status"] == "firing")),
    )
    sections = (
        Section("running", "Running now", "Sessions not yet finished that reported within the last 6 hours.",
                tables=(table("running_sessions", "Sessions running now", _records(con, "dashboard_running", params), [
                    C("integration_id", "Integration"), C("status", "Status"), C("stage", "Stage"),
                    C("started_at", "Started", "datetime"), C("running_seconds", "Running for", "seconds"),
                    C("records_processed", "Records", "int"), C("error_count", "Errors", "int"),
                ]),)),
        Section("alerts", "Firing alerts", "Alerts firing or acknowledged, most severe first.",
                tables=(table("firing_alerts", "Firing alerts", alerts, [
                    C("severity", "Severity"), C("alert_type", "Type"), C("integration_id", "Integration"),
                    C("status", "Status"), C("fired_at", "Fired", "datetime"), C("acknowledged_by", "Acknowledged by"),
                    C("summary", "Summary"),
                ]),)),
        Section("health", "Integration health", "Every integration, worst first.",
                charts=(chart("health_status", "Integrations by status", "pie",
                              series("integrations", status_rows, "status", "integrations")),),
                tables=(table("integration_health", "Health of every integration", health, [
                    C("integration_id", "Integration"), C("provider", "Provider"), C("status", "Status"),
                    C("success_rate_24h", "Success 24 h", "percent"), C("availability_24h", "Availability 24 h", "percent"),
                    C("consecutive_failures", "Failures in a row", "int"),
                    C("last_successful_sync_at", "Last success", "datetime"), C("status_reason", "Why"),
                ]),)),
        Section("trends", "Trends (48 hours)", "The fleet hour by hour.",
                charts=(
                    chart("trend_sessions", "Sessions finished and errors per hour", "line",
                          series("sessions finished", trend, "bucket", "sessions_ended"),
                          series("errors", trend, "bucket", "errors")),
                    chart("trend_success", "Success rate per hour", "line", series("success rate", trend, "bucket", "success_rate")),
                    chart("trend_records", "Records processed per hour", "area",
                          series("records", trend, "bucket", "records_processed")),
                )),
        Section("entities", "Entity metrics", "Records per entity type, all time.",
                charts=(chart("entity_records", "Records processed by entity type", "bar",
                              series("records", entities, "entity_type", "records_processed")),),
                tables=(table("entity_metrics", "Entity types", entities, [
                    C("entity_type", "Entity type"), C("integrations", "Integrations", "int"),
                    C("records_processed", "Records", "int"), C("failed_rate", "Failed", "percent"),
                    C("validation_errors", "Validation errors", "int"), C("conflicts_unresolved", "Unresolved conflicts", "int"),
                ]),)),
    )
    start = from_utc_naive(as_of) - timedelta(hours=48)
    return ReportData(
        report_type="dashboard", title="syncmon dashboard",
        period=Period("live", "dashboard", start, from_utc_naive(as_of), "UTC", "hour"),
        generated_at=generated_at.astimezone(UTC), data_as_of=from_utc_naive(as_of), filters={},
        summary=summary, highlights=(), sections=sections, recommendations=(),
        inputs={"marts.mart_integration_health": len(health), "marts.mart_sync_timeseries_hourly": len(trend),
                "marts.mart_entity_metrics": len(entities), "alerts.alerts": len(alerts)},
    )


def render_dashboard_html(data: ReportData, *, refresh_seconds: int) -> str:
    return render_report_html(data, refresh_seconds=refresh_seconds, template="dashboard.html.j2")
