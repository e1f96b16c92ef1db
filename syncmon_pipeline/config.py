"""syncmon's one configuration file, validated with pydantic.

Every setting has a safe default, so no file is needed to start. The file is
`syncmon.yaml` in the working directory, or the path in `SYNCMON_CONFIG`.
The data directory comes from `SYNCMON_HOME` (default `./data`). Secrets never
live here: they are read from the environment by the code that needs them.
"""

from __future__ import annotations

import os
import re
from functools import cached_property
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from syncmon_pipeline.alerts.settings import AlertingSettings
from syncmon_pipeline.api.settings import ApiSettings
from syncmon_pipeline.reports.settings import ReportSettings, RetentionSettings


_CRON_FIELD = re.compile(r"^(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?)*$")


def is_valid_cron_string(value: str) -> bool:
    """Five cron fields (minute hour day month weekday); Dagster checks the values when it loads."""
    fields = value.split()
    return len(fields) == 5 and all(_CRON_FIELD.match(f) for f in fields)


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names the field."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IngestSettings(_Section):
    max_files_per_run: int = Field(100, ge=1, le=10_000, description="Files one ingest run takes at most.")
    settle_seconds: float = Field(
        2.0, ge=0, description="A landing file younger than this is treated as still being written."
    )
    straggler_minutes: float = Field(
        10.0, gt=0, description="A file still in landing this long after the cursor passed it is requested again."
    )
    max_line_bytes: int = Field(1_048_576, ge=1024, description="Longer lines are quarantined.")
    sensor_interval_seconds: int = Field(5, ge=1, le=3600)


class AnalyticsSettings(_Section):
    schedule_cron: str = Field("*/5 * * * *", description="When health, trends and the snapshot refresh (UTC).")
    stale_after_minutes: int = Field(
        30, ge=1, description="The UI flags the marts as stale when they are older than this."
    )
    raw_stale_after_minutes: int = Field(
        30, ge=1, description="The UI flags the raw events as stale when no ingest ran for this long."
    )
    give_way_seconds: float = Field(
        45, ge=0, le=600,
        description="How long each analytics step may wait for ingest and alert runs under way before it takes"
        " the warehouse slot anyway (0: never gives way).",
    )

    @field_validator("schedule_cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        if not is_valid_cron_string(value):
            raise ValueError(f"not a valid cron expression: {value!r}")
        return value


class Settings(_Section):
    ingest: IngestSettings = IngestSettings()
    analytics: AnalyticsSettings = AnalyticsSettings()
    alerting: AlertingSettings = AlertingSettings()
    reports: ReportSettings = ReportSettings()
    retention: RetentionSettings = RetentionSettings()
    api: ApiSettings = ApiSettings()


def load_settings(path: Path | str | None = None) -> Settings:
    """Load and validate the config file; a missing default file means all defaults."""
    explicit = path or os.environ.get("SYNCMON_CONFIG")
    config_path = Path(explicit) if explicit else Path("syncmon.yaml")
    if not config_path.exists():
        if explicit:
            raise ConfigError(f"config file {config_path} (from SYNCMON_CONFIG) does not exist")
        return Settings()
    try:
        raw = yaml.safe_load(config_path.read_text("utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{config_path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{config_path}: the top level must be a mapping of sections")
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{config_path}: {problems}") from exc


class DataPaths(BaseModel):
    """Where every piece of state lives, all under one data directory."""

    model_config = ConfigDict(frozen=True)
    home: Path

    @classmethod
    def from_env(cls) -> DataPaths:
        return cls(home=Path(os.environ.get("SYNCMON_HOME", "data")).resolve())

    @cached_property
    def landing(self) -> Path:
        return self.home / "landing"

    @cached_property
    def processed(self) -> Path:
        return self.home / "processed"

    @cached_property
    def warehouse_dir(self) -> Path:
        return self.home / "warehouse"

    @cached_property
    def warehouse(self) -> Path:
        return self.warehouse_dir / "syncmon.duckdb"

    @cached_property
    def analytics_snapshot(self) -> Path:
        return self.warehouse_dir / "analytics.duckdb"

    @cached_property
    def exports(self) -> Path:
        return self.warehouse_dir / "exports"

    @cached_property
    def reports(self) -> Path:
        return self.home / "reports"

    @cached_property
    def archive(self) -> Path:
        return self.home / "archive"

    @cached_property
    def dashboard(self) -> Path:
        return self.reports / "dashboard.html"

    @cached_property
    def outbox(self) -> Path:
        return self.home / "outbox"

    @cached_property
    def commands(self) -> Path:
        """The command inbox: operator actions from the API, applied by the alert job (pending/, done/)."""
        return self.home / "commands"

    @cached_property
    def changefeed(self) -> Path:
        """What the alert engine committed, appended after each commit (read by the API's stream)."""
        return self.home / "changefeed"

    @cached_property
    def alerts_snapshot(self) -> Path:
        """The alerts schema alone, republished after every alert evaluation (fresher than the analyst one)."""
        return self.warehouse_dir / "alert_state.duckdb"  # not alerts.duckdb: its catalog would shadow the alerts schema

    @cached_property
    def api_state(self) -> Path:
        """The API's own small state: idempotency records."""
        return self.home / "api"

    @cached_property
    def api_token_file(self) -> Path:
        return self.home / "api-token"

    def ensure(self) -> DataPaths:
        for folder in (self.landing, self.processed, self.warehouse_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return self
