"""Resources shared by the Dagster shell: the warehouse file and the dbt CLI."""

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from syncmon_pipeline.config import DataPaths
from syncmon_pipeline.dbt_project import dbt_project

# Every asset, check and op that opens the warehouse file runs in this pool (limit 1 in dagster.yaml).
WAREHOUSE_POOL = "warehouse"


def data_paths() -> DataPaths:
    """The data directory, made absolute and exported so dbt (a subprocess) sees the same one."""
    paths = DataPaths.from_env().ensure()
    os.environ["SYNCMON_HOME"] = str(paths.home)
    # dagster-dbt gives every dbt invocation a target folder of its own: keep them out of the source tree.
    os.environ.setdefault("DBT_TARGET_PATH", str(paths.home / "dbt_target"))
    return paths


def dbt_executable() -> str:
    """The dbt next to this Python (the project's virtual environment), else the one on PATH."""
    beside_python = Path(sys.executable).parent / "dbt"
    return str(beside_python) if beside_python.exists() else (shutil.which("dbt") or "dbt")


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse DuckDB file; by default $SYNCMON_HOME/warehouse/syncmon.duckdb, resolved when used."""

    database: str = ""

    def path(self) -> Path:
        return Path(self.database) if self.database else data_paths().warehouse

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection; waits (with backoff) while another process holds the file lock."""
        with DuckDBResource(database=str(self.path())).get_connection() as con:
            try:
                yield con
            finally:
                con.close()  # DuckDBResource skips its close when the body raises, leaving the file locked


def build_resources() -> dict[str, object]:
    return {
        "warehouse": WarehouseResource(),
        "dbt": DbtCliResource(
            project_dir=dbt_project, profiles_dir=str(dbt_project.profiles_dir),
            dbt_executable=dbt_executable(),
        ),
    }
