"""The warehouse keeps instants as naive UTC TIMESTAMPs (like the marts); these convert at its edge."""

from __future__ import annotations

from datetime import UTC, datetime


def to_utc_naive(moment: datetime | None) -> datetime | None:
    """An aware instant as naive UTC; a naive one is taken to be UTC already."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def from_utc_naive(moment: datetime | None) -> datetime | None:
    """A warehouse timestamp back as an aware UTC instant."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment
