"""Small dialect helpers shared by the read-side queries (SQLite and PostgreSQL).

SQLite stores our UTC timestamps as naive ISO strings, PostgreSQL as
``timestamptz``; these helpers give the same calendar day / month / span in
both so the aggregations run in the database, not in Python.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, cast, func
from sqlalchemy.orm import Session


def dialect(session: Session) -> str:
    """Name of the session's dialect (``sqlite`` or ``postgresql``)."""
    return session.get_bind().dialect.name


def day_of(session: Session, column: Any) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp column."""
    if dialect(session) == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


def month_of(session: Session, column: Any) -> ColumnElement[str]:
    """``YYYY-MM`` of a timestamp column, in UTC."""
    if dialect(session) == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


def days_between(session: Session, start: Any, end: Any) -> ColumnElement[Any]:
    """``end - start`` in (fractional) days."""
    if dialect(session) == "postgresql":
        return cast(func.extract("epoch", end - start), Float) / 86400.0
    return func.julianday(end) - func.julianday(start)


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
