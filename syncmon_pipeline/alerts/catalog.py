"""The ten built-in rules: what each watches, its default severity, pending time and thresholds.

The config file may override any of these per rule, per provider and per integration
(`alerting.rules.<name>` in syncmon.yaml); names of thresholds are checked against this catalog.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from syncmon_pipeline.contract import ALERT_TYPES


@dataclass(frozen=True)
class RuleSpec:
    name: str
    severity: str
    for_minutes: float
    thresholds: Mapping[str, float]
    description: str
    threshold_help: Mapping[str, str] = field(default_factory=dict)


def _spec(name: str, severity: str, for_minutes: float, description: str, **thresholds: tuple[float, str]) -> RuleSpec:
    return RuleSpec(
        name=name,
        severity=severity,
        for_minutes=for_minutes,
        thresholds=MappingProxyType({k: v for k, (v, _) in thresholds.items()}),
        description=description,
        threshold_help=MappingProxyType({k: h for k, (_, h) in thresholds.items()}),
    )


RULE_CATALOG: Mapping[str, RuleSpec] = MappingProxyType({
    spec.name: spec
    for spec in (
        _spec("sync_failure", "error", 0, "Sessions keep failing.",
              consecutive_failures=(2, "the last N finished sessions all failed"),
              lookback_minutes=(180, "only sessions that ended this recently count")),
        _spec("performance_degradation", "warning", 0, "Sessions or API calls are much slower than usual.",
              anomaly_score=(0.9, "anomaly score of duration/latency at or above this"),
              window_minutes=(120, "anomaly rows this recent count")),
        _spec("high_error_rate", "error", 0, "Many sessions end with errors.",
              error_session_share=(0.5, "share of finished sessions that failed or partially completed"),
              min_sessions=(3, "at least this many finished sessions in the window"),
              window_minutes=(60, "sessions that ended this recently count")),
        _spec("integration_down", "critical", 0, "The external system is unreachable.",
              consecutive_unreachable=(2, "the last N health checks found it unreachable"),
              lookback_minutes=(60, "only health checks this recent count")),
        _spec("data_quality_issue", "warning", 0, "Records fail validation.",
              failed_record_share=(0.05, "records_failed / records_processed over the window"),
              min_records=(50, "at least this many records processed in the window"),
              window_minutes=(120, "sessions that ended this recently count")),
        _spec("conflict_spike", "warning", 0, "Far more conflicts than usual.",
              conflicts_per_session=(5, "mean conflicts per finished session in the window"),
              min_sessions=(2, "at least this many finished sessions in the window"),
              window_minutes=(120, "sessions that ended this recently count")),
        _spec("resource_exhaustion", "error", 0, "The synchronizer runs out of CPU or memory.",
              cpu_pct=(95, "mean CPU % of sessions in the window at or above this"),
              min_sessions=(2, "at least this many sessions with metrics in the window"),
              window_minutes=(120, "sessions that ended this recently count")),
        _spec("authentication_failure", "critical", 0, "Credentials are expired or rejected.",
              failures=(2, "health checks with expired/invalid auth plus authentication errors"),
              window_minutes=(60, "evidence this recent counts")),
        _spec("rate_limit_exceeded", "warning", 0, "The external API throttles the synchronizer.",
              rate_limit_errors=(5, "rate_limit errors in the window"),
              window_minutes=(60, "errors this recent count")),
        _spec("timeout_threshold", "error", 0, "Sessions time out.",
              timed_out_sessions=(2, "sessions that ended timed_out in the window"),
              window_minutes=(180, "sessions that ended this recently count")),
    )
})

assert tuple(RULE_CATALOG) == ALERT_TYPES, "the catalog covers exactly the contract's alert types, in order"
