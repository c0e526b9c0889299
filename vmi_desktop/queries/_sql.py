"""Helpers shared by the read-side queries: the dialect-aware date SQL (from ``db.sqlfuncs``) and
conversions of what the drivers return."""

from __future__ import annotations

from datetime import UTC, date, datetime

from vmi_desktop.db.sqlfuncs import day_of, days_between, dialect, month_of

__all__ = ["as_date", "day_of", "days_between", "dialect", "epoch", "month_of"]


def as_date(value: object) -> date:
    """A ``date`` from what a driver returns for ``date(...)`` (a string on SQLite)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def epoch(value: datetime | date) -> float:
    """Seconds since 1970 (UTC) for a timestamp or the midnight of a day."""
    if isinstance(value, datetime):
        return value.timestamp()
    return datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp()
