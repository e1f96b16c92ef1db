"""The dbt models (staging → marts) as Dagster assets, with dbt tests as asset checks."""


import shutil
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from syncmon_pipeline.dbt_project import dbt_project
from syncmon_pipeline.defs.resources import WAREHOUSE_POOL, data_paths


class SyncmonDbtTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return "ingest"
        return dbt_resource_props["fqn"][1] if len(dbt_resource_props["fqn"]) > 2 else "dbt"


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=SyncmonDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
    pool=WAREHOUSE_POOL,
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    data_paths()  # exports the absolute SYNCMON_HOME that profiles.yml reads
    invocation = dbt.cli(["build"], context=context)
    yield from invocation.stream()
    # Each invocation gets its own target folder; keep only the results Dagster already recorded.
    shutil.rmtree(invocation.target_path, ignore_errors=True)
