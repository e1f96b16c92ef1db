"""The syncmon code location."""

from __future__ import annotations

import dagster as dg

from syncmon_pipeline.defs.dbt import dbt_models
from syncmon_pipeline.defs.ingest import LANDING_FILES, ingest_job, landing_sensor, raw_events
from syncmon_pipeline.defs.resources import build_resources

defs = dg.Definitions(
    assets=[LANDING_FILES, raw_events, dbt_models],
    jobs=[ingest_job],
    sensors=[landing_sensor],
    resources=build_resources(),
)
