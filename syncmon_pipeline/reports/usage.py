"""Usage report: sessions and records by integration, entity type, hour of day and weekday; peak times."""

from __future__ import annotations

from .model import Column as C
from .model import Figure, Section
from .queries import Queries, chart, series, split_series, table

TITLE = "Usage report"


def summary(q: Queries) -> tuple[Figure, ...]:
    s = q.one("usage_summary")
    peak = q.records("usage_peaks")[:1]
    return (
        Figure("sessions", "Sessions", s.get("sessions", 0)),
        Figure("records_processed", "Records processed", s.get("records_processed", 0)),
        Figure("integrations_active", "Active integrations", s.get("integrations_active", 0)),
        Figure("entity_types", "Entity types synced", s.get("entity_types", 0)),
        Figure("peak_time", "Busiest hour", f"{peak[0]['weekday']} {peak[0]['hour']:02d}:00" if peak else None, "text"),
    )


def by_integration(q: Queries) -> Section:
    records = q.records("usage_by_integration")
    return Section(
        "by_integration", "Sessions and records by integration",
        "Work done per integration in the period, largest first.",
        charts=(
            chart("records_top", "Records processed, top 20 integrations", "bar",
                  series("records processed", records[:20], "integration_id", "records_processed"), y_title="records"),
            chart("sessions_by_provider", "Sessions over time by provider", "area",
                  *split_series(q.records("usage_trend_by_provider"), "bucket", "provider", "sessions"),
                  y_title="sessions", stacked=True),
        ),
        tables=(table("usage_by_integration", "Usage by integration", records, [
            C("integration_id", "Integration"), C("provider", "Provider"), C("sessions", "Sessions", "int"),
            C("records_processed", "Processed", "int"), C("records_created", "Created", "int"),
            C("records_updated", "Updated", "int"), C("records_deleted", "Deleted", "int"),
            C("share_of_records", "Share of records", "percent"),
        ]),),
    )


def by_entity_type(q: Queries) -> Section:
    records = q.records("usage_by_entity_type")
    return Section(
        "by_entity_type", "By entity type",
        "Sessions that synced each entity type in the period; record totals are all-time figures of the entity mart.",
        charts=(chart("sessions_by_entity_type", "Sessions by entity type", "pie",
                      series("sessions", records, "entity_type", "sessions")),),
        tables=(table("usage_by_entity_type", "Entity types", records, [
            C("entity_type", "Entity type"), C("sessions", "Sessions", "int"), C("integrations", "Integrations", "int"),
            C("records_all_time", "Records (all time)", "int"),
        ]),),
    )


def peak_times(q: Queries) -> Section:
    hours = q.records("usage_hour_of_day")
    weekdays = q.records("usage_weekday")
    return Section(
        "peak_times", "Hour of day, weekday and peak times",
        "When sessions start, in the report's time zone.",
        charts=(
            chart("sessions_by_hour", "Sessions by hour of day", "bar", series("sessions", hours, "hour", "sessions"),
                  x_title="hour", y_title="sessions"),
            chart("sessions_by_weekday", "Sessions by weekday", "bar", series("sessions", weekdays, "weekday", "sessions"),
                  y_title="sessions"),
        ),
        tables=(
            table("peak_times", "Busiest hours", q.records("usage_peaks"), [
                C("weekday", "Weekday"), C("hour", "Hour", "int"), C("sessions", "Sessions", "int"),
                C("share_of_sessions", "Share of sessions", "percent"),
            ]),
            table("triggers", "Sessions by trigger, sync type and direction", q.records("usage_triggers"), [
                C("triggered_by", "Triggered by"), C("sync_type", "Sync type"), C("direction", "Direction"),
                C("sessions", "Sessions", "int"), C("records_processed", "Records", "int"),
            ]),
        ),
    )


SECTIONS = {"by_integration": by_integration, "by_entity_type": by_entity_type, "peak_times": peak_times}
