"""The dbt project as Dagster sees it (kept in its own module, as dagster-dbt recommends).

`prepare_if_dev()` only parses under `dagster dev`; everywhere else (tests, CI) the manifest is
built beforehand by `make install` (`dbt parse`), and `syncmon run-once` prepares it when it is
missing (`ensure_manifest`), before the code location that needs it is loaded.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_models"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()


class DbtManifestError(RuntimeError):
    """The dbt manifest is missing and cannot be prepared; the message is one line naming the fix."""


def parse_command(project: DbtProject) -> str:
    return f"cd {project.project_dir} && dbt parse --profiles-dir {project.profiles_dir}"


def dbt_executable() -> str:
    """dbt beside this Python (the virtual environment's), else whatever `dbt` is on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def ensure_manifest(project: DbtProject | None = None) -> Path:
    """The manifest's path, running `dbt parse` first when it is missing (a fresh checkout or install)."""
    project = project or dbt_project
    if project.manifest_path.exists():
        return project.manifest_path
    if not (Path(project.project_dir) / "dbt_project.yml").exists():
        raise DbtManifestError(
            f"the dbt project is not at {project.project_dir}: run syncmon from its checkout"
            " (pip install -e . or make install there)"
        )
    try:
        DbtCliResource(project_dir=project, dbt_executable=dbt_executable()).cli(
            ["parse", "--quiet"], target_path=project.target_path, raise_on_error=True
        ).wait()
    except Exception as error:  # dbt's own errors are many-lined: keep the kind, name the command
        raise DbtManifestError(
            f"could not prepare the dbt manifest ({type(error).__name__}); run: {parse_command(project)}"
        ) from error
    if not project.manifest_path.exists():
        raise DbtManifestError(f"dbt parse wrote no manifest at {project.manifest_path}; run: {parse_command(project)}")
    return project.manifest_path
