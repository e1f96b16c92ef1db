"""Rule observations: which rule conditions hold for which integration at each evaluation time.

`observe` evaluates every enabled rule at every tick, set-based: one query per rule (a `.sql` file in
`rules/`) over a temp table of ticks and a temp table of each integration's effective thresholds, so
the live evaluation (one tick) and a month-long backtest (thousands of ticks) run the same SQL, and
per-provider and per-integration overrides are plain joins. Rules read the dbt marts and the anomaly
scores; at a tick they use only facts whose event time is at or before it (no peeking ahead). The
rules that session anomalies belong to (performance, data quality, resources) also hold where an
anomalous session does (`rules/anomaly_trigger.sql`, the same file for all three).

Isolation: one integration's strange evidence never stops the others. A rule whose query fails is
run again for each integration alone; the integrations it still fails for are skipped and reported
as `RuleFailure`s (the caller records them and raises a pipeline alert), the rest are observed as
usual. A row that cannot become an observation is skipped the same way, and a summary the SQL left
empty (a figure was missing) is replaced by a plain sentence from the value and the threshold.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from syncmon_pipeline.redaction import error_line
from syncmon_pipeline.sql_files import query_sql_file, run_sql_file
from syncmon_pipeline.timestamps import to_utc_naive

from .catalog import RULE_CATALOG
from .model import Observation
from .settings import AlertingSettings

RULES_PACKAGE = "syncmon_pipeline.alerts.rules"
MAX_SESSION_IDS = 20  # evidence cites the most recent sessions; an alert is not an export
MAX_ERROR_CHARS = 300  # a failure's reason is one readable line, not a stack trace
ANOMALY_TRIGGER_THRESHOLD = "anomaly_trigger_score"  # a rule with this threshold is triggered by session anomalies


@dataclass(frozen=True)
class RuleFailure:
    """A rule that could not be evaluated for one integration (it was skipped for that integration)."""

    rule: str
    integration_id: str
    error: str  # the exception's kind and first line, redacted

    def describe(self) -> str:
        return f"rule {self.rule} skipped for {self.integration_id}: {self.error}"


@dataclass(frozen=True)
class ObservationResult:
    observations: list[Observation]
    failures: list[RuleFailure]
_REQUIRED_TABLES = (
    "fct_sync_sessions", "fct_sync_errors", "fct_health_checks", "fct_session_metrics",
)  # fmt: skip


def observe(
    con: duckdb.DuckDBPyConnection,
    ticks: Sequence[datetime],
    settings: AlertingSettings,
    *,
    rules: Collection[str] | None = None,
) -> list[Observation]:
    """Every (rule, integration, tick) whose condition holds, sorted by tick, rule and integration.

    `rules` restricts the evaluation to some rules. Rules (or integrations of a rule) that the
    settings disable are not evaluated: the engine would ignore their observations anyway.
    Rules that fail for an integration are skipped for it (see `observe_isolated` for the failures).
    """
    return observe_isolated(con, ticks, settings, rules=rules).observations


def observe_isolated(
    con: duckdb.DuckDBPyConnection,
    ticks: Sequence[datetime],
    settings: AlertingSettings,
    *,
    rules: Collection[str] | None = None,
) -> ObservationResult:
    """`observe`, with the (rule, integration) pairs that could not be evaluated and why."""
    names = [name for name in RULE_CATALOG if rules is None or name in rules]
    unknown = set(rules or ()) - set(RULE_CATALOG)
    if unknown:
        raise ValueError(f"unknown rule(s) {', '.join(sorted(unknown))}; rules are {', '.join(RULE_CATALOG)}")
    instants = sorted({to_utc_naive(t) for t in ticks})
    if not instants or not names or not _has_marts(con):
        return ObservationResult([], [])
    integrations = query_sql_file(con, RULES_PACKAGE, "integrations.sql")
    params = _threshold_rows(settings, names, integrations)
    run_sql_file(con, RULES_PACKAGE, "setup.sql", {
        "ticks": instants,
        "rules": [r[0] for r in params], "integrations": [r[1] for r in params], "providers": [r[2] for r in params],
        "names": [r[3] for r in params], "values": [r[4] for r in params],
    })  # fmt: skip
    try:
        if _table_exists(con, "anomaly", "anomaly_scores"):
            run_sql_file(con, RULES_PACKAGE, "anomalies.sql")
        if _table_exists(con, "anomaly", "session_anomaly_scores"):
            run_sql_file(con, RULES_PACKAGE, "session_anomalies.sql")
        enabled = {r[0] for r in params}
        observations: list[Observation] = []
        failures: list[RuleFailure] = []
        for name in names:
            if name in enabled:
                rows, failed = _rule_rows_isolated(con, name, sorted({r[1] for r in params if r[0] == name}))
                found, unusable = _with_streaks(name, rows, instants)
                observations.extend(found)
                failures.extend([*failed, *unusable])
    finally:
        run_sql_file(con, RULES_PACKAGE, "teardown.sql")
    observations.sort(key=lambda o: (o.observed_at, o.rule, o.integration_id))
    failures.sort(key=lambda f: (f.rule, f.integration_id))
    return ObservationResult(observations, failures)


def rule_rows(con: duckdb.DuckDBPyConnection, rule: str) -> list[tuple[Any, ...]]:
    """A rule's rows over the temp tables in place: its SQL file's, and for the rules that session
    anomalies trigger, those of `anomaly_trigger.sql` (see `with_anomaly_rows`)."""
    rows = query_sql_file(con, RULES_PACKAGE, f"{rule}.sql")
    if ANOMALY_TRIGGER_THRESHOLD in RULE_CATALOG[rule].thresholds:
        rows = with_anomaly_rows(rows, query_sql_file(con, RULES_PACKAGE, "anomaly_trigger.sql", {"rule": rule}))
    return rows


def with_anomaly_rows(rows: Sequence[tuple[Any, ...]], anomaly_rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """A rule's own rows joined with the rows its session anomalies trigger, one per (integration, tick).

    Where both hold, the rule's own row stays (its value and threshold are what the rule is about), the
    anomalies and their sessions join its evidence and its start is the earlier of the two; an anomaly
    alone is a row of its own.
    """
    triggered = {(row[0], row[2]): row for row in anomaly_rows}
    merged: list[tuple[Any, ...]] = []
    for row in rows:
        anomaly = triggered.pop((row[0], row[2]), None)
        if anomaly is None:
            merged.append(row)
            continue
        evidence = json.loads(row[7]) if row[7] else {}
        anomaly_evidence = json.loads(anomaly[7])
        evidence["session_anomalies"] = anomaly_evidence["session_anomalies"]
        evidence["session_ids"] = [*(evidence.get("session_ids") or []), *anomaly_evidence["session_ids"]]
        starts = [s for s in (row[3], anomaly[3]) if s is not None]
        merged.append((*row[:3], min(starts) if starts else None, *row[4:7], json.dumps(evidence, default=str)))
    return merged + list(triggered.values())


def _rule_rows_isolated(
    con: duckdb.DuckDBPyConnection, rule: str, integrations: Sequence[str]
) -> tuple[list[tuple[Any, ...]], list[RuleFailure]]:
    """The rule's rows for every integration; when the set-based query fails, one query per integration."""
    try:
        return rule_rows(con, rule), []
    except Exception as error:  # noqa: BLE001 - any failure of one rule must not stop the others
        whole_error = error
    rows: list[tuple[Any, ...]] = []
    failures: list[RuleFailure] = []
    con.execute("CREATE OR REPLACE TEMP TABLE _alert_params_all AS SELECT * FROM _alert_params")
    try:
        for integration_id in integrations:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _alert_params AS SELECT * FROM _alert_params_all"
                " WHERE rule = $rule AND integration_id = $integration",
                {"rule": rule, "integration": integration_id},
            )
            try:
                rows.extend(rule_rows(con, rule))
            except Exception as error:  # noqa: BLE001
                failures.append(RuleFailure(rule, integration_id, error_line(error, MAX_ERROR_CHARS)))
    finally:
        con.execute("CREATE OR REPLACE TEMP TABLE _alert_params AS SELECT * FROM _alert_params_all")
        con.execute("DROP TABLE IF EXISTS _alert_params_all")
    if not failures and not rows and integrations:
        # It failed as a whole but for no single integration: say so rather than lose the error.
        failures = [RuleFailure(rule, "*", error_line(whole_error, MAX_ERROR_CHARS))]
    return rows, failures


