"""Writing many rows at once, both engines: ``bulk_insert`` (dicts, optionally returning), ``insert_rows``
(plain tuples, all or nothing, the refused row named) and the PostgreSQL array literals they bind.

Beside ``db.rows`` (which binds each column as Core binds it): the reorder run's and the alerts' writes,
and the event pages' through ``db.rows`` itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session

from vmi_desktop.db.errors import DatabaseError, describe_db_error, is_database_error, is_retryable, problem_of
from vmi_desktop.db.rows import bound_column, column_defaults, insert_text

#: Parameters per SQLite statement (its default limit since 3.32 is 32,766).
_SQLITE_PARAMETERS = 32_000


def _array_element(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, date):  # datetime included: ISO 8601 with its offset
        return '"' + value.isoformat() + '"'
    raise TypeError(f"no array literal for {value!r}")


def array_literal(values: list[Any]) -> str:
    """A PostgreSQL array literal (``{1,2,NULL}``, ``{"a\\"b"}``) of bound values, for ``CAST(:p AS type[])``.

    One string parameter per column instead of a list: the driver adapts a list element by element in
    Python (half the client time of a reorder run's writes); this is a join.
    """
    kinds = set(map(type, values))
    if kinds <= {int, type(None)} or kinds <= {Decimal, type(None)}:
        return "{" + ",".join("NULL" if v is None else str(v) for v in values) + "}"
    if kinds == {str}:
        return '{"' + '","'.join(v.replace("\\", "\\\\").replace('"', '\\"') for v in values) + '"}'
    return "{" + ",".join(map(_array_element, values)) + "}"


def _with_defaults(table: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` with the table's Python-side column defaults added where a column is not given."""
    defaults = column_defaults(table, rows[0])
    return [{**defaults, **r} for r in rows] if defaults else rows


def _unnest_insert(table: Any, columns: Sequence[str], dialect: Dialect, tail: str = "") -> str:
    """``INSERT ... SELECT * FROM unnest(CAST(:c0 AS type[]), ...)`` (PostgreSQL) for ``array_literal`` params."""
    casts = ", ".join(
        f"CAST(:c{i} AS {table.c[name].type.compile(dialect=dialect)}[])" for i, name in enumerate(columns)
    )
    return f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({casts}){tail}"


def _unnest_params(table: Any, columns: Sequence[str], dialect: Dialect, values: Iterable[list[Any]]) -> dict[str, str]:
    return {
        f"c{i}": array_literal(bound_column(table, name, dialect, column))
        for i, (name, column) in enumerate(zip(columns, values, strict=True))
    }


def _bound_tuples(table: Any, columns: Sequence[str], dialect: Dialect, values: Iterable[list[Any]]) -> list[Any]:
    """Rows for the driver's executemany: ``values`` (one list per column) bound as Core binds them."""
    bound = (bound_column(table, name, dialect, column) for name, column in zip(columns, values, strict=True))
    return list(zip(*bound, strict=True))


def bulk_insert(
    session: Session, model: Any, rows: list[dict[str, Any]], *, returning: tuple[str, ...] = (), conflict: str = ""
) -> list[Any]:
    """Insert many rows in one statement per backend; optionally return columns of the new rows.

    PostgreSQL: ``INSERT ... SELECT * FROM unnest(<one array literal per column>)``, a single statement
    whatever the row count (multi-row VALUES spent more time in the driver's query parser than the
    server spent inserting, and a list parameter is adapted element by element in Python; ``COPY`` is
    not allowed on tables with row-level security). SQLite: the driver's executemany, or multi-row
    VALUES with ``returning`` or ``conflict`` (Core's own executemany spent more time binding the rows
    than SQLite spent inserting them). Values are bound as Core binds them (``db.rows.bound_column``).
    ``conflict`` is an ``ON CONFLICT ...`` clause both engines take; ``returning`` rows come back in
    no particular order, so return a natural key with the id.
    """
    if not rows:
        return []
    table = model.__table__
    rows = _with_defaults(table, rows)
    columns = list(rows[0])
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        tail = f" {conflict}" if conflict else ""
        if returning:
            tail += f" RETURNING {', '.join(returning)}"
        params = _unnest_params(table, columns, dialect, ([r[name] for r in rows] for name in columns))
        result = session.execute(text(_unnest_insert(table, columns, dialect, tail)), params)
        return list(result.all()) if returning else []
    conn = session.connection()
    tuples = _bound_tuples(table, columns, dialect, ([r[name] for r in rows] for name in columns))
    if not returning and not conflict:
        conn.exec_driver_sql(insert_text(table, tuple(columns), dialect), tuples)
        return []
    head = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "
    one = "(" + ", ".join("?" for _ in columns) + ")"
    # RETURNING does not go with executemany: multi-row VALUES, as many rows as SQLite takes parameters
    tail = (f" {conflict}" if conflict else "") + (f" RETURNING {', '.join(returning)}" if returning else "")
    per = max(1, _SQLITE_PARAMETERS // len(columns))
    found: list[Any] = []
    for i in range(0, len(tuples), per):
        part = tuples[i : i + per]
        sql = head + ", ".join([one] * len(part)) + tail
        result = conn.exec_driver_sql(sql, tuple(v for row in part for v in row))
        if returning:
            found.extend(result.all())
    return found


def insert_rows(
    session: Session, table: Any, columns: Sequence[str], rows: list[tuple[Any, ...]], *, refused: Callable[[int], str]
) -> None:
    """Insert plain tuples (in ``columns`` order) with the least client work each engine allows: one
    ``INSERT ... SELECT FROM unnest`` of array literals on PostgreSQL, the driver's executemany on
    SQLite. Values are bound as Core binds them (``db.rows.bound_column``); a column not given gets its default
    as Core would give it (evaluated once for all the rows).

    All or nothing: when the database refuses a row, nothing of ``rows`` stays written and a
    ``DatabaseError`` says which row it refused first and why: ``refused(index)`` is the sentence naming
    that row (for example its SKU and location), the database's reason follows. A deadlock or a busy
    database is raised as it is, for the command to retry.
    """
    if not rows:
        return
    dialect = session.get_bind().dialect
    values = [list(column) for column in zip(*rows, strict=True)]
    defaults = column_defaults(table, columns)
    if defaults:
        columns = [*columns, *defaults]
        values += [[value] * len(rows) for value in defaults.values()]
    conn = session.connection()
    write: Callable[[int, int], None]
    if dialect.name == "postgresql":
        insert_sql = text(_unnest_insert(table, columns, dialect))
        bound = [bound_column(table, name, dialect, column) for name, column in zip(columns, values, strict=True)]

        def write(start: int, stop: int) -> None:
            params = {f"c{i}": array_literal(column[start:stop]) for i, column in enumerate(bound)}
            conn.execute(insert_sql, params)

    else:
        insert_sql_text = insert_text(table, tuple(columns), dialect)
        tuples = _bound_tuples(table, columns, dialect, values)

        def write(start: int, stop: int) -> None:
            conn.exec_driver_sql(insert_sql_text, tuples[start:stop])

    savepoint = conn.begin_nested()
    try:
        write(0, len(rows))
    except Exception as exc:
        savepoint.rollback()
        if not is_database_error(exc) or is_retryable(exc):
            raise
        index = _first_refused(conn, write, len(rows))
        if index is None:
            raise
        raise DatabaseError(f"{refused(index)} {describe_db_error(exc)}", problem_of(exc)) from exc
    savepoint.commit()


def _first_refused(conn: Connection, write: Callable[[int, int], None], count: int) -> int | None:
    """Which of ``count`` rows the database refuses first, halving them under savepoints (about twice the
    rows are written, each good half kept while the next is tried); None when all of them now go in.
    Nothing stays written."""
    outer = conn.begin_nested()
    try:
        start, stop = 0, count
        while start < count:
            middle = start + max(1, (stop - start) // 2)
            step = conn.begin_nested()
            try:
                write(start, middle)
            except Exception as exc:
                step.rollback()
                if not is_database_error(exc) or is_retryable(exc):
                    raise
                if middle - start == 1:
                    return start
                stop = middle
                continue
            step.commit()
            start, stop = middle, count if middle >= stop else stop
        return None
    finally:
        outer.rollback()
