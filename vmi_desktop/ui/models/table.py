"""A table model over a query object: lazy pages, SQL sort/filter, pending edits saved in one go.

Rows arrive a page at a time (``canFetchMore``/``fetchMore``), so a view
over a million rows holds only what was scrolled to. The total is counted
off the UI thread. Edits stay pending in the model (highlighted, undoable)
until ``save()`` hands them to ``catalog_service`` in one transaction; a
row someone else changed meanwhile is reloaded and reported, never
overwritten. A batch saved elsewhere (suggested thresholds applied from a
dialog) is pushed with ``push_batch``; once no unsaved cell edit is left,
undo takes the whole batch back through the same ``catalog_service`` update.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from types import ModuleType
from typing import Any, Protocol

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QGuiApplication, QPalette
from sqlalchemy.exc import SQLAlchemyError

from vmi_desktop.db import Changes, describe_db_error
from vmi_desktop.errors import ValidationError, VmiError
from vmi_desktop.exporting import Cell, export_value
from vmi_desktop.queries.base import Column, Kind, PageRequest, Row, TableQuery
from vmi_desktop.scope import Action
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.export import ExportSource
from vmi_desktop.ui.numbers import InvalidInput, format_count, format_decimal
from vmi_desktop.ui.palette import cell_colors
from vmi_desktop.ui.startup import after_first_paint

log = logging.getLogger(__name__)

#: The reason an edited cell is invalid (str) or None.
ERROR_ROLE = Qt.ItemDataRole.UserRole + 1
#: True when the cell holds an edit that is not saved yet.
DIRTY_ROLE = Qt.ItemDataRole.UserRole + 2
#: The Python value behind the cell (Decimal, enum, bool…), for delegates and tests.
RAW_ROLE = Qt.ItemDataRole.UserRole + 3
#: "changed by X at T" after a save found the row changed by someone else.
CONFLICT_ROLE = Qt.ItemDataRole.UserRole + 4

_MISSING = object()
#: Roles the table model never answers (a subclass that does answers them before calling this one).
_NEVER_ANSWERED = frozenset(
    {
        Qt.ItemDataRole.DecorationRole,
        Qt.ItemDataRole.FontRole,
        Qt.ItemDataRole.CheckStateRole,
        Qt.ItemDataRole.SizeHintRole,
    }
)
#: Roles that only mark cells with an error, a pending edit or a conflict.
_MARK_ROLES = frozenset({ERROR_ROLE, CONFLICT_ROLE, Qt.ItemDataRole.BackgroundRole})
Index = QModelIndex | QPersistentModelIndex


def _catalog_service() -> ModuleType:
    """The edits' service (parsing, checks, updates), imported at the first edit: a read-only start page
    does not need it (nor the ledger and URL checks it imports) before its first paint."""
    from vmi_desktop import catalog_service

    return catalog_service


def updater(entity: str) -> Callable[..., Any]:
    """The ``catalog_service`` update of an editable table's entity (a row's changed fields)."""
    service = _catalog_service()
    updaters: dict[str, Callable[..., Any]] = {
        "sku": service.update_sku,
        "vendor": service.update_vendor,
        "location": service.update_location,
        "agreement": service.update_agreement,
    }
    return updaters[entity]


EDIT_ACTION = {
    "sku": Action.EDIT_MASTER_DATA,
    "vendor": Action.EDIT_MASTER_DATA,
    "location": Action.EDIT_MASTER_DATA,
    "agreement": Action.EDIT_AGREEMENTS,
}


def display_text(column: Column, value: Any) -> str:
    """How a value reads in a cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, enum.Enum):
        return str(value.value).replace("_", " ")
    if column.kind is Kind.QTY and isinstance(value, Decimal):
        return format_decimal(value)
    if column.kind is Kind.MONEY and isinstance(value, Decimal):
        shown = value.quantize(Decimal("0.01")) if value == value.quantize(Decimal("0.01")) else value
        return format_decimal(shown, trailing_zeros=True)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


class BatchEdit(Protocol):
    """One row of an applied batch: its entity id, the version the batch left it at, the values before."""

    @property
    def edit_id(self) -> int: ...
    @property
    def version(self) -> int: ...
    @property
    def previous(self) -> dict[str, Any]: ...


