"""Many rows in one statement with the least client work: on SQLite the driver's own executemany.

Core's executemany binds each row on its own (a dictionary of parameters built and run through every
column's bind processor, row after row): for a page of supplier events, about 45,000 rows, that cost
more than SQLite spent writing them. Here each column's values are bound in one pass (the same
processors Core would call, so the stored values are the same) and the rows go to the driver as
tuples under a statement text built once per shape. On PostgreSQL the statements go through Core as
before (its driver batches the rows itself).

The rows of one call all have the same keys (column keys of ``table``); a column not given gets its
Python-side default as Core would give it (evaluated once for the statement) or the database's own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import DateTime, Table, TypeDecorator, and_, bindparam, insert, update
from sqlalchemy.engine import Connection, Dialect

Processor = Callable[[Any], Any] | None


@functools.lru_cache(maxsize=256)
def _processor(table: Table, key: str, dialect: Dialect) -> Processor:
    column = table.c[key]
    return column.type.dialect_impl(dialect).bind_processor(dialect)


@functools.lru_cache(maxsize=256)
def _timestamps(table: Table, key: str) -> bool:
    """Whether the column holds timestamps (each row's own moment, hardly ever repeated)."""
    kind = table.c[key].type
    return isinstance(kind.impl_instance if isinstance(kind, TypeDecorator) else kind, DateTime)


@functools.lru_cache(maxsize=256)
def insert_text(table: Table, keys: tuple[str, ...], dialect: Dialect) -> str:
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(table.c[k].name) for k in keys)
    return f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join('?' for _ in keys)})"


@functools.lru_cache(maxsize=256)
def _update_text(table: Table, keys: tuple[str, ...], where: tuple[str, ...], dialect: Dialect) -> str:
    quote = dialect.identifier_preparer.quote
    sets = ", ".join(f"{quote(table.c[k].name)} = ?" for k in keys)
    conditions = " AND ".join(f"{quote(table.c[k].name)} = ?" for k in where)
    return f"UPDATE {quote(table.name)} SET {sets} WHERE {conditions}"


def column_defaults(table: Table, given: Iterable[str]) -> dict[str, Any]:
    """Python-side defaults of the columns not ``given``, as Core would apply them (evaluated once)."""
    given = set(given)
    missing: dict[str, Any] = {}
    for column in table.columns:
        if column.key in given or column.default is None or column.primary_key:
            continue
        default: Any = column.default
        if default.is_scalar:
            missing[column.key] = default.arg
        elif default.is_callable:
            missing[column.key] = default.arg(None)
        else:  # a SQL expression or a sequence: only Core renders those
            raise NotImplementedError(f"{table.name}.{column.key}: a default that is not a Python value")
    return missing


def bound_column(table: Table, key: str, dialect: Dialect, values: list[Any]) -> list[Any]:
    """One column's values as Core binds them (exact decimals checked and, on SQLite, made integer
    units; enum members as their values; UTC timestamps), its bind processor called once per distinct
    value: a page or a reorder run binds some 100,000 values, most of them repeated."""
    process = _processor(table, key, dialect)
    if process is None:
        return values
    if _timestamps(table, key):  # mostly one moment per row, or one shared by a run of rows: no lookup
        return _each_once_in_a_row(process, values)
    try:  # keyed by type too: True == 1 == Decimal(1), but a bool is refused where a Decimal is taken
        done = {k: process(k[1]) for k in {(type(v), v) for v in values}}
    except TypeError:  # an unhashable value (a JSON document): one call each
        return list(map(process, values))
    return [done[(type(v), v)] for v in values]


def _each_once_in_a_row(process: Callable[[Any], Any], values: list[Any]) -> list[Any]:
    """``process`` of each value, called again only when a value is not the very object before it."""
    bound: list[Any] = []
    last: Any = bound  # no value is this list
    done: Any = None
    for value in values:
        if value is not last:
            last, done = value, process(value)
        bound.append(done)
    return bound


def _bound(table: Table, keys: Sequence[str], dialect: Dialect, columns: list[list[Any]]) -> list[tuple[Any, ...]]:
    """Rows as driver tuples: each column's values through its type's bind processor, in one pass."""
    bound = [bound_column(table, key, dialect, values) for key, values in zip(keys, columns, strict=True)]
    return list(zip(*bound, strict=True))


def insert_many(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> int:
    """Insert ``rows`` (dictionaries by column key, all with the same keys) in one statement; how many."""
    if not rows:
        return 0
    dialect = connection.dialect
    if dialect.name != "sqlite":
        connection.execute(insert(table), rows)
        return len(rows)
    keys = list(rows[0])
    columns = [[row[k] for row in rows] for k in keys]
    defaults = column_defaults(table, keys)
    for key, value in defaults.items():
        keys.append(key)
        columns.append([value] * len(rows))
    connection.exec_driver_sql(insert_text(table, tuple(keys), dialect), _bound(table, keys, dialect, columns))
    return len(rows)


def update_many(
    connection: Connection, table: Table, keys: Sequence[str], where: Sequence[str], rows: list[tuple[Any, ...]]
) -> int:
    """``UPDATE table SET keys... WHERE where...`` (each condition an equality) for each row of values
    (``keys`` then ``where`` in order); returns how many rows the statement matched in all."""
    if not rows:
        return 0
    dialect = connection.dialect
    names = [*keys, *where]
    if dialect.name != "sqlite":
        condition = and_(*(table.c[k] == bindparam(f"w_{k}", type_=table.c[k].type) for k in where))
        values = {table.c[k]: bindparam(f"v_{k}", type_=table.c[k].type) for k in keys}
        params = [dict(zip([f"v_{k}" for k in keys] + [f"w_{k}" for k in where], row, strict=True)) for row in rows]
        return int(connection.execute(update(table).where(condition).values(values), params).rowcount)
    columns = [list(column) for column in zip(*rows, strict=True)]
    sql = _update_text(table, tuple(keys), tuple(where), dialect)
    return int(connection.exec_driver_sql(sql, _bound(table, names, dialect, columns)).rowcount)
