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


def _anomaly_trigger(measures: str, material: str) -> dict[str, tuple[float, str]]:
    """The thresholds of a rule that session anomalies also trigger (rules/anomaly_trigger.sql)."""
    return {
        "anomaly_trigger_score": (0.5, f"a session anomaly of {measures} scoring at least this triggers the rule"
                                       " (0.5: the detector's alarm level; above 1: anomalies never trigger it)"),
        "anomaly_ratio": (2, f"and only when material: {material}, and as far again beyond the band"),
        "anomaly_min_history_days": (7, "and once the measure's series holds this many days of sessions"
                                        " (a week: its daily and weekly rhythm learnt)"),
    }


RULE_CATALOG: Mapping[str, RuleSpec] = MappingProxyType({
    spec.name: spec
    for spec in (
        _spec("sync_failure", "error", 0, "Sessions keep failing: most of the last finished sessions failed.",
              consecutive_failures=(3, "failures needed among the last `last_sessions` finished sessions"
                                       " (retries count; in a row when last_sessions equals this)"),
              last_sessions=(4, "how many of the latest finished sessions are looked at"),
              lookback_minutes=(180, "only sessions that ended this recently count")),
        _spec("performance_degradation", "warning", 0,
              "API calls, health checks or sessions are much slower than the integration's own baseline.",
              latency_ratio=(2.5, "mean latency in the window at or above this multiple of the baseline"),
              min_samples=(3, "at least this many latency samples (sessions or health checks) in the window"),
              anomaly_score=(0.9, "latency/duration anomalies scoring at least this are cited as evidence"),
              **_anomaly_trigger("API latency, duration or throughput",
                                 "latency or duration this multiple of expected, or throughput its inverse"),
              window_minutes=(60, "samples and anomaly hours this recent count")),
        _spec("high_error_rate", "error", 0, "Many sessions end with system, network or conflict errors.",
              error_session_share=(0.5, "share of the last finished sessions that reported such errors"),
              errors_per_session=(3, "and at least this many such errors per session"),
              last_sessions=(3, "how many of the latest finished sessions are looked at"),
              min_sessions=(2, "at least this many finished sessions to judge from"),
              window_minutes=(240, "only sessions that ended this recently count")),
        _spec("integration_down", "critical", 0, "The external system is unreachable.",
              consecutive_unreachable=(3, "the last N health checks found it unreachable"),
              consecutive_network_failures=(3, "or the last N finished sessions failed on network errors"),
              lookback_minutes=(60, "only health checks and sessions this recent count")),
        _spec("data_quality_issue", "warning", 0, "Records fail validation, or far fewer arrive than usual.",
              failed_record_share=(0.1, "records_failed / records_processed over the window"),
              min_records=(50, "with at least this many records processed in the window"),
              min_sessions=(2, "and at least this many sessions with failed records or validation errors"),
              validation_errors=(10, "or this many validation errors in sessions that did not fail"),
              **_anomaly_trigger("records processed or failed",
                                 "failed records this multiple of expected, or records processed its inverse"),
              window_minutes=(120, "sessions that ended this recently count")),
        _spec("conflict_spike", "warning", 0, "Far more conflicts than usual.",
              conflicts_per_session=(5, "a finished session with at least this many conflicts counts"),
              min_sessions=(2, "at least this many such sessions in the window"),
              window_minutes=(120, "sessions that ended this recently count")),
        _spec("resource_exhaustion", "error", 0, "The synchronizer runs out of CPU or uses far more than usual.",
              cpu_pct=(95, "a session whose metrics show CPU % at or above this counts"),
              min_sessions=(2, "at least this many such sessions in the window"),
              **_anomaly_trigger("CPU or memory", "CPU or memory this multiple of expected"),
              window_minutes=(180, "sessions that reported metrics this recently count")),
        _spec("authentication_failure", "critical", 0, "Credentials are expired or rejected.",
              failures=(2, "health checks with expired/invalid auth plus authentication errors"),
              window_minutes=(60, "evidence this recent counts")),
        _spec("rate_limit_exceeded", "warning", 0, "The external API throttles the synchronizer.",
              rate_limit_errors=(5, "rate_limit errors in the window"),
              low_quota_checks=(2, "or this many health checks with the quota (nearly) used up"),
              low_quota_remaining=(10, "a health check with at most this many calls left counts"),
              window_minutes=(60, "errors and health checks this recent count")),
        _spec("timeout_threshold", "error", 0, "Sessions time out.",
              timed_out_sessions=(2, "timed-out runs among the last finished ones, plus stalled runs, at least"),
              last_sessions=(3, "how many of the latest finished sessions are looked at"),
              stalled_minutes=(20, "a run still going after this long may count as stalled"),
              stall_factor=(3, "if also past this many times the 7-day p95 duration of its sync type"),
              window_minutes=(360, "only sessions that ended (or started) this recently count")),
    )
})

assert tuple(RULE_CATALOG) == ALERT_TYPES, "the catalog covers exactly the contract's alert types, in order"
