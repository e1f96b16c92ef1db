"""The dbt models (staging → intermediate → marts) as Dagster assets, dbt tests as asset checks."""

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliInvocation,
    DbtCliResource,
    build_dbt_asset_selection,
    dbt_assets,
)

from syncmon_pipeline.dbt_project import dbt_project
from syncmon_pipeline.defs.give_way import give_way_to_paging
from syncmon_pipeline.defs.resources import WAREHOUSE_POOL, data_paths

# What alerts need fresh right after every ingest: the incremental models (tagged `after_ingest`:
# per-event facts, session state and its inputs) and the staging views under them.
SESSION_FACTS_SELECT = "+tag:after_ingest"

class SyncmonDbtTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return "ingest"
        fqn = dbt_resource_props["fqn"]
        return fqn[1] if len(fqn) > 2 else "dbt"


def discard_target(invocation: DbtCliInvocation) -> None:
    """Drop an invocation's target folder (Dagster recorded its results) but keep dbt's parse cache.

    dagster-dbt seeds every new target folder with `$DBT_TARGET_PATH/partial_parse.msgpack`; keeping
    the latest one there spares each run a full parse of the project (~10 s of every ingest run).
    """
    cache = Path(invocation.target_path) / "partial_parse.msgpack"
    if cache.exists():
        shared_dir = Path(os.environ.get("DBT_TARGET_PATH", "target"))
        shared = (shared_dir if shared_dir.is_absolute() else dbt_project.project_dir / shared_dir) / cache.name
        shared.parent.mkdir(parents=True, exist_ok=True)
        partial = shared.with_suffix(".tmp")
        shutil.copyfile(cache, partial)
        os.replace(partial, shared)
    shutil.rmtree(invocation.target_path, ignore_errors=True)


class DbtBuildConfig(dg.Config):
    as_of: str = ""
    """The instant (ISO 8601, UTC) health is computed for; empty means the latest event time."""


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=SyncmonDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
    pool=WAREHOUSE_POOL,
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig):
    give_way_to_paging(context)  # in an analytics run, waits for ingest and alert runs in progress
    data_paths()  # exports the absolute SYNCMON_HOME that profiles.yml reads
    # Unit tests run in their own asset check (dbt_unit_tests), not on every refresh.
    args = ["build", "--exclude", "test_type:unit"]
    if config.as_of:
        args += ["--vars", json.dumps({"as_of": config.as_of})]
    invocation = dbt.cli(args, context=context)
    yield from invocation.stream()
    discard_target(invocation)


session_facts = build_dbt_asset_selection([dbt_models], dbt_select=SESSION_FACTS_SELECT)
analytics_models = dg.AssetSelection.assets(dbt_models) - session_facts


@dg.asset_check(
    asset=dg.AssetKey(["marts", "fct_sync_sessions"]),
    name="dbt_unit_tests",
    pool=WAREHOUSE_POOL,
    description="The dbt unit tests of the session status fold and of the progress fold (dagster-dbt does not"
    " turn dbt unit tests into asset checks by itself, so this check runs them).",
)
def dbt_unit_tests(dbt: DbtCliResource) -> dg.AssetCheckResult:
    data_paths()
    invocation = dbt.cli(["test", "--select", "test_type:unit"], raise_on_error=False)
    invocation.wait()
    results = invocation.get_artifact("run_results.json")["results"]
    discard_target(invocation)
    failed = sorted(r["unique_id"].split(".")[-1] for r in results if r["status"] != "pass")
    return dg.AssetCheckResult(
        passed=bool(results) and not failed,
        metadata={
            "unit_tests": len(results),
            "failed": len(failed),
            "tests": dg.MetadataValue.json(
                {r["unique_id"].split(".")[-1]: r["status"] for r in results}
            ),
        },
    )
