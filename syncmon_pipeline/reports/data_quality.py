"""Data quality report: errors by category and severity, validation issues, conflicts, a quality score."""

from __future__ import annotations

from .model import Column as C
from .model import Figure, Section
from .queries import Queries, chart, series, split_series, table

TITLE = "Data quality report"


def summary(q: Queries) -> tuple[Figure, ...]:
    s = q.one("quality_summary")
    processed = s.get("records_processed") or 0
    return (
        Figure("errors", "Errors", s.get("errors", 0)),
        Figure("validation_errors", "Validation issues", s.get("validation_errors", 0)),
        Figure("warnings", "Warnings", s.get("warnings", 0)),
        Figure("conflicts", "Conflicts", s.get("conflicts", 0)),
        Figure("conflicts_unresolved", "Unresolved conflicts", s.get("conflicts_unresolved", 0)),
        Figure("records_failed", "Records failed", s.get("records_failed", 0)),
        Figure("records_failed_rate", "Failed-record rate",
               (s.get("records_failed") or 0) / processed if processed else None, "percent"),
    )


def errors(q: Queries) -> Section:
    by_category = q.records("quality_errors_by_category")
    totals: dict[str, int] = {}
    for r in by_category:
        totals[r["category"]] = totals.get(r["category"], 0) + r["errors"]
    pie = [{"category": k, "errors": v} for k, v in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]
    return Section(
        "errors", "Errors by category and severity",
        "Every error the synchronisers reported in the period, by category and severity.",
        charts=(
            chart("errors_by_category", "Errors by category", "pie", series("errors", pie, "category", "errors")),
            chart("errors_trend", "Errors over time by category", "bar",
                  *split_series(q.records("quality_errors_trend"), "bucket", "category", "errors"),
                  y_title="errors", stacked=True),
        ),
        tables=(
            table("errors_by_category", "Errors by category and severity", by_category, [
                C("category", "Category"), C("severity", "Severity"), C("errors", "Errors", "int"),
                C("sessions_affected", "Sessions", "int"), C("integrations", "Integrations", "int"),
                C("retryable_share", "Retryable", "percent"), C("top_code", "Most frequent code"),
            ]),
            table("top_errors", "Most frequent error codes", q.records("quality_top_errors"), [
                C("error_code", "Code"), C("category", "Category"), C("severity", "Severity"),
                C("errors", "Errors", "int"), C("integrations", "Integrations", "int"),
                C("last_seen_at", "Last seen", "datetime"), C("latest_message", "Latest message (redacted at ingest)"),
            ], note="The 25 most frequent."),
        ),
    )


def validation(q: Queries) -> Section:
    return Section(
        "validation", "Validation issues",
        "Records the target system rejected, by error code and entity type, with the latest message (redacted at ingest).",
        tables=(table("validation_issues", "Validation issues", q.records("quality_validation"), [
            C("error_code", "Code"), C("entity_type", "Entity type"), C("errors", "Errors", "int"),
            C("integrations", "Integrations", "int"), C("latest_message", "Latest message"),
        ]),),
    )


def conflicts(q: Queries) -> Section:
    by_strategy = q.records("quality_conflicts")
    return Section(
        "conflicts", "Conflicts and their resolution",
        "Records changed on both sides, by the strategy that resolved them; manual conflicts wait for a person.",
        charts=(chart("conflicts_by_strategy", "Conflicts by resolution strategy", "pie",
                      series("conflicts", by_strategy, "strategy", "conflicts")),),
        tables=(
            table("conflicts_by_strategy", "Conflicts by strategy", by_strategy, [
                C("strategy", "Strategy"), C("conflicts", "Conflicts", "int"), C("resolved", "Resolved", "int"),
                C("unresolved", "Unresolved", "int"), C("resolution_rate", "Resolved share", "percent"),
            ]),
            table("conflict_fields", "Fields most often in conflict", q.records("quality_conflict_fields"), [
                C("entity_type", "Entity type"), C("field_name", "Field"), C("conflicts", "Conflicts", "int"),
                C("unresolved", "Unresolved", "int"), C("integrations", "Integrations", "int"),
            ]),
        ),
    )


def quality_score(q: Queries) -> Section:
    scores = q.records("quality_by_integration")
    return Section(
        "quality_score", "Quality score per integration",
        "100 minus up to 50 points for failed records (all 50 at a 5 % failure rate), up to 30 for errors (all 30"
        " at 20 errors per 1,000 records) and up to 20 for unresolved conflicts (all 20 when half are unresolved).",
        charts=(chart("quality_score_worst", "Quality score, lowest 15", "bar",
                      series("quality score", scores[:15], "integration_id", "quality_score"), y_title="score"),),
        tables=(table("quality_by_integration", "Quality by integration", scores, [
            C("integration_id", "Integration"), C("provider", "Provider"), C("quality_score", "Score", "number"),
            C("records_processed", "Records", "int"), C("failed_rate", "Failed", "percent"),
            C("errors", "Errors", "int"), C("errors_per_1k", "Errors / 1k records", "number"),
            C("conflicts", "Conflicts", "int"), C("unresolved", "Unresolved", "int"), C("warnings", "Warnings", "int"),
        ]),),
    )


SECTIONS = {"errors": errors, "validation": validation, "conflicts": conflicts, "quality_score": quality_score}
