"""The `reports:` and `retention:` sections of syncmon.yaml."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from syncmon_pipeline.alerts.settings import DEFAULT_OPERATOR

REPORT_TYPES = ("performance", "data_quality", "usage", "compliance")
PERIODS = ("daily", "weekly", "monthly")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReportSettings(_Section):
    timezone: str = Field("UTC", description="IANA time zone of the delivery schedules and of report periods.")
    send_at: str = Field("07:00", description="Local time (HH:MM) the daily, weekly and monthly e-mails go out.")
    recipients: list[str] = Field(default_factory=lambda: [DEFAULT_OPERATOR])
    periods: list[str] = Field(default_factory=lambda: list(PERIODS), description="Which periods are e-mailed.")
    types: list[str] = Field(default_factory=lambda: list(REPORT_TYPES), description="Which reports are e-mailed.")
    delivery_attempts: int = Field(3, ge=1, le=20, description="Sends per report e-mail before it counts as failed.")
    delivery_backoff_seconds: float = Field(
        10, ge=0, le=3600,
        description="Wait before the first retry; doubles. The sending step holds no warehouse slot while it waits"
        " (claims and records are short transactions of their own), so retries delay no ingest or alert.",
    )
    chart_images: bool = Field(True, description="Static chart images in e-mails (needs headless Chromium).")
    email_table_rows: int = Field(15, ge=1, le=500, description="Rows per table in the e-mail body.")
    dashboard_refresh_seconds: int = Field(30, ge=5, le=3600)
    pdf: bool = Field(True, description="Render a PDF of each report with headless Chromium when installed.")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @field_validator("send_at")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise ValueError(f"send_at must be HH:MM (24 h), got {value!r}")
        return value

    @field_validator("recipients")
    @classmethod
    def _emails(cls, values: list[str]) -> list[str]:
        for value in values:
            if not _EMAIL.match(value):
                raise ValueError(f"not an e-mail address: {value!r}")
        return values

    @field_validator("periods")
    @classmethod
    def _periods(cls, values: list[str]) -> list[str]:
        for value in values:
            if value not in PERIODS:
                raise ValueError(f"unknown period {value!r}; periods are {', '.join(PERIODS)}")
        return values

    @field_validator("types")
    @classmethod
    def _types(cls, values: list[str]) -> list[str]:
        for value in values:
            if value not in REPORT_TYPES:
                raise ValueError(f"unknown report type {value!r}; types are {', '.join(REPORT_TYPES)}")
        return values

    @property
    def send_hour(self) -> int:
        return int(self.send_at[:2])

    @property
    def send_minute(self) -> int:
        return int(self.send_at[3:])


class RetentionSettings(_Section):
    raw_events_days: int = Field(90, ge=1, description="Raw events older than this are archived to Parquet and deleted.")
    reports_days: int = Field(90, ge=1, description="Report folders whose period ended longer ago are removed.")
    schedule_cron: str = Field("30 3 * * *", description="When the cleanup job runs (UTC).")