class AppliedEdits(Protocol):
    """Saved changes to many rows that one Ctrl+Z takes back (e.g. suggested thresholds applied)."""

    @property
    def entity(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def edits(self) -> Sequence[BatchEdit]: ...


class _RowFailure(Exception):
    def __init__(self, key: tuple[Any, ...], error: Exception) -> None:
        super().__init__(str(error))
        self.key = key
        self.error = error


class SqlTableModel(QAbstractTableModel):
    """Rows of ``query`` for ``ctx.actor``, fetched ``page_size`` at a time."""

    #: The number of matching rows, once the background COUNT is done.
    total_changed = Signal(int)
    #: A sentence for the status bar (validation reasons, save results, conflicts).
    status_message = Signal(str)
    #: Pending edits appeared or went away (enables Save/Discard).
    pending_changed = Signal(bool)
    #: An applied batch was taken back (its label), or could not be (an empty label).
    batch_undone = Signal(str)
    #: Some loaded rows were re-read in place (how many).
    rows_refreshed = Signal(int)
    #: The invalid cells changed (the page's message bar names them).
    errors_changed = Signal()

    def __init__(self, ctx: AppContext, query: TableQuery, *, page_size: int = 200, parent: Any = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.query = query
        self.page_size = page_size
        self.columns = list(query.columns)
        self.request = PageRequest(sort_key=query.default_sort or None)
        self._rows: list[Row] = []
        self._row_of: dict[tuple[Any, ...], int] = {}
        self._cursor: Row | None = None  # the last row fetched, for keyset paging
        self._has_more = True
        self.total: int | None = None
        self._count_generation = 0
        self.pages_fetched = 0  # since the last reload
        self.page_queries = 0  # ever (debounce check)
        # pending edits: row key -> {column key: value (parsed, or raw text when invalid)}
        self._pending: dict[tuple[Any, ...], dict[str, Any]] = {}
        # the row as it was when first edited: its entity id and version are what a save checks against,
        # and it stays known even when a new search or filter hides the row
        self._base_row: dict[tuple[Any, ...], Row] = {}
        self._errors: dict[tuple[tuple[Any, ...], str], str] = {}
        self._conflicts: dict[tuple[Any, ...], str] = {}
        self._undo: list[tuple[tuple[Any, ...], str, Any, str | None]] = []
        # saved batches (newest last), taken back whole by Ctrl+Z once no unsaved cell edit is left
        self._batches: list[AppliedEdits] = []
        self._batch_running = False
        action = EDIT_ACTION.get(query.entity)
        self.can_edit = action is not None and ctx.can(action)
        self._colors = cell_colors()

    # -- loading -----------------------------------------------------------------------------

    def reload(self) -> None:
        """Re-run the query from the first page (search, filter or sort changed, or F5)."""
        self.beginResetModel()
        self._rows = []
        self._row_of = {}
        self._cursor = None
        self._has_more = True
        self.pages_fetched = 0
        self.endResetModel()
        self._fetch_page()
        self._start_count()

    def set_search(self, text: str) -> None:
        """Filter by the search box text (re-queries only when it changed)."""
        if text.strip() != self.request.search:
            self.request = replace(self.request, search=text.strip())
            self.reload()

    def set_filter(self, key: str, value: Any) -> None:
        """Set (or with None clear) one of the query's filters and re-query."""
        filters = dict(self.request.filters)
        if value is None:
            filters.pop(key, None)
        else:
            filters[key] = value
        self.request = replace(self.request, filters=filters)
        self.reload()

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._has_more

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not parent.isValid() and self._has_more:
            self._fetch_page()

    def _fetch_page(self) -> None:
        try:
            with self.ctx.db.sessions() as session:
                rows = self.query.page(
                    session, self.ctx.actor, self.request, len(self._rows), self.page_size, after=self._cursor
                )
        except SQLAlchemyError as exc:
            log.exception("loading a page failed")
            self._has_more = False
            self.status_message.emit(describe_db_error(exc))
            return
        self.pages_fetched += 1
        self.page_queries += 1
        if rows:
            self._cursor = rows[-1]  # as loaded: a later in-place refresh of that row must not move the cursor
        self._has_more = len(rows) == self.page_size
        rows = [r for r in rows if r.key not in self._row_of]  # rows moved by a concurrent change
        if not rows:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        for offset, row in enumerate(rows):
            self._row_of[row.key] = first + offset
            self._rows.append(row)
        self.endInsertRows()

    def _start_count(self) -> None:
        self._count_generation += 1
        generation = self._count_generation
        self.total = None
        request = self.request

        def done(total: int) -> None:
            if generation != self._count_generation:
                return
            self.total = total
            self.total_changed.emit(total)

        def start() -> None:
            if generation != self._count_generation:
                return  # reloaded again before the first paint: only the newest count runs
            self._run_count(request, done)

        after_first_paint(start, self)  # a start page's count must not share the CPU with the first paint

    def _run_count(self, request: PageRequest, done: Callable[[int], None]) -> None:
        """Count the rows of ``request`` on the task runner, then ``done(total)`` on the UI thread (a model
        whose count another page shows too shares the run: ``WorklistModel``)."""
        db, actor, query = self.ctx.db, self.ctx.actor, self.query

        def count(_report: Callable[[float, str], None]) -> int:
            with db.sessions() as session:
                return query.count(session, actor, request)

        self.ctx.runner.run(
            count, on_result=done, on_error=lambda exc: log.warning("count failed: %s", exc), owner=self
        )

    # -- reading -----------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def row(self, row: int) -> Row:
        """The loaded row (as fetched, without pending edits)."""
        return self._rows[row]

    def column_index(self, key: str) -> int:
        """The position of the column ``key``."""
        return next(i for i, c in enumerate(self.columns) if c.key == key)

    def key_of(self, row: int) -> tuple[Any, ...]:
        """The row key (stable across reloads, unlike the row number)."""
        return self._rows[row].key

    def row_of_key(self, key: tuple[Any, ...]) -> int | None:
        """The row number of a key, if that row is loaded."""
        return self._row_of.get(key)

    def edit_ids(self, rows: list[int]) -> list[int]:
        """Entity ids (e.g. agreement ids) behind some rows, skipping rows with nothing to edit."""
        return sorted({self._rows[r].edit_id for r in rows if self._rows[r].edit_id is not None})  # type: ignore[misc]

    def value(self, row: int, key: str) -> Any:
        """The value a cell shows: the pending edit if any, else the loaded one."""
        record = self._rows[row]
        pending = self._pending.get(record.key, {})
        return pending[key] if key in pending else record.values[key]

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            column = self.columns[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return column.title
            if role == Qt.ItemDataRole.ToolTipRole:
                notes = [] if column.sortable else ["not sortable"]
                if column.editable and self.can_edit:
                    notes.append("editable")
                return column.title + (f" ({', '.join(notes)})" if notes else "")
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole and section >= 0:
            return section + 1
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # A repaint asks every visible cell for eight roles: those this model never answers, and the
        # marks of cells with errors, edits or conflicts when there are none, return before any lookup.
        if role in _NEVER_ANSWERED:
            return None
        if role in _MARK_ROLES and not (self._errors or self._pending or self._conflicts):
            return None
        if not index.isValid() or index.row() >= len(self._rows) or index.column() >= len(self.columns):
            return None
        record = self._rows[index.row()]
        column = self.columns[index.column()]
        cell = (record.key, column.key)
        pending = self._pending.get(record.key, {})
        dirty = column.key in pending
        value = pending[column.key] if dirty else record.values[column.key]
        if role == Qt.ItemDataRole.DisplayRole:
            return value if isinstance(value, str) and cell in self._errors else display_text(column, value)
        if role == Qt.ItemDataRole.EditRole:
            if isinstance(value, enum.Enum):
                return str(value.value)
            if isinstance(value, bool):
                return value
            return display_text(column, value)
        if role == RAW_ROLE:
            return value
        if role == ERROR_ROLE:
            return self._errors.get(cell)
        if role == DIRTY_ROLE:
            return dirty
        if role == CONFLICT_ROLE:
            return self._conflicts.get(record.key)
        if role == Qt.ItemDataRole.ToolTipRole:
            if cell in self._errors:
                return self._errors[cell]
            if record.key in self._conflicts:
                return self._conflicts[record.key]
            if dirty:
                return f"not saved yet (was {display_text(column, record.values[column.key]) or 'empty'})"
            if column.kind is Kind.TEXT and isinstance(value, str) and len(value) > 24:
                return value  # a long text (a message, a description) may be cut by its column
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            if cell in self._errors:
                return QBrush(self._colors["error"])
            if dirty:
                return QBrush(self._colors["dirty"])
            if record.key in self._conflicts:
                return QBrush(self._colors["conflict"])
            return None
        if role == Qt.ItemDataRole.ForegroundRole and not record.active:
            return QGuiApplication.palette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.kind in (Kind.QTY, Kind.MONEY, Kind.INT):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
        if self.is_editable(index.row(), index.column()):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def is_editable(self, row: int, column: int) -> bool:
        """Whether the user may edit this cell (role, editable column, a row to change)."""
        return (
            self.can_edit
            and 0 <= column < len(self.columns)
            and self.columns[column].editable
            and 0 <= row < len(self._rows)
            and self._rows[row].edit_id is not None
        )

    # -- sorting -----------------------------------------------------------------------------

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort in SQL (ORDER BY the column, then the row key) and start again from the first page."""
        if not 0 <= column < len(self.columns) or not self.columns[column].sortable:
            return
        key = self.columns[column].key
        descending = order == Qt.SortOrder.DescendingOrder
        if (key, descending) == (self.request.sort_key, self.request.descending) and self._rows:
            return
        self.request = replace(self.request, sort_key=key, descending=descending)
        self.reload()

    # -- editing -----------------------------------------------------------------------------

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or not self.is_editable(index.row(), index.column()):
            return False
        record = self._rows[index.row()]
        column = self.columns[index.column()]
        key, cell = record.key, (record.key, column.key)
        pending = self._pending.get(key, {})
        self._undo.append((key, column.key, pending.get(column.key, _MISSING), self._errors.get(cell)))
        self._conflicts.pop(key, None)
        assert column.field is not None
        error: str | None = None
        if isinstance(value, InvalidInput):  # the delegate could not read the number in this locale
            parsed, error = value.text, value.reason
        else:
            try:
                parsed = _catalog_service().parse_field(self.query.entity, column.field, value)
            except ValidationError as exc:
                parsed, error = ("" if value is None else str(value)), str(exc)
        self._set_pending(record, column.key, parsed, error)
        if error is None:
            error = self._check_row(record, column.key)
        self._emit_row_changed(index.row())
        self.errors_changed.emit()
        return True

    def _set_pending(self, record: Row, column_key: str, value: Any, error: str | None) -> None:
        key = record.key
        was_pending = self.has_pending()
        pending = self._pending.setdefault(key, {})
        if error is None and value == record.values[column_key]:
            pending.pop(column_key, None)
        else:
            pending[column_key] = value
        if error is None:
            self._errors.pop((key, column_key), None)
        else:
            self._errors[(key, column_key)] = error
        if not pending:
            del self._pending[key]
            self._base_row.pop(key, None)
        else:
            self._base_row.setdefault(key, record)
        if was_pending != self.has_pending():
            self.pending_changed.emit(self.has_pending())

    def _check_row(self, record: Row, edited: str) -> str | None:
        """Cross-field rules (min above max) on the row as it would be saved; the reason lands on the cell."""
        if "min_qty" not in record.values or "max_qty" not in record.values:
            return None
        row = self._row_of[record.key]
        lo, hi = self.value(row, "min_qty"), self.value(row, "max_qty")
        for k in ("min_qty", "max_qty"):  # a previous cross-field error is re-judged
            message = self._errors.get((record.key, k))
            if message and " is above max " in message:
                del self._errors[(record.key, k)]
        if not isinstance(lo, Decimal) or not isinstance(hi, Decimal):
            return None
        try:
            _catalog_service().check_thresholds(
                lo, hi, str(record.values.get("part_number", "")), str(record.values.get("location", ""))
            )
        except ValidationError as exc:
            self._errors[(record.key, edited if edited in ("min_qty", "max_qty") else "min_qty")] = str(exc)
            return str(exc)
        return None

    def _emit_row_changed(self, row: int) -> None:
        if 0 <= row < len(self._rows) and self.columns:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.columns) - 1))

    @property
    def has_invalid_cells(self) -> bool:
        """Whether any cell holds input that was refused (the delegate asks before each cell's paint)."""
        return bool(self._errors)

    def has_pending(self) -> bool:
        """Whether edits wait to be saved."""
        return bool(self._pending)

    def pending_count(self) -> int:
        """How many cells hold unsaved edits."""
        return sum(len(v) for v in self._pending.values())

    def error_count(self) -> int:
        """How many edited cells are invalid (saving is refused while any are)."""
        return len(self._errors)

    def invalid_cells(self) -> list[tuple[int | None, int, str]]:
        """(row or None when not loaded, column, reason) of every invalid cell, in table order."""
        cells = [
            (self._row_of.get(key), self.column_index(column_key), reason)
            for (key, column_key), reason in self._errors.items()
        ]
        return sorted(cells, key=lambda c: (c[0] is None, c[0] or 0, c[1]))

    def row_label(self, row: int) -> str:
        """How a row is named in messages: "P-1 at WH-1 (ACME)", a code, or its first column's text."""
        values = self._rows[row].values
        first = display_text(self.columns[0], values[self.columns[0].key])
        name = values.get("part_number") or values.get("code") or first
        if values.get("location") and "part_number" in values:
            name = f"{name} at {values['location']}"
        if values.get("vendor") and "part_number" in values:
            name = f"{name} ({values['vendor']})"
        return str(name)

    def undo(self) -> bool:
        """Take back the last unsaved cell edit, or else the last applied batch (``undo_batch``)."""
        if not self._undo:
            return self.undo_batch()
        key, column_key, previous, previous_error = self._undo.pop()
        row = self._row_of.get(key)
        record = self._rows[row] if row is not None else self._base_row.get(key)
        if record is None:
            return self.undo()
        value = record.values[column_key] if previous is _MISSING else previous
        self._set_pending(record, column_key, value, previous_error)
        if row is not None:
            if previous_error is None:
                self._check_row(record, column_key)
            self._emit_row_changed(row)
        self.errors_changed.emit()
        return True

    def push_batch(self, batch: AppliedEdits) -> None:
        """Remember a batch that was saved elsewhere (a dialog), so that one undo takes it all back."""
        if batch.entity != self.query.entity:
            raise ValueError(f"a batch of {batch.entity} edits cannot be undone in a {self.query.entity} table")
        if batch.edits:
            self._batches.append(batch)

    def batches(self) -> int:
        """How many applied batches can be undone."""
        return len(self._batches)

    def undo_batch(self) -> bool:
        """Take back the last applied batch off the UI thread, restoring every row's previous values
        through the same catalog update (validated, version-checked, audited) in one transaction.

        If any row changed since the batch, nothing is undone and the reason is reported.
        Returns whether there was a batch to take back.
        """
        if not self._batches or self._batch_running:
            return bool(self._batches)
        batch = self._batches.pop()
        self._batch_running = True
        update = updater(batch.entity)
        db, actor = self.ctx.db, self.ctx.actor
        edits = [(e.edit_id, e.version, dict(e.previous)) for e in batch.edits]

        def work(report: Callable[[float, str], None]) -> int:
            with db.unit_of_work() as uow:
                for k, (edit_id, version, previous) in enumerate(edits):
                    if k % 50 == 0:
                        report(k / len(edits), f"undoing {format_count(k)} of {format_count(len(edits))}")
                    update(uow.session, actor, edit_id, version, **previous)
                if batch.entity == "agreement":
                    uow.changes.agreements.update(edit_id for edit_id, _v, _p in edits)
                else:
                    uow.changes.master_data = True
            return len(edits)

        def done(count: int) -> None:
            self._batch_running = False
            self.refresh_rows_by_edit_id({edit_id for edit_id, _v, _p in edits})
            self.status_message.emit(f"Undone: {batch.label} ({count} row(s) restored).")
            self.batch_undone.emit(batch.label)

        def failed(error: BaseException) -> None:
            self._batch_running = False
            message = describe_db_error(error) if isinstance(error, SQLAlchemyError) else str(error)
            self.refresh_rows_by_edit_id({edit_id for edit_id, _v, _p in edits})
            self.status_message.emit(f"Not undone ({batch.label}): {message}; nothing was changed.")
            self.batch_undone.emit("")

        self.ctx.runner.run(work, on_result=done, on_error=failed, owner=self)
        return True

    def discard(self) -> None:
        """Forget every unsaved edit."""
        rows = [self._row_of[k] for k in list(self._pending) + [k for k, _ in self._errors] if k in self._row_of]
        self._pending.clear()
        self._base_row.clear()
        self._errors.clear()
        self._undo.clear()
        for row in sorted(set(rows)):
            self._emit_row_changed(row)
        self.pending_changed.emit(False)
        self.errors_changed.emit()

    def save(self) -> bool:
        """Save every pending edit in one transaction; True when everything was saved."""
        if not self._pending:
            return True
        if self._errors:
            first = next(iter(self._errors.values()))
            self.status_message.emit(f"Not saved: {len(self._errors)} cell(s) are invalid: {first}")
            return False
        update = updater(self.query.entity)
        edits = [
            (key, self._base_row[key].edit_id, self._base_row[key].version, dict(changes))
            for key, changes in self._pending.items()
        ]
        try:
            with self.ctx.db.transaction() as session:
                for key, edit_id, version, changes in edits:
                    fields = {str(self.query.column(k).field): v for k, v in changes.items()}
                    try:
                        update(session, self.ctx.actor, edit_id, version, **fields)
                    except (VmiError, SQLAlchemyError) as exc:
                        raise _RowFailure(key, exc) from exc
        except _RowFailure as failure:
            return self._save_failed(failure.key, failure.error)
        saved = [key for key, *_ in edits]
        self._pending.clear()
        self._base_row.clear()
        self._undo.clear()
        self.refresh_rows(saved)
        self.pending_changed.emit(False)
        count = sum(len(c) for *_, c in edits)
        self.status_message.emit(f"Saved {count} change(s) in {len(edits)} row(s).")
        return True

    def _save_failed(self, key: tuple[Any, ...], error: Exception) -> bool:
        if isinstance(error, _catalog_service().RowConflict):
            message = str(error)
            self._pending.pop(key, None)
            self._base_row.pop(key, None)
            self._errors = {cell: m for cell, m in self._errors.items() if cell[0] != key}
            self._undo = [u for u in self._undo if u[0] != key]
            self._conflicts[key] = message
            self.refresh_rows([key])
            self.pending_changed.emit(self.has_pending())
        else:
            message = describe_db_error(error) if isinstance(error, SQLAlchemyError) else str(error)
            changes = self._pending.get(key, {})
            if changes:
                self._errors[(key, next(iter(changes)))] = message
            row = self._row_of.get(key)
            if row is not None:
                self._emit_row_changed(row)
        self.errors_changed.emit()
        self.status_message.emit(f"Not saved: {message}")
        return False

    def refresh_rows(self, keys: list[tuple[Any, ...]]) -> None:
        """Reload some rows in place (one query per 500 rows; dataChanged over the span, no reset)."""
        try:
            with self.ctx.db.sessions() as session:
                fresh = self.query.rows_by_key(session, self.ctx.actor, keys)
        except SQLAlchemyError as exc:
            log.exception("refreshing rows failed")
            self.status_message.emit(describe_db_error(exc))
            return
        changed: list[int] = []
        for key in keys:
            row = self._row_of.get(key)
            if row is None or key not in fresh:
                continue
            self._rows[row] = fresh[key]
            changed.append(row)
        if changed and self.columns:
            self.dataChanged.emit(self.index(min(changed), 0), self.index(max(changed), len(self.columns) - 1))
        self.rows_refreshed.emit(len(changed))

    def apply_changes(self, changes: Changes) -> bool:
        """A committed change elsewhere (the user's own command, a sync): re-read the touched loaded rows.

        The query decides which rows a change touches (``TableQuery.refresh_plan``): those are
        re-read in one set-based query and updated in place (no reset: selection, scroll position
        and pending edits stay); a table that must show new rows reloads. Returns True when
        anything was re-read.
        """
        plan = self.query.refresh_plan(changes, self._rows)
        if plan is True:
            self.reload()
            return True
        if not plan:
            return False
        self.refresh_rows(list(plan))
        return True

    def export_source(self, columns: list[int], title: str, description: str = "") -> ExportSource:
        """Every row the current search, filters and sort match, with the given columns (export, print)."""
        db, actor, query, request = self.ctx.db, self.ctx.actor, self.query, self.request
        shown = [self.columns[i] for i in columns]

        def rows() -> Iterator[list[Cell]]:
            with db.sessions() as session:
                for row in query.iter_rows(session, actor, request):
                    yield [export_value(c, row.values[c.key]) for c in shown]

        return ExportSource(title, [c.title for c in shown], rows, total=self.total, description=description)

    def refresh_rows_by_edit_id(self, edit_ids: set[int]) -> None:
        """Reload the loaded rows whose entity changed (after a bulk edit)."""
        keys = [r.key for r in self._rows if r.edit_id in edit_ids]
        self.refresh_rows(keys)
