"""Fast bulk inserts for generated data: executemany on SQLite, COPY on PostgreSQL.

Rows arrive as tuples of plain Python values (ints, strings, bools, None) in
the column order given (quantities and money in natural units; on SQLite they are scaled to the
integer units the exact-decimal columns store); timestamps and dates are pre-formatted strings in the
form each database stores (see ``TimeFormat``). The ORM and the ledger
service are bypassed on purpose: they post row by row, which is right for a
person's action and far too slow for ten million generated rows.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, ForeignKeyConstraint, Index, Table, text
from sqlalchemy.schema import AddConstraint, DropConstraint

from vmi_desktop.db import Database
from vmi_desktop.models.base import ExactDecimal

log = logging.getLogger(__name__)


class TimeFormat:
    """Timestamps as strings the target database stores natively for ``UTCDateTime`` columns.

    SQLite keeps naive UTC text (SQLAlchemy's format, so ORM-written and bulk-written rows sort
    together); PostgreSQL parses an ISO timestamp with an explicit UTC offset.
    """

    def __init__(self, start: date, days: int, sqlite: bool) -> None:
        self.start = start
        suffix = ".000000" if sqlite else "+00"
        self._minutes = [f" {m // 60:02d}:{m % 60:02d}:00{suffix}" for m in range(1440)]
        self._days = [(start + timedelta(days=d)).isoformat() for d in range(-1, days + 400)]

    def day(self, d: int) -> str:
        """The date of simulation day ``d`` (may be negative by one, or past the end)."""
        return self._days[d + 1]

    def ts(self, d: int, minute: int) -> str:
        """Day ``d`` at ``minute`` past midnight UTC."""
        return self._days[d + 1] + self._minutes[minute]

    def ts_many(self, day_minutes: Sequence[int]) -> list[str]:
        """Many timestamps from ``day * 1440 + minute`` values."""
        days, minutes = self._days, self._minutes
        return [days[v // 1440 + 1] + minutes[v % 1440] for v in day_minutes]


def _scaled_columns(table: Table, columns: Sequence[str]) -> list[tuple[int, int]]:
    """(position, scale) of the exact decimal columns among ``columns`` (stored as scaled integers on SQLite)."""
    found = []
    for i, name in enumerate(columns):
        column_type = table.c[name].type
        if isinstance(column_type, ExactDecimal):
            found.append((i, column_type.scale))
    return found


def _to_units(value: Any, scale: int) -> int | None:
    """A generated value (int, numeric string, float or Decimal) as an integer of 10^-scale units."""
    if value is None:
        return None
    if isinstance(value, int):
        return value * 10**scale
    if isinstance(value, float):
        return round(value * 10**scale)
    return int(Decimal(value).scaleb(scale))


def _scale_row(row: tuple[Any, ...], scaled: list[tuple[int, int]]) -> tuple[Any, ...]:
    out = list(row)
    for i, scale in scaled:
        out[i] = _to_units(out[i], scale)
    return tuple(out)


@dataclass
class TableStats:
    """Rows written to one table and the time spent writing them."""

    rows: int = 0
    seconds: float = 0.0


@dataclass
class BulkWriter:
    """Writes batches of tuples into tables through one connection and transaction."""

    db: Database
    conn: Connection
    stats: dict[str, TableStats] = field(default_factory=dict)
    _sqlite_saved: dict[str, Any] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.db.is_sqlite

    def tune_for_bulk(self, *, relax_checks: bool = False) -> None:
        """No fsync and (SQLite) a big page cache while loading; call outside a transaction, undo with ``restore``.

        ``relax_checks`` (SQLite, very large loads only): skip CHECK and foreign-key enforcement while
        loading, which nearly doubles the insert rate. The generator produces valid rows by construction,
        and the same code path with every check on is what the tests run at small sizes.
        """
        if not self.is_sqlite:
            self.conn.exec_driver_sql("SET synchronous_commit TO off")
            self.conn.exec_driver_sql("SET maintenance_work_mem TO '256MB'")
            self._sqlite_saved["pg"] = True
            return
        pragmas = ["synchronous", "cache_size", "temp_store"]
        if relax_checks:
            pragmas += ["foreign_keys", "ignore_check_constraints"]
        for pragma in pragmas:
            self._sqlite_saved[pragma] = self.conn.exec_driver_sql(f"PRAGMA {pragma}").scalar()
        if relax_checks:
            self.conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            self.conn.exec_driver_sql("PRAGMA ignore_check_constraints=ON")
        self.conn.exec_driver_sql("PRAGMA synchronous=OFF")
        self.conn.exec_driver_sql("PRAGMA cache_size=-262144")  # 256 MiB
        self.conn.exec_driver_sql("PRAGMA temp_store=MEMORY")

    def restore(self) -> None:
        """Put the connection's settings back as they were (call outside a transaction)."""
        if not self.is_sqlite:
            if self._sqlite_saved.pop("pg", None):
                self.conn.exec_driver_sql("RESET synchronous_commit")
                self.conn.exec_driver_sql("RESET maintenance_work_mem")
            return
        for pragma, value in self._sqlite_saved.items():
            self.conn.exec_driver_sql(f"PRAGMA {pragma}={value}")
        self._sqlite_saved.clear()

    def insert(self, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """Append ``rows`` (tuples in ``columns`` order) to ``table``."""
        if not rows:
            return
        started = time.perf_counter()
        if self.is_sqlite:
            scaled = _scaled_columns(table, columns)
            if scaled:
                rows = [_scale_row(row, scaled) for row in rows]
            sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            self.conn.exec_driver_sql(sql, rows)
        else:
            raw = self.conn.connection.driver_connection
            assert raw is not None
            with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        st = self.stats.setdefault(table.name, TableStats())
        st.rows += len(rows)
        st.seconds += time.perf_counter() - started

    def drop_indexes(self, table: Table) -> list[Index]:
        """Drop the plain (non-unique) indexes of ``table``; rebuilding them once is faster than upkeep."""
        dropped = [ix for ix in table.indexes if not ix.unique]
        for ix in dropped:
            ix.drop(self.conn)
        return dropped

    def create_indexes(self, indexes: list[Index]) -> None:
        """Recreate indexes dropped by ``drop_indexes`` (same names and columns as the schema)."""
        for ix in indexes:
            started = time.perf_counter()
            ix.create(self.conn)
            st = self.stats.setdefault(f"index {ix.name}", TableStats())
            st.seconds += time.perf_counter() - started

    def drop_foreign_keys(self, table: Table) -> list[ForeignKeyConstraint]:
        """PostgreSQL: drop ``table``'s foreign keys for the load (re-added, and so validated, afterwards).

        Checking each copied row against its parents one by one is what makes a large COPY slow; adding
        the constraint back checks all rows in one pass. SQLite cannot drop constraints: returns [].
        """
        if self.is_sqlite:
            return []
        dropped = [c for c in table.constraints if isinstance(c, ForeignKeyConstraint)]
        for fk in dropped:
            self.conn.execute(DropConstraint(fk))
        return dropped

    def create_foreign_keys(self, constraints: list[ForeignKeyConstraint]) -> None:
        """Re-add what ``drop_foreign_keys`` dropped; fails (rolling everything back) on a bad reference."""
        for fk in constraints:
            started = time.perf_counter()
            self.conn.execute(AddConstraint(fk))
            st = self.stats.setdefault(f"constraint {fk.name}", TableStats())
            st.seconds += time.perf_counter() - started

    def reset_sequences(self, tables: Sequence[Table]) -> None:
        """PostgreSQL: move each id sequence past the explicit ids we inserted."""
        if self.is_sqlite:
            return
        for table in tables:
            if "id" not in table.c:
                continue
            seq = self.conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}).scalar()
            if seq:
                self.conn.execute(
                    text(
                        f"SELECT setval('{seq}', GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table.name}), 1), "
                        f"(SELECT COUNT(*) > 0 FROM {table.name}))"
                    )
                )
