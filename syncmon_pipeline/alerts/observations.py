"""Rule observations: which rule conditions hold for which integration at each evaluation time.

`observe` evaluates every enabled rule at every tick, set-based: one query per rule (a `.sql` file in
`rules/`) over a temp table of ticks and a temp table of each integration's effective thresholds, so
the live evaluation (one tick) and a month-long backtest (thousands of ticks) run the same SQL, and
per-provider and per-integration overrides are plain joins. Rules read the dbt marts and the anomaly
scores; at a tick they use only facts whose event time is at or before it (no peeking ahead).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb

from syncmon_pipeline.sql_files import query_sql_file, run_sql_file
from syncmon_pipeline.timestamps import to_utc_naive

from .catalog import RULE_CATALOG
from .model import Observation
from .settings import AlertingSettings

RULES_PACKAGE = "syncmon_pipeline.alerts.rules"
MAX_SESSION_IDS = 20  # evidence cites the most recent sessions; an alert is not an export
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
    """
    names = [name for name in RULE_CATALOG if rules is None or name in rules]
    unknown = set(rules or ()) - set(RULE_CATALOG)
    if unknown:
        raise ValueError(f"unknown rule(s) {', '.join(sorted(unknown))}; rules are {', '.join(RULE_CATALOG)}")
    instants = sorted({to_utc_naive(t) for t in ticks})
    if not instants or not names or not _has_marts(con):
        return []
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
        enabled = {r[0] for r in params}
        observations: list[Observation] = []
        for name in names:
            if name in enabled:
                rows = query_sql_file(con, RULES_PACKAGE, f"{name}.sql")
                observations.extend(_with_streaks(name, rows, instants))
    finally:
        run_sql_file(con, RULES_PACKAGE, "teardown.sql")
    observations.sort(key=lambda o: (o.observed_at, o.rule, o.integration_id))
    return observations


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


def _with_streaks(rule: str, rows: Sequence[tuple[Any, ...]], ticks: Sequence[datetime]) -> list[Observation]:
    """Observations from a rule's rows; started_at is the first evidence of the current streak.

    A streak is a run of consecutive ticks at which the condition held for the integration, so an
    alert that keeps holding keeps the start it had when it first showed, while the window slides.
    """
    position = {tick: i for i, tick in enumerate(ticks)}
    observations = []
    streaks: dict[str, tuple[int, datetime]] = {}  # integration -> (tick position, streak start)
    for integration_id, provider, tick, started_at, value, threshold, summary, evidence in sorted(
        rows, key=lambda r: (r[2], r[0])
    ):
        at = position[tick]
        first = started_at or tick
        previous = streaks.get(integration_id)
        if previous is not None and previous[0] == at - 1:
            first = min(first, previous[1])
        streaks[integration_id] = (at, first)
        observations.append(
            Observation(
                rule=rule,
                alert_type=rule,
                integration_id=integration_id,
                provider=provider,
                observed_at=tick.replace(tzinfo=UTC),
                started_at=first.replace(tzinfo=UTC),
                value=None if value is None else float(value),
                threshold=None if threshold is None else float(threshold),
                summary=summary,
                evidence=_evidence(evidence),
            )
        )
    return observations


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
