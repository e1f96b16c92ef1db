"""Compliance report: what was synced and when, the alert audit trail, retention and redaction."""

from __future__ import annotations

from .model import Column as C
from .model import Figure, Section
from .queries import Queries, chart, series, table

TITLE = "Compliance report"


def summary(q: Queries) -> tuple[Figure, ...]:
    usage = q.one("usage_summary")
    audit = q.one("compliance_alert_summary")
    redactions = sum(r["redactions"] for r in q.records("compliance_redactions"))
    return (
        Figure("records_changed", "Records created, updated or deleted",
               (usage.get("records_created") or 0) + (usage.get("records_updated") or 0) + (usage.get("records_deleted") or 0)),
        Figure("alerts", "Alerts firing in the period", audit.get("alerts", 0)),
        Figure("acknowledged", "Acknowledged", audit.get("acknowledged", 0)),
        Figure("median_minutes_to_ack", "Median minutes to acknowledge", audit.get("median_minutes_to_ack"), "number"),
        Figure("rows_archived", "Raw events archived (to date)", audit.get("rows_archived", 0)),
        Figure("redactions", "Redactions in the period", redactions),
    )


def synced(q: Queries) -> Section:
    trend = q.records("compliance_synced_trend")
    return Section(
        "synced", "What was synced and when",
        "Per integration: the first and last sync of the period and the records it created, updated and deleted.",
        charts=(chart("records_changed_trend", "Records changed", "bar",
                      series("created", trend, "bucket", "records_created"),
                      series("updated", trend, "bucket", "records_updated"),
                      series("deleted", trend, "bucket", "records_deleted"), y_title="records", stacked=True),),
        tables=(table("synced_by_integration", "Synced by integration", q.records("compliance_synced"), [
            C("integration_id", "Integration"), C("provider", "Provider"), C("first_sync_at", "First sync", "datetime"),
            C("last_sync_at", "Last sync", "datetime"), C("sessions_succeeded", "Succeeded", "int"),
            C("sessions_failed_or_partial", "Failed or partial", "int"), C("records_created", "Created", "int"),
            C("records_updated", "Updated", "int"), C("records_deleted", "Deleted", "int"),
            C("entity_types", "Entity types"),
        ]),),
    )


def audit_trail(q: Queries) -> Section:
    by_type = q.records("compliance_alerts_by_type")
    totals: dict[str, int] = {}
    for r in by_type:
        totals[r["alert_type"]] = totals.get(r["alert_type"], 0) + r["alerts"]
    bars = [{"alert_type": k, "alerts": v} for k, v in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]
    return Section(
        "audit_trail", "Audit trail of alerts and acknowledgements",
        "Alerts that were firing during the period, who acknowledged and resolved them and when, and the"
        " notifications sent.",
        charts=(chart("alerts_by_type", "Alerts by type", "bar", series("alerts", bars, "alert_type", "alerts"),
                      y_title="alerts"),),
        tables=(
            table("alerts", "Alerts", q.records("compliance_alerts"), [
                C("alert_id", "Alert"), C("alert_type", "Type"), C("severity", "Severity"),
                C("integration_id", "Integration"), C("status", "Status"), C("fired_at", "Fired", "datetime"),
                C("acknowledged_at", "Acknowledged", "datetime"), C("acknowledged_by", "By"),
                C("resolved_at", "Resolved", "datetime"), C("resolved_by", "Resolved by"),
                C("minutes_to_ack", "Minutes to ack", "number"), C("escalation_count", "Escalations", "int"),
                C("summary", "Summary"),
            ], note="The 500 most recent."),
            table("notifications", "Notifications by channel and status", q.records("compliance_notifications"), [
                C("channel", "Channel"), C("status", "Status"), C("notifications", "Notifications", "int"),
                C("max_attempts", "Most attempts", "int"),
            ]),
        ),
    )


def retention(q: Queries) -> Section:
    audit = q.one("compliance_alert_summary")
    return Section(
        "retention", "Retention",
        "Raw events past the retention period are archived to Parquet, checked, then deleted from the warehouse.",
        figures=(
            Figure("rows_archived", "Raw events archived", audit.get("rows_archived", 0)),
            Figure("reports_removed", "Old reports removed", audit.get("reports_removed", 0)),
            Figure("oldest_session_kept", "Oldest session kept", audit.get("oldest_session_kept"), "datetime"),
        ),
        tables=(table("archives", "Archives", q.records("compliance_archives"), [
            C("archived_at", "Archived", "datetime"), C("source_table", "Table"), C("cutoff", "Older than", "datetime"),
            C("rows", "Rows", "int"), C("first_occurred_at", "First event", "datetime"),
            C("last_occurred_at", "Last event", "datetime"), C("bytes", "Bytes", "int"), C("path", "File"),
        ]),),
    )


def redaction(q: Queries) -> Section:
    records = q.records("compliance_redactions")
    return Section(
        "redaction", "Redaction",
        "Secrets and personal data removed from free text at ingest (the markers left in their place, counted).",
        charts=(chart("redactions", "Redactions by where they were found", "pie",
                      series("redactions", records, "found_in", "redactions")),),
        tables=(table("redactions", "Redactions", records, [
            C("found_in", "Found in"), C("kind", "Kind"), C("redactions", "Redactions", "int"),
        ]),),
    )


SECTIONS = {"synced": synced, "audit_trail": audit_trail, "retention": retention, "redaction": redaction}
