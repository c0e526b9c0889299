"""A report query started ahead, on its own connection and thread, while the caller writes another report.

The usage report's query aggregates before its first row (about as long as the whole stock report
takes to stream); started on a second connection it runs on the other core meanwhile, and its rows are
then streamed in batches as any report's are (memory stays bounded: the database holds the sorted
result). The connection reads committed data only: start it before the caller's transaction writes
anything the query reads, and read what must precede it (the scope version) before starting it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine


class RowsAhead:
    """The rows of ``stmt``, its first ``batch`` fetched on a thread from the moment it is built."""

    def __init__(self, engine: Engine, stmt: Any, batch: int) -> None:
        self._conn = engine.connect()
        self._batch = batch
        self._result: Any = None
        self._first: list[Any] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._start, args=(stmt,), name="vmi-rows-ahead", daemon=True)
        self._thread.start()

    def _start(self, stmt: Any) -> None:
        try:
            self._result = self._conn.execute(stmt.execution_options(yield_per=self._batch))
            self._first = self._result.fetchmany(self._batch)
        except BaseException as exc:  # handed to the reader
            self._error = exc

    def __iter__(self) -> Iterator[Any]:
        self._thread.join()
        if self._error is not None:
            raise self._error
        first, self._first = self._first, []
        yield from first
        while rows := self._result.fetchmany(self._batch):
            yield from rows

    def close(self) -> None:
        """Wait for the thread, release the result and the connection (safe to call twice)."""
        self._thread.join()
        if self._result is not None:
            self._result.close()
            self._result = None
        self._conn.close()

    def __enter__(self) -> RowsAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
