"""First runs: a missing dbt manifest is prepared, or run-once says in one line what to run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from dagster_dbt import DbtProject

from syncmon_pipeline import dbt_project as project_module
from syncmon_pipeline.cli import main as syncmon
from syncmon_pipeline.dbt_project import DBT_PROJECT_DIR, DbtManifestError, ensure_manifest


def fresh_copy(root: Path) -> DbtProject:
    """The project's dbt models as a checkout has them before `dbt parse`: no target folder."""
    target = root / "dbt_models"
    shutil.copytree(DBT_PROJECT_DIR, target, ignore=shutil.ignore_patterns("target", "logs"))
    return DbtProject(project_dir=target, profiles_dir=target)


def test_a_missing_manifest_is_prepared(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNCMON_HOME", str(tmp_path / "home"))
    project = fresh_copy(tmp_path)
    assert not project.manifest_path.exists()
    assert ensure_manifest(project) == project.manifest_path and project.manifest_path.exists()


def test_a_project_that_is_not_there_fails_in_one_line_naming_the_fix(tmp_path, monkeypatch, capsys):
    project = fresh_copy(tmp_path)
    (project.project_dir / "dbt_project.yml").unlink()  # as in an install without the dbt models
    with pytest.raises(DbtManifestError) as raised:
        ensure_manifest(project)
    assert "\n" not in str(raised.value) and "pip install -e ." in str(raised.value)
    monkeypatch.setattr(project_module, "dbt_project", project)
    assert syncmon(["run-once"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and captured.err.startswith("syncmon run-once:")


def test_a_project_that_does_not_parse_names_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNCMON_HOME", str(tmp_path / "home"))
    project = fresh_copy(tmp_path)
    (project.project_dir / "models" / "broken.sql").write_text("select {{ not_a_macro( }}")
    with pytest.raises(DbtManifestError) as raised:
        ensure_manifest(project)
    message = str(raised.value)
    assert "\n" not in message and f"cd {project.project_dir} && dbt parse" in message