def _threshold_rows(
    settings: AlertingSettings,
    names: Sequence[str],
    integrations: Sequence[tuple[Any, ...]],
) -> list[tuple[str, str, str, str, float]]:
    """(rule, integration, provider, threshold, value) for each rule as it applies to each integration."""
    rows = []
    for name in names:
        for integration_id, provider in integrations:
            effective = settings.rule(name, provider=provider or "", integration_id=integration_id)
            if effective.enabled:
                rows += [(name, integration_id, provider or "", key, float(value))
                         for key, value in effective.thresholds.items()]
    return rows


def _with_streaks(
    rule: str, rows: Sequence[tuple[Any, ...]], ticks: Sequence[datetime]
) -> tuple[list[Observation], list[RuleFailure]]:
    """Observations from a rule's rows; started_at is the first evidence of the current streak.

    A streak is a run of consecutive ticks at which the condition held for the integration, so an
    alert that keeps holding keeps the start it had when it first showed, while the window slides.
    A row that cannot be read is skipped, with its integration reported as a failure.
    """
    position = {tick: i for i, tick in enumerate(ticks)}
    observations = []
    failures: dict[str, RuleFailure] = {}
    streaks: dict[str, tuple[int, datetime]] = {}  # integration -> (tick position, streak start)
    for row in sorted(rows, key=lambda r: (r[2], str(r[0]))):
        integration_id = str(row[0])
        try:
            observation = _observation(rule, row, position, streaks)
        except Exception as error:  # noqa: BLE001 - one unreadable row must not hide the others
            failures.setdefault(integration_id, RuleFailure(rule, integration_id, error_line(error, MAX_ERROR_CHARS)))
            continue
        observations.append(observation)
    return observations, list(failures.values())


