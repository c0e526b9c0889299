"""The worklist's table model: the suggested quantity is editable before ordering, rows refresh in place.

An edited quantity stays in the model (highlighted, undoable, its reason at the cell when refused)
until the row is ordered; it is a draft of an order, never saved anywhere else. Whole units (EA,
SET...) take no fraction and a quantity must be above zero, exactly as the order itself checks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, cast

from PySide6.QtCore import QLocale, QModelIndex, QModelRoleData, QModelRoleDataSpan, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QPalette

from vmi_desktop.errors import ValidationError
from vmi_desktop.quantities import parse_quantity
from vmi_desktop.queries.base import Kind, PageRequest, Row
from vmi_desktop.queries.worklist import WorklistCounts, WorklistQuery, WorklistState
from vmi_desktop.scope import Action
from vmi_desktop.ui.models.table import Index, SqlTableModel, display_text
from vmi_desktop.ui.numbers import InvalidInput, format_decimal

log = logging.getLogger(__name__)

#: Text colours of the states (readable on light and dark palettes).
STATE_COLOURS = {
    WorklistState.NEW: QColor(176, 0, 32),
    WorklistState.HELD: QColor(190, 100, 0),
    WorklistState.ORDERED: QColor(30, 120, 50),
    WorklistState.SNOOZED: QColor(120, 120, 120),
}

_MISSING = object()
_BRUSHES = {state: QBrush(colour) for state, colour in STATE_COLOURS.items()}
_SPECIAL_ROLES = frozenset({Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.ToolTipRole})
_DISPLAY = Qt.ItemDataRole.DisplayRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole
#: What a cell paints with and, without an edit, an error or a conflict, is the same for the whole row
#: (or, for the alignment, the whole column): kept per row, filled by ``data`` itself at its first paint.
_ROW_ROLES = (_DISPLAY, _FOREGROUND)
#: Roles the shared model answers only for marked cells (edits, errors, conflicts): none without them.
_UNMARKED_NONE = frozenset(
    {
        Qt.ItemDataRole.BackgroundRole,
        Qt.ItemDataRole.FontRole,
        Qt.ItemDataRole.DecorationRole,
        Qt.ItemDataRole.CheckStateRole,
        Qt.ItemDataRole.SizeHintRole,
    }
)
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
_EDITABLE_FLAGS = _FLAGS | Qt.ItemFlag.ItemIsEditable


def _answer(item: QModelRoleData, value: Any) -> None:
    """One role of ``multiData``: the value, or none."""
    if value is None:
        item.clearData()
    else:
        item.setData(value)


class WorklistModel(SqlTableModel):
    """Rows of ``WorklistQuery``; only "Suggested" is editable, and only for who may order."""

    QUANTITY = "suggested"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.can_order = self.ctx.can(Action.CREATE_ORDER)
        self._column_keys = [c.key for c in self.columns]
        self._quantity_column = self._column_keys.index(self.QUANTITY)
        #: row key -> (the row as loaded, each column's (text, foreground)); see ``multiData``
        self._painted: dict[tuple[Any, ...], tuple[Row, list[tuple[Any, Any]]]] = {}
        self._alignments: dict[int, Any] = {}
        self.modelAboutToBeReset.connect(self._painted.clear)
        #: the parts of the last count (``total`` is their total once it arrived)
        self.counts: WorklistCounts | None = None

    #: The total is counted a moment after the first rows are shown: the count judges every candidate
    #: (about half a second on a million pairs) and must not share the CPU with the first paint.
    COUNT_DELAY_MS = 60

    def _start_count(self) -> None:
        self._count_generation += 1
        self.total = None
        generation = self._count_generation

        def start() -> None:
            if generation == self._count_generation:  # no newer reload meanwhile
                self._count_generation -= 1  # the shared count bumps it again
                SqlTableModel._start_count(self)

        QTimer.singleShot(self.COUNT_DELAY_MS, self, start)

    def _run_count(self, request: PageRequest, done: Callable[[int], None]) -> None:
        """The count by reason, in one run with the dashboard's when it asks the same meanwhile
        (``ui.shared_runs``); its parts are kept in ``counts`` for the count line."""
        from vmi_desktop.ui.shared_runs import worklist_counts  # after the first paint: the count waits

        query = self.query
        if not isinstance(query, WorklistQuery):
            super()._run_count(request, done)
            return

        def counted(counts: WorklistCounts) -> None:
            self.counts = counts
            done(counts.total)

        worklist_counts(
            self.ctx, query, request, counted, owner=self, on_error=lambda exc: log.warning("count failed: %s", exc)
        )

    # -- cells -------------------------------------------------------------------------------

    def is_editable(self, row: int, column: int) -> bool:
        return self.can_order and column == self._quantity_column and 0 <= row < len(self._rows)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (
            role == Qt.ItemDataRole.ToolTipRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.columns)
        ):
            key = self.columns[section].key
            notes = {
                "position": "on hand + on order (open orders, drafts and proposals included)",
                "suggested": "what the reorder run would order now: max - position, in packs, at least the MOQ"
                + ("; editable before ordering" if self.can_order else ""),
                "days_of_supply": "on hand / the use of the last 30 days per day (blank: nothing used)",
                "state": "new: nothing open; ordered: an order at the supplier; held: an order awaits your "
                "decision; snoozed: put aside until a date",
            }
            base = super().headerData(section, orientation, role)
            return f"{base} — {notes[key]}" if key in notes else base
        return super().headerData(section, orientation, role)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # a repaint asks every cell for about eight roles: the three special ones are answered cheaply,
        # everything else goes straight to the shared model
        if role not in _SPECIAL_ROLES or not index.isValid():
            return super().data(index, role)
        row, key = index.row(), self._column_keys[index.column()] if index.column() < len(self.columns) else ""
        if row >= len(self._rows):
            return None
        values = self._rows[row].values
        if key == "state":
            state = values["state"]
            if role == Qt.ItemDataRole.ForegroundRole:
                return _BRUSHES[state]
            if role == Qt.ItemDataRole.ToolTipRole and state is WorklistState.SNOOZED:
                return f"snoozed until {values.get('_snoozed_until')}: {values.get('_snooze_reason', '')}"
        elif key == "days_of_supply" and role == Qt.ItemDataRole.DisplayRole and values["days_of_supply"] is None:
            return "no use" if values["on_hand"] > 0 else ""
        elif key == "on_hand" and role == Qt.ItemDataRole.ForegroundRole and values["on_hand"] <= 0:
            return _BRUSHES[WorklistState.NEW]
        return super().data(index, role)

    def multiData(self, index: Index, roleDataSpan: QModelRoleDataSpan | QModelRoleData) -> None:
        """Every role a delegate paints a cell with, in one call (Qt asks for seven roles per cell).

        While no cell holds an edit, an error or a conflict, a row's texts and colours are what ``data``
        answered at its first paint, kept until the row is reloaded; otherwise each role is asked of
        ``data``. Either way the values are ``data``'s own."""
        items = (
            [roleDataSpan]
            if isinstance(roleDataSpan, QModelRoleData)
            else cast(Sequence[QModelRoleData], roleDataSpan)  # a sequence at run time; not in the stubs
        )
        row, column = index.row(), index.column()
        if (
            self._errors
            or self._pending
            or self._conflicts
            or not index.isValid()
            or not (0 <= row < len(self._rows) and 0 <= column < len(self.columns))
        ):
            for item in items:
                _answer(item, self.data(index, item.role()))
            return
        record = self._rows[row]
        kept = self._painted.get(record.key)
        if kept is None or kept[0] is not record:
            cells = self._row_cells(record)
            self._painted[record.key] = (record, cells)
        else:
            cells = kept[1]
        for item in items:
            role = item.role()
            if role == _DISPLAY:
                _answer(item, cells[column][0])
            elif role == _FOREGROUND:
                _answer(item, cells[column][1])
            elif role in _UNMARKED_NONE:
                item.clearData()
            elif role == _ALIGNMENT:
                if column not in self._alignments:
                    self._alignments[column] = self.data(index, _ALIGNMENT)
                _answer(item, self._alignments[column])
            else:
                _answer(item, self.data(index, role))

    def _row_cells(self, record: Row) -> list[tuple[Any, Any]]:
        """Each column's (text, foreground) of a row without an edit, an error or a conflict: what ``data``
        answers, computed straight from the row's values (a new row's first paint asks for every column;
        through ``data`` that is two index lookups and two dispatches per cell, and a locale per number)."""
        values = record.values
        locale = QLocale()
        dimmed = (
            None
            if record.active
            else QGuiApplication.palette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        )
        cells: list[tuple[Any, Any]] = []
        foreground: QBrush | None
        for column in self.columns:
            key = column.key
            value = values[key]
            if key == "days_of_supply" and value is None:
                text = "no use" if values["on_hand"] > 0 else ""
            elif column.kind is Kind.QTY and isinstance(value, Decimal):
                text = format_decimal(value, locale)
            else:
                text = display_text(column, value)
            if key == "state":
                foreground = _BRUSHES[value]
            elif key == "on_hand" and value <= 0:
                foreground = _BRUSHES[WorklistState.NEW]
            else:
                foreground = dimmed
            cells.append((text, foreground))
        return cells

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return _EDITABLE_FLAGS if self.is_editable(index.row(), index.column()) else _FLAGS

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """A typed quantity: checked now against the SKU's unit (the reason stays at the cell)."""
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or not self.is_editable(index.row(), index.column()):
            return False
        record = self._rows[index.row()]
        key = self.QUANTITY
        pending = self._pending.get(record.key, {})
        self._undo.append((record.key, key, pending.get(key, _MISSING), self._errors.get((record.key, key))))
        error: str | None = None
        parsed: Any
        if isinstance(value, InvalidInput):
            parsed, error = value.text, value.reason
        else:
            try:
                parsed = parse_quantity(
                    value,
                    what=f"quantity for {record.values['part_number']} at {record.values['location']}",
                    whole=bool(record.values["_whole"]),
                    uom=str(record.values["_uom"]),
                )
            except ValidationError as exc:
                parsed, error = ("" if value is None else str(value)), str(exc)
        self._set_pending(record, key, parsed, error)
        if error:
            self.status_message.emit(error)
        self._emit_row_changed(index.row())
        return True

    # -- for the page ------------------------------------------------------------------------

    def quantity(self, row: int) -> Decimal | None:
        """The quantity to order for a row (the edited one, else the suggestion); None while invalid."""
        record = self._rows[row]
        if (record.key, self.QUANTITY) in self._errors:
            return None
        value = self.value(row, self.QUANTITY)
        return value if isinstance(value, Decimal) else None

    def quantity_error(self, row: int) -> str | None:
        """Why a row's typed quantity was refused, if it was."""
        return self._errors.get((self._rows[row].key, self.QUANTITY))

    def forget_quantities(self, keys: list[tuple[Any, ...]]) -> None:
        """Drop the edits of these rows (they were ordered, or the user reset them)."""
        was = self.has_pending()
        for key in keys:
            self._pending.pop(key, None)
            self._base_row.pop(key, None)
            self._errors.pop((key, self.QUANTITY), None)
        self._undo = [u for u in self._undo if u[0] not in set(keys)]
        for key in keys:
            row = self._row_of.get(key)
            if row is not None:
                self._emit_row_changed(row)
        if was != self.has_pending():
            self.pending_changed.emit(self.has_pending())

    def remove_rows(self, keys: list[tuple[Any, ...]]) -> None:
        """Take rows off the view (snoozed): the rows after them move up, no reload."""
        for row in sorted((self._row_of[k] for k in keys if k in self._row_of), reverse=True):
            key = self._rows[row].key
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            self.endRemoveRows()
            self._pending.pop(key, None)
            self._errors.pop((key, self.QUANTITY), None)
        self._row_of = {r.key: i for i, r in enumerate(self._rows)}
        if self.total is not None:
            self.total = max(0, self.total - len(keys))
            self.total_changed.emit(self.total)

    def rows(self) -> list[Row]:
        """The loaded rows, in view order."""
        return list(self._rows)

    def text(self, row: int, key: str) -> str:
        """A cell as shown (for messages)."""
        return display_text(self.query.column(key), self.value(row, key))
