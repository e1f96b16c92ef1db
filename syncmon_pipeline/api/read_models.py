"""Response models of the read endpoints: the OpenAPI schema clients (and schemathesis) rely on.

Alert models are in `alert_models.py`, report models in `report_models.py` (both re-exported here).

Timestamps are ISO 8601 in UTC; rates are fractions (0.97, not 97); missing figures are null.
"""

from __future__ import annotations

from datetime import datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from .alert_models import AlertDetail, AlertItem, DeliveryAttempt, NotificationItem, SilenceItem  # noqa: F401
from .report_models import (  # noqa: F401
    ReportChart, ReportColumn, ReportDetail, ReportDocument, ReportExport, ReportFigure, ReportPage, ReportPeriod,
    ReportRecommendation, ReportSection, ReportSeries, ReportSummary, ReportTable,
)

T = TypeVar("T")
SnapshotName = Literal["analytics", "alerts"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProblemDetails(BaseModel):
    """RFC 9457 problem details; some problems add fields (e.g. `errors`, `points`, `matches`)."""

    model_config = ConfigDict(extra="allow")
    type: str = "about:blank"
    title: str
    status: int
    detail: str


class Page(_Model, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` (same filters) for the next page; null on the last.")
    published_at: datetime | None = Field(description="When the snapshot read was published; null: not published yet.")
    snapshot: SnapshotName | None = Field(description="Which published file answered; null: none is published yet.")


# -- integrations and health ---------------------------------------------------------------------------


class IntegrationHealth(_Model):
    status: str = Field(description="healthy, degraded, down, stale or unknown")
    status_reason: str | None
    as_of: datetime | None
    success_rate_24h: float | None
    success_rate_7d: float | None
    success_rate_30d: float | None
    availability_24h: float | None
    availability_7d: float | None
    availability_30d: float | None
    consecutive_failures: int | None
    last_successful_sync_at: datetime | None
    sessions_ended_24h: int | None
    latest_session_status: str | None
    last_health_check_at: datetime | None
    last_health_check_reachable: bool | None
    last_auth_status: str | None
    open_error_categories: list[str]


class Integration(_Model):
    integration_id: str
    provider: str
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    usual_cadence_seconds: float | None
    entity_types: list[str]
    sessions_total: int | None
    health_checks_total: int | None
    last_session_started_at: datetime | None
    health: IntegrationHealth | None = Field(description="null until the health mart has a row for it")


class HourlyBucket(_Model):
    bucket_start: datetime
    bucket_end: datetime
    sessions_started: int | None
    sessions_ended: int | None
    sessions_completed: int | None
    sessions_failed: int | None
    success_rate: float | None
    duration_seconds_avg: float | None
    duration_seconds_p95: float | None
    records_processed: int | None
    records_failed: int | None
    errors_total: int | None
    conflicts: int | None
    api_latency_ms_avg: float | None
    api_latency_ms_p95: float | None
    throughput_rps: float | None
    health_checks: int | None
    health_checks_unreachable: int | None
    health_check_latency_ms_avg: float | None


class HealthDetail(_Model):
    integration: Integration
    window_start: datetime = Field(description="The hourly buckets cover the 24 hours before the health's as-of.")
    window_end: datetime
    hourly: list[HourlyBucket]
    published_at: datetime | None


class MetricPoint(_Model):
    bucket_start: datetime
    value: float | None = Field(description="Counts are 0 in empty buckets; rates and averages null.")


class MetricSeries(_Model):
    measure: str
    interval: Literal["minute", "hour", "day"]
    start: datetime
    end: datetime = Field(description="Exclusive; whole buckets from `start`.")
    integration_id: str | None = Field(description="null: the whole fleet")
    points: list[MetricPoint]
    max_points: int
    published_at: datetime | None


# -- sessions ---------------------------------------------------------------------------------------------


class SessionItem(_Model):
    session_id: str
    integration_id: str
    provider: str
    sync_type: str | None
    direction: str | None
    triggered_by: str | None
    retry_of: str | None
    entity_types: list[str]
    status: str | None
    stage: str | None
    status_reason: str | None
    is_terminal: bool | None
    outcome: str | None = Field(description="succeeded, partial, failed or cancelled; null while running")
    created_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    last_event_at: datetime | None
    duration_seconds: float | None
    running_seconds: float | None = Field(description="Not finished: seconds since it started, as of the data.")
    records_processed: int | None
    records_created: int | None
    records_updated: int | None
    records_deleted: int | None
    records_skipped: int | None
    records_failed: int | None
    error_count: int | None
    warning_count: int | None
    conflict_count: int | None
    last_error_category: str | None
    last_error_message: str | None
    url: str = Field(description="This session's detail (with `integration_id`, so it is never ambiguous).")


class SessionAggregate(_Model):
    sessions: int
    by_status: dict[str, int]
    by_outcome: dict[str, int] = Field(description="Finished sessions by outcome (running ones are left out).")
    success_rate: float | None = Field(description="Succeeded / finished, cancelled ones left out.")
    avg_duration_seconds: float | None
    p95_duration_seconds: float | None


class SessionPage(Page[SessionItem]):
    aggregate: SessionAggregate | None = Field(description="With `aggregate=true`: figures over every match.")


class SessionErrorEvent(_Model):
    occurred_at: datetime | None
    category: str | None
    severity: str | None
    error_code: str | None
    message: str | None
    entity_type: str | None
    entity_id: str | None
    is_retryable: bool | None
    retry_count: int | None


class SessionWarningEvent(_Model):
    occurred_at: datetime | None
    warning_code: str | None
    message: str | None
    entity_type: str | None
    entity_id: str | None


class SessionConflictEvent(_Model):
    occurred_at: datetime | None
    entity_type: str | None
    entity_id: str | None
    field_name: str | None
    strategy: str | None
    is_resolved: bool | None


class SessionMetricsReport(_Model):
    occurred_at: datetime | None
    api_calls: int | None
    api_errors: int | None
    api_latency_ms_avg: float | None
    api_latency_ms_p95: float | None
    throughput_rps: float | None
    cache_hits: int | None
    cache_misses: int | None
    cpu_pct: float | None
    memory_mb: float | None
    rate_limit_remaining: int | None


class StatusChange(_Model):
    occurred_at: datetime | None
    status: str | None
    previous_status: str | None
    stage: str | None
    reason: str | None
    duration_seconds: float | None


class TimelineEntry(_Model):
    at: datetime
    kind: Literal["created", "started", "status", "error", "warning", "conflict", "metrics", "ended"]
    text: str


class SessionDetail(_Model):
    session: SessionItem
    timeline: list[TimelineEntry] = Field(description="Lifecycle, status changes (when published), errors,"
                                                      " warnings, conflicts and metrics reports, oldest first.")
    status_history: list[StatusChange] | None = Field(
        description="Every status event; null when the snapshot does not publish the status history.")
    errors: list[SessionErrorEvent]
    warnings: list[SessionWarningEvent]
    conflicts: list[SessionConflictEvent]
    metrics: list[SessionMetricsReport]
    truncated: bool = Field(description="A list was cut at `max_events`; the counts in `session` are complete.")
    max_events: int
    published_at: datetime | None


# -- status -----------------------------------------------------------------------------------------------


class SnapshotStatus(_Model):
    published: bool
    published_at: datetime | None
    age_seconds: float | None
    tables: int


class BacklogStatus(_Model):
    files: int
    oldest_at: datetime | None
    oldest_age_seconds: float | None


class LastRuns(_Model):
    analytics: datetime | None = Field(description="The analyst snapshot's publication (end of an analytics run).")
    alert_evaluation: datetime | None = Field(description="The alerts snapshot's publication (null until it exists).")


class ServiceStatus(_Model):
    now: datetime
    snapshots: dict[SnapshotName, SnapshotStatus]
    alerts_from: SnapshotName | None = Field(description="Which file answers the alert endpoints.")
    data_as_of: datetime | None = Field(description="The newest session event in the analyst snapshot.")
    data_age_seconds: float | None
    last_runs: LastRuns
    landing: BacklogStatus = Field(description="Complete event files waiting in the landing folder.")
    commands: BacklogStatus = Field(description="Operator commands waiting for the alert job.")
    notes: list[str] = Field(description="What an operator should know, e.g. that a snapshot is not published yet.")