def _observation(
    rule: str, row: tuple[Any, ...], position: dict[datetime, int], streaks: dict[str, tuple[int, datetime]]
) -> Observation:
    integration_id, provider, tick, started_at, value, threshold, summary, evidence = row
    at = position[tick]
    first = started_at or tick
    previous = streaks.get(integration_id)
    if previous is not None and previous[0] == at - 1:
        first = min(first, previous[1])
    streaks[integration_id] = (at, first)
    value = None if value is None else float(value)
    threshold = None if threshold is None else float(threshold)
    return Observation(
        rule=rule,
        alert_type=rule,
        integration_id=integration_id,
        provider=provider or "",
        observed_at=tick.replace(tzinfo=UTC),
        started_at=first.replace(tzinfo=UTC),
        value=value,
        threshold=threshold,
        summary=summary if summary and str(summary).strip() else fallback_summary(rule, value, threshold),
        evidence=_evidence(evidence),
    )


def fallback_summary(rule: str, value: float | None, threshold: float | None) -> str:
    """A readable summary when the rule's own sentence could not be formed (a figure it quotes is missing)."""
    description = RULE_CATALOG[rule].description if rule in RULE_CATALOG else rule.replace("_", " ")
    figures = f" (value {_figure(value)}, threshold {_figure(threshold)})"
    return f"{description.rstrip('.')}{figures}"


def _figure(number: float | None) -> str:
    return "n/a" if number is None else f"{number:g}"


def _evidence(text: str | None) -> dict[str, Any]:
    """The rule's JSON evidence, with session ids de-duplicated (most recent first) and capped."""
    evidence = json.loads(text) if text else {}
    seen: dict[str, None] = dict.fromkeys(s for s in evidence.get("session_ids") or [] if s)
    evidence["session_ids"] = list(seen)[:MAX_SESSION_IDS]
    evidence["session_count"] = len(seen)
    return evidence


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(query_sql_file(con, RULES_PACKAGE, "table_exists.sql", {"schema": schema, "table": table})[0][0])


def _has_marts(con: duckdb.DuckDBPyConnection) -> bool:
    return all(_table_exists(con, "marts", table) for table in _REQUIRED_TABLES)
