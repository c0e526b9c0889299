"""Append-only rows of a batch, written with one statement per table instead of one object each.

The audit trail and an order's status history are written and never read back in the unit of work
that writes them. One at a time, each is an ORM object whose id the flush fetches row by row
(SQLite cannot batch an INSERT ... RETURNING in order). A caller applying many changes in one unit
of work (a page of supplier events) starts a ``RowBatch``; while it is active, ``audit.record`` and
``orders.transition`` hand it their rows, and the caller writes them all with ``write`` (one
executemany per table, after a flush: the rows they refer to exist by then). Without an active
batch, everything is written as before.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from vmi_desktop.db.rows import insert_many

_KEY = "vmi_row_batch"


class RowBatch:
    """Rows waiting per table, in the order they were added."""

    def __init__(self) -> None:
        self.rows: dict[type[Any], list[dict[str, Any]]] = {}

    @staticmethod
    def active(session: Session) -> RowBatch | None:
        """The session's batch, if a caller started one."""
        batch = session.info.get(_KEY)
        return batch if isinstance(batch, RowBatch) else None

    @staticmethod
    def start(session: Session) -> RowBatch:
        """Start (or keep) the session's batch; the caller must ``write`` it before the commit."""
        batch = RowBatch.active(session)
        if batch is None:
            batch = session.info[_KEY] = RowBatch()
        return batch

    @staticmethod
    def stop(session: Session) -> None:
        """End the batch (what it still holds is dropped: ``write`` first)."""
        session.info.pop(_KEY, None)

    def add(self, model: type[Any], row: dict[str, Any]) -> None:
        """A row for ``model``'s table (every row of a table with the same keys)."""
        self.rows.setdefault(model, []).append(row)

    def mark(self) -> dict[type[Any], int]:
        """How many rows wait per table now (see ``rewind``)."""
        return {table: len(rows) for table, rows in self.rows.items()}

    def rewind(self, mark: dict[type[Any], int]) -> None:
        """Drop the rows added since ``mark`` (what added them was rolled back)."""
        for model, rows in self.rows.items():
            del rows[mark.get(model, 0) :]

    def write(self, session: Session) -> int:
        """Insert every waiting row, one statement per table; returns how many."""
        written = 0
        connection = session.connection()  # the driver's executemany (``db.rows``): no ORM or Core work per row
        for model, rows in self.rows.items():
            written += insert_many(connection, model.__table__, rows)
        self.rows = {}
        return written
