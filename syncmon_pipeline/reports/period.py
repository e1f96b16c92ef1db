"""Report periods: a day, a Monday-to-Monday week or a calendar month in the report time zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .model import Period

PARTITION_START = "2025-01-01"  # first partition of every period; earlier data only in custom reports


def _add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    return moment.replace(year=moment.year + month // 12, month=month % 12 + 1, day=1)


def period_for_key(granularity: str, partition_key: str, timezone: str) -> Period:
    """The period of a Dagster time partition key (its start date, `YYYY-MM-DD`, in `timezone`)."""
    zone = ZoneInfo(timezone)
    start = datetime.strptime(partition_key[:10], "%Y-%m-%d").replace(tzinfo=zone)
    if granularity == "daily":
        end, label = start + timedelta(days=1), f"daily-{start:%Y-%m-%d}"
    elif granularity == "weekly":
        if start.weekday() != 0:
            raise ValueError(f"weekly periods start on a Monday, {partition_key} is a {start:%A}")
        end, label = start + timedelta(days=7), f"weekly-{start:%Y-%m-%d}"
    elif granularity == "monthly":
        if start.day != 1:
            raise ValueError(f"monthly periods start on the 1st, got {partition_key}")
        end, label = _add_months(start, 1), f"monthly-{start:%Y-%m}"
    else:
        raise ValueError(f"unknown period {granularity!r}: daily, weekly or monthly")
    # Local midnight to local midnight: a DST day is 23 or 25 hours long, as people count it.
    end = end.replace(tzinfo=zone)
    return Period(granularity, label, start, end, timezone, "hour" if granularity == "daily" else "day")


def period_key_containing(granularity: str, moment: datetime, timezone: str) -> str:
    """The partition key of the period that contains `moment` (which may still be running)."""
    local = moment.astimezone(ZoneInfo(timezone))
    if granularity == "weekly":
        local -= timedelta(days=local.weekday())
    elif granularity == "monthly":
        local = local.replace(day=1)
    return f"{local:%Y-%m-%d}"


def previous_period_key(granularity: str, moment: datetime, timezone: str) -> str:
    """The partition key of the last complete period before `moment` (what a schedule reports on)."""
    current = period_for_key(granularity, period_key_containing(granularity, moment, timezone), timezone)
    return period_key_containing(granularity, current.start - timedelta(seconds=1), timezone)


def custom_period(start: datetime, end: datetime, timezone: str, name: str) -> Period:
    if end <= start:
        raise ValueError(f"custom report: end {end.isoformat()} is not after start {start.isoformat()}")
    zone = ZoneInfo(timezone)
    start, end = start.astimezone(zone), end.astimezone(zone)
    label = f"{name}-{start:%Y%m%dT%H%M}-{end:%Y%m%dT%H%M}"
    return Period("custom", label, start, end, timezone, "hour" if end - start <= timedelta(days=2) else "day")
