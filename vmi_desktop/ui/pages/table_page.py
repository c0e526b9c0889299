"""A page around one SQL-backed table: search as you type, count, save/discard, add/deactivate.

The search box waits ~150 ms after the last keystroke before asking the model
to re-query, so typing a word runs one query, not one per letter.

Every table page also: exports and prints what it shows (every row the filters match, off the
UI thread; ``ui.export``), re-reads the rows a committed change touched (the user's own command
or a sync run, through ``ctx.commits``; a hidden page catches up when it is shown), names invalid
cells in a message bar above the table until they are fixed, and keeps the sort arrow on the
column the rows are really sorted by.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.exc import SQLAlchemyError

from vmi_desktop.db import Changes, describe_db_error
from vmi_desktop.errors import VmiError
from vmi_desktop.queries.base import Kind, TableQuery
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.delegates import CellDelegate
from vmi_desktop.ui.export import ExportSource, TableExporter, visible_columns
from vmi_desktop.ui.models.table import ERROR_ROLE, SqlTableModel
from vmi_desktop.ui.numbers import format_count
from vmi_desktop.ui.widgets import edit_on_typing, message_bar

log = logging.getLogger(__name__)

#: Typing within this window of the last applied search waits for the pause (one query per burst).
SEARCH_DEBOUNCE_MS = 120
#: Commits arriving within this many ms are applied together (a sync page of events, a count sheet).
COMMIT_COALESCE_MS = 120


class TablePage(QWidget):
    """Search box, table and buttons over a ``SqlTableModel``; subclasses add dialogs and filters."""

    status_message = Signal(str)
    #: What the window's Save / Undo / Discard may do changed (role, pending edits): see ``allows``.
    actions_changed = Signal()
    #: settings key of this page's column layout
    state_key = "table"
    search_hint = "Search…"
    show_inactive_box = False
    #: the first load sorts the default column descending (newest first for logs)
    default_descending = False
    #: how wide a number column is at least (a page of many number columns may choose a shorter one)
    number_sample = "12,345.678"
    #: what the table is called in exports, prints and file names (default: from ``state_key``)
    export_title = ""
    #: many filters: a row of their own under the search box (the page stays narrow enough for 1024 px)
    filters_on_own_row = False
    #: the model class (a ``SqlTableModel`` subclass for tables with their own cells or edits)
    model_class: type[SqlTableModel] = SqlTableModel

    def __init__(
        self, ctx: AppContext, query: TableQuery, *, page_size: int = 200, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = self.model_class(ctx, query, page_size=page_size, parent=self)
        self.model.status_message.connect(self.status_message)
        self.model.total_changed.connect(self._show_total)
        self.model.pending_changed.connect(self._update_buttons)

        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText(f"{self.search_hint} (Ctrl+F)")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setObjectName("search")
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DEBOUNCE_MS)
        self.search_timer.timeout.connect(self._apply_search)
        self._search_applied_at = -1e9
        #: monotonic seconds (tests hand in a clock they move)
        self.clock: Callable[[], float] = time.monotonic
        self.search_box.textChanged.connect(self._search_typed)
        self.search_box.returnPressed.connect(self._apply_search)

        self.count_label = QLabel("counting…")
        self.model.modelReset.connect(lambda: self.count_label.setText("counting…"))
        self.save_button = QPushButton("Save")
        self.save_button.clicked.connect(self.save)
        self.discard_button = QPushButton("Discard")
        self.discard_button.clicked.connect(self.discard)

        self.view = QTableView()
        self.view.setObjectName(f"{self.state_key}View")
        self.view.setModel(self.model)
        self.view.setItemDelegate(CellDelegate(self.view))
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setAlternatingRowColors(True)
        edit_on_typing(self.view)
        header = self.view.horizontalHeader()
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        header.setSortIndicatorShown(True)
        vertical = self.view.verticalHeader()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 8)
        self._fit_columns()
        for i, column in enumerate(self.model.columns):
            if column.key in query.hidden_columns(ctx.actor):  # never selected for this actor (NULL)
                self.view.setColumnHidden(i, True)
        self.view.selectionModel().currentChanged.connect(self._on_current_changed)
        self.view.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)

        self.error_bar = message_bar("cellErrors")
        self.error_next = QPushButton("Go to cell")
        self.error_next.setObjectName("goToInvalidCell")
        self.error_next.clicked.connect(self.go_to_invalid_cell)
        self.error_row = QHBoxLayout()
        self.error_row.addWidget(self.error_bar, 1)
        self.error_row.addWidget(self.error_next)
        self.model.errors_changed.connect(self._show_errors)

        self.exporter = TableExporter(ctx.runner, self.export_source, self)
        self.exporter.message.connect(self.status_message)
        self._pending_changes: Changes | None = None
        self.commit_timer = QTimer(self)
        self.commit_timer.setSingleShot(True)
        self.commit_timer.setInterval(COMMIT_COALESCE_MS)
        self.commit_timer.timeout.connect(self._apply_pending_changes)
        ctx.commits.changed.connect(self._on_commit)

        self.top = QHBoxLayout()
        self.top.addWidget(self.search_box, 2)
        self.filters = QHBoxLayout()
        self.filter_row = QHBoxLayout()
        if self.filters_on_own_row:
            self.filter_row.addLayout(self.filters)
            self.filter_row.addStretch(1)
        else:
            self.top.addLayout(self.filters)
        if self.show_inactive_box:
            self.inactive_box = QCheckBox("Show inactive")
            self.inactive_box.toggled.connect(lambda on: self.model.set_filter("show_inactive", True if on else None))
            self.filters.addWidget(self.inactive_box)
        self.top.addStretch(1)
        self.top.addWidget(self.count_label)
        self.buttons = QHBoxLayout()
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.discard_button)
        self.buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(self.top)
        layout.addLayout(self.filter_row)
        layout.addLayout(self.error_row)
        layout.addWidget(self.view, 1)
        layout.addLayout(self.buttons)
        self._show_errors()

        self.build_extras()
        sort_key = self.model.request.sort_key
        if sort_key:
            self.model.request = replace(self.model.request, descending=self.default_descending)
            order = Qt.SortOrder.DescendingOrder if self.default_descending else Qt.SortOrder.AscendingOrder
            header.setSortIndicator(self.model.column_index(sort_key), order)
        self.model.reload()
        self.view.setSortingEnabled(True)  # after the first load: the model ignores a sort that changes nothing
        # after the view's own connection: a click on a column that cannot be sorted puts the arrow back
        header.sortIndicatorChanged.connect(self._keep_sort_indicator)
        self._update_buttons()

    # -- for subclasses ----------------------------------------------------------------------

    def build_extras(self) -> None:
        """Add filters (to ``self.filters``) and buttons (to ``self.buttons``)."""

    def add_button(self, text: str, slot: Any, *, enabled: bool = True, tooltip: str = "") -> QPushButton:
        """A button left of Discard/Save calling ``slot()``."""
        button = QPushButton(text)
        button.clicked.connect(lambda _checked=False: slot())
        button.setEnabled(enabled)
        if tooltip:
            button.setToolTip(tooltip)
        self.buttons.insertWidget(self.buttons.count() - 3, button)
        return button

    def selected_rows(self) -> list[int]:
        """Row numbers of the selected rows, ascending."""
        return sorted({i.row() for i in self.view.selectionModel().selectedRows()})

    # -- page hooks (menu bar and toolbar) ------------------------------------------------------

    def refresh(self) -> None:
        """F5: re-run the query (pending edits stay, keyed by row)."""
        self.model.reload()

    def find(self) -> None:  # type: ignore[override]  # the page hook, not Qt's static QWidget.find
        """Ctrl+F: focus the search box."""
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    def save(self) -> None:
        """Ctrl+S: save pending edits."""
        editor = self.view.indexWidget(self.view.currentIndex())
        if editor is not None:  # an open cell editor is committed first, so Ctrl+S saves what is typed
            self.view.commitData(editor)
            self.view.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
        self.model.save()
        self._update_buttons()

    def undo(self) -> None:
        """Ctrl+Z: take back the last unsaved cell edit (or undo typing in the search box)."""
        if self.search_box.hasFocus():
            self.search_box.undo()
            return
        if not self.model.undo():
            self.status_message.emit("Nothing to undo.")

    def discard(self) -> None:
        """Forget every unsaved edit of this table (and say so only when there were some)."""
        if not self.model.has_pending():
            self.status_message.emit("Nothing to discard.")
            return
        count = self.model.pending_count()
        self.model.discard()
        self.status_message.emit(f"Discarded {count} unsaved change{'s' if count != 1 else ''}.")

    def allows(self, hook: str) -> bool:
        """Whether the window's ``hook`` action applies here now: editing ones only where the role may edit
        this table (never on a read-only view such as the audit log, nor for a supplier or a preview)."""
        if hook in ("save", "undo"):
            return self.model.can_edit
        if hook == "discard":
            return self.model.can_edit and self.model.has_pending()
        return True

    def has_pending(self) -> bool:
        """Whether edits wait to be saved (the window asks before closing)."""
        return self.model.has_pending()

    def export_table(self) -> None:
        """File > Export: every row the search and filters match, the visible columns, to CSV or XLSX."""
        self.exporter.ask_and_export()

    def print_table(self) -> None:
        """File > Print: a preview of what the table shows (the first rows of a long one)."""
        self.exporter.print_preview()

    def export_source(self) -> ExportSource:
        """The table as exported now: visible columns in their order, the current search, filters, sort."""
        title = self.export_title or self.state_key.replace("_", " ").capitalize()
        return self.model.export_source(visible_columns(self.view.horizontalHeader()), title, self.filter_description())

    def filter_description(self) -> str:
        """The search and the filters applied, in words (printed under the title)."""
        parts = []
        if self.model.request.search:
            parts.append(f"search {self.model.request.search!r}")
        for i in range(self.filters.count()):
            item = self.filters.itemAt(i)
            widget = item.widget() if item is not None else None
            if isinstance(widget, QComboBox) and widget.currentData() is not None:
                parts.append(widget.currentText())
            elif isinstance(widget, QCheckBox) and widget.isChecked():
                parts.append(widget.text().lower())
        return " · ".join(parts)

    def context_actions(self, menu: QMenu, rows: list[int]) -> None:
        """Add the page's own actions for the rows under the mouse (subclasses)."""

    def save_state(self, settings: QSettings) -> None:
        """Remember column order and widths."""
        settings.setValue(f"columns/{self.state_key}", self.view.horizontalHeader().saveState())

    def restore_state(self, settings: QSettings) -> None:
        """Restore column order and widths."""
        state = settings.value(f"columns/{self.state_key}")
        if state is not None:
            self.view.horizontalHeader().restoreState(state)

    # -- internals ---------------------------------------------------------------------------

    def _fit_columns(self) -> None:
        """Default widths: the hint, but never narrower than the header (with its sort arrow) or a choice."""
        metrics = self.view.horizontalHeader().fontMetrics()
        char = self.fontMetrics().averageCharWidth()
        for i, column in enumerate(self.model.columns):
            texts = [column.title]
            if column.kind is Kind.DATETIME:
                texts.append("2026-12-31 23:59:59")
            if column.kind is Kind.ENUM and column.choices is not None:
                texts += [str(m.value).replace("_", " ") for m in column.choices]
            numeric = column.kind in (Kind.QTY, Kind.MONEY, Kind.INT)
            if numeric:
                texts.append(self.number_sample)  # numbers: as wide as a large quantity, not the default 100 px
            needed = max(metrics.horizontalAdvance(t) for t in texts) + 32  # padding and the sort arrow
            hinted = column.width * char + 16 if column.width else 0
            if hinted or numeric or needed > self.view.horizontalHeader().defaultSectionSize():
                self.view.setColumnWidth(i, max(hinted, needed))

    def _keep_sort_indicator(self, section: int, _order: Qt.SortOrder) -> None:
        columns = self.model.columns
        if 0 <= section < len(columns) and columns[section].sortable:
            return
        header = self.view.horizontalHeader()
        request = self.model.request
        key = request.sort_key or self.model.query.default_sort
        header.blockSignals(True)
        if key:
            order = Qt.SortOrder.DescendingOrder if request.descending else Qt.SortOrder.AscendingOrder
            header.setSortIndicator(self.model.column_index(key), order)
        else:
            header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.blockSignals(False)
        if 0 <= section < len(columns):
            self.status_message.emit(f"{columns[section].title} cannot be sorted.")

    def _show_errors(self) -> None:
        cells = self.model.invalid_cells()
        if not cells:
            self.error_bar.hide()
            self.error_next.hide()
            return
        row, column, reason = cells[0]
        title = self.model.columns[column].title
        where = f"{self.model.row_label(row)}, {title}" if row is not None else f"{title} (a row not shown now)"
        more = len(cells) - 1
        tail = f" — and {more} more invalid cell{'s' if more != 1 else ''}" if more else ""
        self.error_bar.setText(f"Not saved: {where}: {reason}{tail}. Correct it, or Discard.")
        self.error_bar.show()
        self.error_next.setVisible(row is not None)

    def go_to_invalid_cell(self) -> None:
        """Select the first invalid cell (the message bar's button)."""
        for row, column, _reason in self.model.invalid_cells():
            if row is not None:
                index = self.model.index(row, column)
                self.view.scrollTo(index)
                self.view.setCurrentIndex(index)
                self.view.setFocus(Qt.FocusReason.OtherFocusReason)
                return

    def _context_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        index = self.view.indexAt(pos)
        rows = self.selected_rows() if index.isValid() and index.row() in self.selected_rows() else []
        if index.isValid() and not rows:
            rows = [index.row()]
        self.context_actions(menu, rows)
        if not menu.isEmpty():
            menu.addSeparator()
        menu.addAction("Export table…", self.export_table)
        menu.addAction("Print table…", self.print_table)
        menu.popup(self.view.viewport().mapToGlobal(pos))

    # -- live rows -------------------------------------------------------------------------------

    def _on_commit(self, changes: Changes) -> None:
        if self._pending_changes is None:
            self._pending_changes = Changes()
        self._pending_changes.merge(changes)
        if self.isVisible():
            self.commit_timer.start()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._pending_changes is not None:
            self.apply_commits_now()  # what changed while the page was hidden, before it is seen

    def _apply_pending_changes(self) -> None:
        changes, self._pending_changes = self._pending_changes, None
        if changes is not None and self.model.apply_changes(changes):
            self.update_selection_buttons()

    def apply_commits_now(self) -> None:
        """Apply the changes waiting for the coalescing timer at once (tests, and before an export)."""
        self.commit_timer.stop()
        self._apply_pending_changes()

    def _search_typed(self, _text: str) -> None:
        """Leading and trailing debounce: the first key of a burst filters at once, the rest after the pause."""
        if self.search_timer.isActive() or self.clock() - self._search_applied_at < SEARCH_DEBOUNCE_MS / 1000:
            self.search_timer.start()
        else:
            self._apply_search()

    def _apply_search(self) -> None:
        self.search_timer.stop()
        self._search_applied_at = self.clock()
        self.model.set_search(self.search_box.text())

    def _show_total(self, total: int) -> None:
        self.count_label.setText(f"{format_count(total)} row{'s' if total != 1 else ''}")

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        reason = current.data(ERROR_ROLE) if current.isValid() else None
        if reason:
            self.status_message.emit(str(reason))

    def _update_buttons(self, *_args: object) -> None:
        pending = self.model.has_pending()
        self.save_button.setEnabled(pending)
        self.discard_button.setEnabled(pending)
        self.save_button.setVisible(self.model.can_edit)
        self.discard_button.setVisible(self.model.can_edit)
        self.update_selection_buttons()
        self.actions_changed.emit()

    def update_selection_buttons(self) -> None:
        """Enable buttons that act on the selection (subclasses)."""

    def select_row(self, row: int) -> None:
        """Select one whole row (keyboard users and tests)."""
        self.view.selectionModel().select(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
        )


