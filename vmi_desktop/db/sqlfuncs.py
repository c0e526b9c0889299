"""Dialect-aware SQL (date arithmetic, flags, the larger of two values), so queries run in SQLite and
PostgreSQL alike.

SQLite stores our UTC timestamps as naive ISO strings, PostgreSQL as
``timestamptz``; these give the same calendar day, month and span in both.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Float, cast, func, literal, literal_column, type_coerce
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement


def dialect(session: Session) -> str:
    """Name of the session's dialect (``sqlite`` or ``postgresql``)."""
    return session.get_bind().dialect.name


def day_of(session: Session, column: Any) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp column, comparable with a DATE column."""
    if dialect(session) == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


def month_of(session: Session, column: Any) -> ColumnElement[str]:
    """``YYYY-MM`` of a timestamp column, in UTC."""
    if dialect(session) == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


def seconds_between(session: Session, start: Any, end: Any) -> ColumnElement[Any]:
    """``end - start`` in seconds as a float expression."""
    if dialect(session) == "postgresql":
        return cast(func.extract("epoch", end - start), Float)
    return (func.julianday(end) - func.julianday(start)) * literal(86400.0)


def days_between(session: Session, start: Any, end: Any) -> ColumnElement[Any]:
    """``end - start`` in (fractional) days."""
    if dialect(session) == "postgresql":
        return cast(func.extract("epoch", end - start), Float) / 86400.0
    return func.julianday(end) - func.julianday(start)


def flag(column: Any) -> ColumnElement[bool]:
    """A boolean column as a bare predicate (``table.active``), on every dialect.

    SQLAlchemy renders ``column.is_(True)`` as ``active IS 1`` and ``column == True`` as
    ``active = 1`` on SQLite; neither matches a partial index declared ``WHERE is_primary AND
    active``, so SQLite would not use it. The bare term does, on PostgreSQL too.
    """
    # untyped on purpose: a Boolean-typed column gets "= 1" appended on SQLite
    return literal_column(f"{column.table.name}.{column.name}")


def as_float(session: Session, expr: Any) -> ColumnElement[Any]:
    """An exact-decimal expression as a float in natural units, for what is only drawn or exported.

    Skips the exact Decimal conversion of each value: a chart of ten years of movements reads
    thousands of rows, and floats are what it draws anyway.
    """
    scale = getattr(getattr(expr, "type", None), "scale", 3)
    if dialect(session) == "sqlite":
        return cast(expr, Float) / literal(float(10**scale))
    return cast(expr, Float)


def epoch_seconds(session: Session, column: Any) -> ColumnElement[Any]:
    """A UTC timestamp column as seconds since 1970, computed in SQL (no datetime per row).

    On SQLite this goes through julianday(), a double: exact to about 20 microseconds, so callers
    round to the millisecond.
    """
    if dialect(session) == "postgresql":
        return cast(func.extract("epoch", column), Float)
    return (func.julianday(column) - literal(2440587.5)) * literal(86400.0)


class _Larger(FunctionElement[Any]):
    """The larger of its two arguments: ``max(a, b)`` on SQLite, ``GREATEST(a, b)`` on PostgreSQL."""

    name = "larger"
    inherit_cache = True


@compiles(_Larger)
def _larger(element: _Larger, compiler: Any, **kw: Any) -> str:
    return f"GREATEST({compiler.process(element.clauses, **kw)})"


@compiles(_Larger, "sqlite")
def _larger_sqlite(element: _Larger, compiler: Any, **kw: Any) -> str:
    return f"max({compiler.process(element.clauses, **kw)})"


def larger(expr: Any, floor: Any) -> ColumnElement[Any]:
    """``expr``, or ``floor`` where it is larger, typed as ``expr`` (each argument evaluated once: a
    CASE would run a scalar subquery twice)."""
    return type_coerce(_Larger(expr, floor), expr.type)
