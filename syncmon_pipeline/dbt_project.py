"""The dbt project as Dagster sees it (kept in its own module, as dagster-dbt recommends).

`prepare_if_dev()` only parses under `dagster dev`; everywhere else (tests, CI,
run-once) the manifest is built beforehand by `make install` (`dbt parse`).
"""

from __future__ import annotations

from pathlib import Path

from dagster_dbt import DbtProject

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_models"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()