class MasterDataPage(TablePage):
    """A table of master data with Add… and Deactivate/Reactivate, enabled by role."""

    show_inactive_box = True
    add_text = "Add…"
    dialog_cls: Any = None
    set_active: Any = None  # catalog_service.set_*_active
    label_key = "code"  # column naming the row in messages

    def build_extras(self) -> None:
        allowed = self.model.can_edit
        reason = "" if allowed else "your role may not change these"
        self.add_btn = self.add_button(self.add_text, self.open_add_dialog, enabled=allowed, tooltip=reason)
        self.active_btn = self.add_button("Deactivate", self.toggle_active, enabled=False, tooltip=reason)

    def update_selection_buttons(self) -> None:
        rows = self.selected_rows()
        if not hasattr(self, "active_btn"):
            return
        self.active_btn.setEnabled(self.model.can_edit and len(rows) == 1)
        if len(rows) == 1:
            self.active_btn.setText("Reactivate" if not self.model.row(rows[0]).active else "Deactivate")

    def open_add_dialog(self) -> Any:
        """Open the add dialog (non-modal in tests via the returned dialog); reload on success."""
        dialog = self.dialog_cls(self.ctx, self)
        dialog.accepted.connect(self._after_add)
        dialog.open()
        return dialog

    def _after_add(self) -> None:
        self.model.reload()
        self.status_message.emit("Added.")

    def toggle_active(self) -> None:
        """Deactivate (or reactivate) the selected row, refusing if someone changed it meanwhile."""
        rows = self.selected_rows()
        if len(rows) != 1:
            return
        record = self.model.row(rows[0])
        label = record.values.get(self.label_key, "")
        try:
            with self.ctx.db.transaction() as session:
                type(self).set_active(session, self.ctx.actor, record.edit_id, not record.active, record.version)
        except VmiError as exc:
            self.status_message.emit(f"Not changed: {exc}")
            self.model.refresh_rows([record.key])
            return
        except SQLAlchemyError as exc:
            self.status_message.emit(describe_db_error(exc))
            return
        self.model.refresh_rows([record.key])
        self.status_message.emit(f"{'Reactivated' if not record.active else 'Deactivated'} {label}.")
        self.update_selection_buttons()
