"""Recommendations derived from the report data by explicit rules; each cites the figures behind it.

A rule belongs to the section whose figures it reads, so a custom report only gets the rules of the
sections it includes. Thresholds are constants here, named and documented, not tuned per report.

Figures are optional in the event contract, so any figure a sentence quotes may be missing: it reads
"n/a" (`_n`). A row that still cannot be turned into a recommendation is skipped for its integration,
and a rule that cannot run at all is skipped; either way the report says so in a `skipped`
recommendation instead of failing for every integration.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from syncmon_pipeline.redaction import error_line

from .model import Recommendation
from .queries import Queries

MIN_SESSIONS = 5  # fewer sessions than this say too little about a rate
SUCCESS_TARGET = 0.95
SLOWDOWN = 0.25  # p95 duration up by a quarter between the halves of the period
API_ERROR_LIMIT = 0.05
CPU_LIMIT = 90.0
QUALITY_FLOOR = 70.0
PEAK_SHARE = 0.15
ACK_MINUTES = 60.0
PER_RULE = 5  # name at most this many integrations per rule; the rest are counted
SKIPPED = "skipped"  # the rule of the recommendations that say what could not be computed


def _n(value: Any, spec: str, unit: str = "") -> str:
    """A figure as the sentence quotes it, or n/a when the synchronizers did not report it."""
    return "n/a" if value is None else f"{format(value, spec)}{unit}"


def _each(rule: str, rows: Iterable[dict[str, Any]], make: Callable[[dict[str, Any]], Recommendation]) -> list[Recommendation]:
    """One recommendation per row; a row that cannot be read is left out and named in a skipped note."""
    found, skipped = [], []
    for row in rows:
        try:
            found.append(make(row))
        except Exception as error:  # noqa: BLE001 - one integration's odd figures never hide the others'
            skipped.append((row.get("integration_id") or "?", error_line(error)))
    if skipped:
        names = ", ".join(name for name, _ in skipped[:PER_RULE])
        found.append(Recommendation(SKIPPED, "info", f"The {rule} check was skipped for {len(skipped)} integration(s)"
                                    f" whose figures could not be read ({names}).",
                                    {"rule": rule, "integrations": [name for name, _ in skipped],
                                     "error": skipped[0][1]}))
    return found


def _worst(found: list[Recommendation], rule: str, noun: str) -> Iterator[Recommendation]:
    notes = [r for r in found if r.rule == SKIPPED]
    found = [r for r in found if r.rule != SKIPPED]
    yield from found[:PER_RULE]
    if len(found) > PER_RULE:
        yield Recommendation(rule, "info", f"{len(found) - PER_RULE} more {noun} meet the same rule (see the tables).",
                             {"more": len(found) - PER_RULE})
    yield from notes


def low_success(q: Queries) -> Iterator[Recommendation]:
    rows = sorted((r for r in q.records("performance_by_integration")
                   if (r["sessions"] or 0) >= MIN_SESSIONS and r["success_rate"] is not None and r["success_rate"] < SUCCESS_TARGET),
                  key=lambda r: (r["success_rate"], r["integration_id"]))
    found = _each("low_success_rate", rows, lambda r: Recommendation(
        "low_success_rate", "critical" if r["success_rate"] < 0.8 else "warning",
        f"{r['integration_id']}: only {r['success_rate']:.1%} of {_n(r['sessions'], ',')} sessions succeeded (target"
        f" {SUCCESS_TARGET:.0%}). Look at its errors in the data quality report and its health in the dashboard.",
        {"integration_id": r["integration_id"], "success_rate": r["success_rate"], "sessions": r["sessions"]},
    ))
    yield from _worst(found, "low_success_rate", "integrations")


def slowing_down(q: Queries) -> Iterator[Recommendation]:
    rows = sorted((r for r in q.records("performance_by_integration")
                   if r["p95_change"] is not None and r["p95_change"] > SLOWDOWN and (r["p95_second_half"] or 0) >= 60),
                  key=lambda r: (-r["p95_change"], r["integration_id"]))
    found = _each("slowing_down", rows, lambda r: Recommendation(
        "slowing_down", "warning",
        f"{r['integration_id']}: p95 duration rose {r['p95_change']:.0%} within the period ({_n(r['p95_first_half'], ',.0f', ' s')}"
        f" → {_n(r['p95_second_half'], ',.0f', ' s')}). Check API latency and data volumes before it reaches a timeout.",
        {"integration_id": r["integration_id"], "p95_first_half": r["p95_first_half"],
         "p95_second_half": r["p95_second_half"], "p95_change": r["p95_change"]},
    ))
    yield from _worst(found, "slowing_down", "integrations")


def api_errors(q: Queries) -> Iterator[Recommendation]:
    rows = sorted((r for r in q.records("performance_by_integration")
                   if (r["api_calls"] or 0) >= 100 and (r["api_error_rate"] or 0) > API_ERROR_LIMIT),
                  key=lambda r: (-r["api_error_rate"], r["integration_id"]))
    found = _each("api_errors", rows, lambda r: Recommendation(
        "api_errors", "warning",
        f"{r['integration_id']}: {r['api_error_rate']:.1%} of {_n(r['api_calls'], ',')} API calls failed (limit"
        f" {API_ERROR_LIMIT:.0%}). Check rate limits and the provider's status page.",
        {"integration_id": r["integration_id"], "api_error_rate": r["api_error_rate"], "api_calls": r["api_calls"]},
    ))
    yield from _worst(found, "api_errors", "integrations")


def cpu_saturated(q: Queries) -> Iterator[Recommendation]:
    rows = sorted((r for r in q.records("performance_by_integration") if (r["cpu_p95"] or 0) > CPU_LIMIT),
                  key=lambda r: (-r["cpu_p95"], r["integration_id"]))
    found = _each("cpu_saturated", rows, lambda r: Recommendation(
        "cpu_saturated", "warning",
        f"{r['integration_id']}: p95 CPU {r['cpu_p95']:.0f} % (limit {CPU_LIMIT:.0f} %), max memory"
        f" {_n(r['memory_max'], ',.0f', ' MB')}. Give its worker more capacity or split its sync.",
        {"integration_id": r["integration_id"], "cpu_p95": r["cpu_p95"], "memory_max": r["memory_max"]},
    ))
    yield from _worst(found, "cpu_saturated", "integrations")


def low_quality(q: Queries) -> Iterator[Recommendation]:
    rows = [r for r in q.records("quality_by_integration") if r["quality_score"] is not None and r["quality_score"] < QUALITY_FLOOR]
    found = _each("low_quality_score", rows, lambda r: Recommendation(
        "low_quality_score", "critical" if r["quality_score"] < 40 else "warning",
        f"{r['integration_id']}: quality score {r['quality_score']:.0f} of 100 ({(r['failed_rate'] or 0):.1%} records failed,"
        f" {(r['errors_per_1k'] or 0):.1f} errors per 1,000 records, {_n(r['unresolved'], ',')} unresolved conflicts)."
        " Fix the most frequent validation errors first.",
        {"integration_id": r["integration_id"], "quality_score": r["quality_score"], "failed_rate": r["failed_rate"],
         "errors_per_1k": r["errors_per_1k"], "unresolved": r["unresolved"]},
    ))
    yield from _worst(found, "low_quality_score", "integrations")


def manual_conflicts(q: Queries) -> Iterator[Recommendation]:
    for r in q.records("quality_conflicts"):
        if r["strategy"] == "manual" and r["unresolved"] > 0:
            yield Recommendation(
                "manual_conflicts_waiting", "warning",
                f"{r['unresolved']:,} of {r['conflicts']:,} manual conflicts are unresolved. Assign an owner to review them.",
                {"unresolved": r["unresolved"], "conflicts": r["conflicts"]},
            )


def credentials(q: Queries) -> Iterator[Recommendation]:
    auth = sum(r["errors"] for r in q.records("quality_errors_by_category") if r["category"] == "authentication")
    if auth:
        yield Recommendation(
            "authentication_errors", "warning",
            f"{auth:,} authentication errors in the period. Renew or rotate the affected credentials before they expire.",
            {"authentication_errors": auth},
        )


def peak_concentration(q: Queries) -> Iterator[Recommendation]:
    peaks = q.records("usage_peaks")
    if peaks and peaks[0]["share_of_sessions"] > PEAK_SHARE and peaks[0]["sessions"] >= 20:
        top = peaks[0]
        yield Recommendation(
            "peak_concentration", "info",
            f"{top['share_of_sessions']:.0%} of sessions ({top['sessions']:,}) start on {top['weekday']} at"
            f" {top['hour']:02d}:00. Staggering schedules would spread the load on the providers' APIs.",
            {"weekday": top["weekday"], "hour": top["hour"], "sessions": top["sessions"],
             "share_of_sessions": top["share_of_sessions"]},
        )


def open_alerts(q: Queries) -> Iterator[Recommendation]:
    audit = q.one("compliance_alert_summary")
    if audit.get("open_unacknowledged"):
        yield Recommendation(
            "unacknowledged_alerts", "warning",
            f"{audit['open_unacknowledged']:,} alerts are firing without an acknowledgement. Acknowledge or resolve"
            " them so the audit trail shows who handled them.",
            {"open_unacknowledged": audit["open_unacknowledged"]},
        )
    if (audit.get("median_minutes_to_ack") or 0) > ACK_MINUTES:
        yield Recommendation(
            "slow_acknowledgement", "info",
            f"Alerts took a median {audit['median_minutes_to_ack']:.0f} minutes to acknowledge (goal {ACK_MINUTES:.0f}).",
            {"median_minutes_to_ack": audit["median_minutes_to_ack"]},
        )


# section key -> the rules that read its figures
RULES: dict[str, tuple[Callable[[Queries], Iterator[Recommendation]], ...]] = {
    "performance.durations": (low_success, slowing_down),
    "performance.api": (api_errors,),
    "performance.resources": (cpu_saturated,),
    "data_quality.quality_score": (low_quality,),
    "data_quality.conflicts": (manual_conflicts,),
    "data_quality.errors": (credentials,),
    "usage.peak_times": (peak_concentration,),
    "compliance.audit_trail": (open_alerts,),
}


def recommend(q: Queries, section_keys: list[str], sessions: int) -> tuple[Recommendation, ...]:
    if sessions == 0:
        return (Recommendation(
            "no_sessions", "warning",
            "No sessions started in this period for the chosen integrations. Check that the synchronisers are"
            " running and writing to the landing folder.", {"sessions": 0}),)
    found = [rec for key in section_keys for rule in RULES.get(key, ()) for rec in _guarded(rule, q)]
    order = {"critical": 0, "warning": 1, "info": 2}
    return tuple(sorted(found, key=lambda r: order[r.severity]))  # stable: rule order within a severity


def _guarded(rule: Callable[[Queries], Iterator[Recommendation]], q: Queries) -> list[Recommendation]:
    """A rule's recommendations; a rule that fails as a whole gives a skipped note, the others still run."""
    try:
        return list(rule(q))
    except Exception as error:  # noqa: BLE001
        name = rule.__name__
        return [Recommendation(SKIPPED, "info", f"The {name} check could not be computed for this report ({error_line(error)}).",
                               {"rule": name, "error": error_line(error)})]
