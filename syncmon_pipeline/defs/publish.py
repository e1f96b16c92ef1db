"""The analyst snapshot: a published copy of the marts that analysts can hold open."""

from datetime import UTC, datetime

import dagster as dg

from syncmon_pipeline.defs.resources import WAREHOUSE_POOL, WarehouseResource, data_paths
from syncmon_pipeline.publish.snapshot import publish_snapshot


def analyst_snapshot_asset(mart_keys: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key="analyst_snapshot",
        deps=mart_keys,
        group_name="publish",
        pool=WAREHOUSE_POOL,
        description=(
            "$SYNCMON_HOME/warehouse/analytics.duckdb (DuckDB 1.4 storage format) and Parquet exports of the"
            " marts in $SYNCMON_HOME/warehouse/exports/; swapped atomically, so an analyst's open connection"
            " never blocks a run."
        ),
    )
    def analyst_snapshot(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        paths = data_paths()
        with warehouse.get_connection() as con:
            report = publish_snapshot(
                con,
                target=paths.analytics_snapshot,
                exports_dir=paths.exports,
                published_at=datetime.now(UTC),
            )
        context.log.info(f"published {len(report.tables)} tables, {report.total_rows:,} rows to {report.path}")
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(report.path)),
                "exports": dg.MetadataValue.path(str(report.exports)),
                "tables": len(report.tables),
                "rows": report.total_rows,
                "row_counts": dg.MetadataValue.json(report.tables),
            }
        )

    return analyst_snapshot
