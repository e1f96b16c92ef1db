"""The Dagster UI channel: firing alerts show as a failed `firing_alerts` check on the asset they concern.

Health-check alerts land on `marts/fct_health_checks`, anomaly-based ones on `anomaly/anomaly_scores`,
everything else on `marts/fct_sync_sessions`. The alert job logs a check evaluation on each of them
at every evaluation (passed = nothing firing there), and the same check can be run by hand.
"""

from collections.abc import Iterable, Mapping
from typing import Any

import dagster as dg

from syncmon_pipeline.alerts import store
from syncmon_pipeline.alerts.model import severity_rank
from syncmon_pipeline.defs.resources import WAREHOUSE_POOL, WarehouseResource

SESSIONS = dg.AssetKey(["marts", "fct_sync_sessions"])
HEALTH_CHECKS = dg.AssetKey(["marts", "fct_health_checks"])
ANOMALY_SCORES = dg.AssetKey(["anomaly", "anomaly_scores"])
CHECK_NAME = "firing_alerts"
_ASSET_OF_TYPE = {
    "integration_down": HEALTH_CHECKS,
    "authentication_failure": HEALTH_CHECKS,
    "performance_degradation": ANOMALY_SCORES,
}
ALERT_ASSETS: tuple[dg.AssetKey, ...] = (SESSIONS, HEALTH_CHECKS, ANOMALY_SCORES)
_SHOWN = 50  # rows in the metadata table; the CLI and the alerts table have the rest


def affected_asset(alert_type: str) -> dg.AssetKey:
    return _ASSET_OF_TYPE.get(alert_type, SESSIONS)


def _firing_table(alerts: list[Mapping[str, Any]]) -> dg.TableMetadataValue:
    columns = ["alert_id", "alert_type", "severity", "integration_id", "status", "fired_at", "summary"]
    return dg.MetadataValue.table(
        records=[dg.TableRecord({c: str(a.get(c) or "") for c in columns}) for a in alerts[:_SHOWN]],
        schema=dg.TableSchema(columns=[dg.TableColumn(c, "string") for c in columns]),
    )


def check_evaluation(key: dg.AssetKey, firing: Iterable[Mapping[str, Any]]) -> dg.AssetCheckEvaluation:
    """Passed when no alert concerning `key` fires; ERROR severity when an error or critical one does."""
    mine = [a for a in firing if affected_asset(str(a["alert_type"])) == key]
    worst = max((severity_rank(str(a["severity"])) for a in mine), default=-1)
    by_type: dict[str, int] = {}
    for alert in mine:
        by_type[str(alert["alert_type"])] = by_type.get(str(alert["alert_type"]), 0) + 1
    return dg.AssetCheckEvaluation(
        asset_key=key,
        check_name=CHECK_NAME,
        passed=not mine,
        severity=dg.AssetCheckSeverity.ERROR if worst >= severity_rank("error") else dg.AssetCheckSeverity.WARN,
        metadata={
            "firing": dg.MetadataValue.int(len(mine)),
            "by_type": dg.MetadataValue.json(by_type),
            "alerts": _firing_table(mine),
        },
    )


def firing_alerts(warehouse: WarehouseResource) -> list[dict[str, Any]]:
    with warehouse.get_connection() as con:
        return store.list_alerts(con, statuses=("firing", "acknowledged"), limit=10_000)


def _build_check(key: dg.AssetKey) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=key, name=CHECK_NAME, pool=WAREHOUSE_POOL,
        description="Fails while syncmon alerts concerning this asset fire (updated by every alert evaluation).",
    )  # fmt: skip
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        evaluation = check_evaluation(key, firing_alerts(warehouse))
        return dg.AssetCheckResult(
            passed=evaluation.passed, severity=evaluation.severity, metadata=evaluation.metadata
        )

    return _check


firing_alert_checks = [_build_check(key) for key in ALERT_ASSETS]
