"""Report periods, CSV neutralisation and the reports/retention settings: the pure parts."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syncmon_pipeline.config import ConfigError, load_settings
from syncmon_pipeline.reports.csv_export import neutralise, write_table_csv
from syncmon_pipeline.reports.model import Column, Table
from syncmon_pipeline.reports.period import (
    custom_period,
    period_for_key,
    period_key_containing,
    previous_period_key,
)


def test_a_daily_period_runs_from_local_midnight_to_local_midnight_even_across_dst():
    period = period_for_key("daily", "2026-10-25", "Europe/Amsterdam")  # clocks go back: 25 hours
    assert period.label == "daily-2026-10-25"
    assert period.start.isoformat() == "2026-10-25T00:00:00+02:00"
    assert period.end.isoformat() == "2026-10-26T00:00:00+01:00"
    assert period.end.astimezone(UTC) - period.start.astimezone(UTC) == timedelta(hours=25)
    assert period.bucket == "hour"


def test_weekly_periods_start_on_monday_and_monthly_on_the_first():
    week = period_for_key("weekly", "2026-11-23", "UTC")
    assert (week.label, week.end - week.start, week.bucket) == ("weekly-2026-11-23", timedelta(days=7), "day")
    month = period_for_key("monthly", "2026-12-01", "UTC")
    assert (month.label, month.end.date().isoformat()) == ("monthly-2026-12", "2027-01-01")
    with pytest.raises(ValueError, match="Monday"):
        period_for_key("weekly", "2026-11-24", "UTC")
    with pytest.raises(ValueError, match="1st"):
        period_for_key("monthly", "2026-11-02", "UTC")
    with pytest.raises(ValueError, match="unknown period"):
        period_for_key("yearly", "2026-01-01", "UTC")


@pytest.mark.parametrize(
    ("granularity", "moment", "containing", "previous"),
    [
        ("daily", "2026-11-27T07:00:00+01:00", "2026-11-27", "2026-11-26"),
        ("weekly", "2026-11-23T07:00:00+01:00", "2026-11-23", "2026-11-16"),  # a Monday morning
        ("weekly", "2026-11-29T23:30:00+01:00", "2026-11-23", "2026-11-16"),  # Sunday night, local time
        ("monthly", "2026-12-01T07:00:00+01:00", "2026-12-01", "2026-11-01"),
        ("monthly", "2027-01-01T07:00:00+01:00", "2027-01-01", "2026-12-01"),
    ],
)
def test_schedules_report_on_the_last_complete_period_in_the_report_time_zone(granularity, moment, containing, previous):
    at = datetime.fromisoformat(moment)
    assert period_key_containing(granularity, at, "Europe/Amsterdam") == containing
    assert previous_period_key(granularity, at, "Europe/Amsterdam") == previous


def test_the_time_zone_decides_which_day_a_moment_belongs_to():
    late_evening_utc = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)
    assert period_key_containing("daily", late_evening_utc, "UTC") == "2026-11-26"
    assert period_key_containing("daily", late_evening_utc, "Europe/Amsterdam") == "2026-11-27"


def test_a_custom_period_needs_an_end_after_its_start_and_picks_its_bucket():
    start = datetime(2026, 11, 1, tzinfo=UTC)
    assert custom_period(start, start + timedelta(days=1), "UTC", "x").bucket == "hour"
    assert custom_period(start, start + timedelta(days=9), "UTC", "x").bucket == "day"
    assert custom_period(start, start + timedelta(days=1), "UTC", "q4").label == "q4-20261101T0000-20261102T0000"
    with pytest.raises(ValueError, match="is not after"):
        custom_period(start, start, "UTC", "x")


@pytest.mark.parametrize("dangerous", ["=HYPERLINK(\"http://evil\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"])
def test_csv_cells_that_a_spreadsheet_would_evaluate_are_neutralised(dangerous, tmp_path: Path):
    assert neutralise(dangerous) == "'" + dangerous
    table = Table("t", "T", (Column("text", "Text"), Column("n", "N", "number")), ((dangerous, -1.5), ("plain", 2)))
    path = tmp_path / "t.csv"
    assert write_table_csv(table, path) == 2
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows == [["text", "n"], ["'" + dangerous, "-1.5"], ["plain", "2"]]  # numbers stay numbers


def test_safe_values_pass_through_unchanged():
    assert [neutralise(v) for v in ("a=b", "1-2", 3, -4.0, None, "")] == ["a=b", "1-2", 3, -4.0, None, ""]


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("reports:\n  timezone: Mars/Olympus\n", "reports.timezone"),
        ("reports:\n  send_at: '7am'\n", "reports.send_at"),
        ("reports:\n  recipients: [not-an-address]\n", "reports.recipients"),
        ("reports:\n  types: [finance]\n", "reports.types"),
        ("reports:\n  periods: [hourly]\n", "reports.periods"),
        ("retention:\n  raw_events_days: 0\n", "retention.raw_events_days"),
    ],
)
def test_bad_report_and_retention_settings_fail_naming_the_field(yaml_text, message, tmp_path: Path):
    path = tmp_path / "syncmon.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        load_settings(path)


def test_report_settings_have_safe_defaults():
    from syncmon_pipeline.config import Settings

    defaults = Settings()
    assert (defaults.reports.timezone, defaults.reports.send_at, defaults.reports.dashboard_refresh_seconds) == ("UTC", "07:00", 30)
    assert defaults.reports.recipients and defaults.reports.periods == ["daily", "weekly", "monthly"]
    assert (defaults.retention.raw_events_days, defaults.retention.reports_days) == (90, 90)


def test_the_readme_reports_example_is_valid():
    import re

    import yaml

    from syncmon_pipeline.config import Settings

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    block = re.search(r"```yaml\n(reports:\n.*?)```", text, re.S)
    assert block, "the README shows a reports config example"
    settings = Settings.model_validate(yaml.safe_load(block.group(1)))
    assert settings.reports.timezone == "Europe/Amsterdam" and settings.retention.raw_events_days == 90
