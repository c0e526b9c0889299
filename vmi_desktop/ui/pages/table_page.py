"""A page around one SQL-backed table: search as you type, count, save/discard, add/deactivate.

The search box waits ~150 ms after the last keystroke before asking the model
to re-query, so typing a word runs one query, not one per letter.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.exc import SQLAlchemyError

from vmi_desktop.db import describe_db_error
from vmi_desktop.errors import VmiError
from vmi_desktop.queries.base import TableQuery
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.delegates import CellDelegate
from vmi_desktop.ui.models.table import ERROR_ROLE, SqlTableModel

log = logging.getLogger(__name__)

#: Typing within this window of the last applied search waits for the pause (one query per burst).
SEARCH_DEBOUNCE_MS = 120


class TablePage(QWidget):
    """Search box, table and buttons over a ``SqlTableModel``; subclasses add dialogs and filters."""

    status_message = Signal(str)
    #: settings key of this page's column layout
    state_key = "table"
    search_hint = "Search…"
    show_inactive_box = False
    #: the first load sorts the default column descending (newest first for logs)
    default_descending = False
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
        self.view.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        header = self.view.horizontalHeader()
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        header.setSortIndicatorShown(True)
        vertical = self.view.verticalHeader()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 8)
        width = self.fontMetrics().averageCharWidth()
        for i, column in enumerate(self.model.columns):
            if column.width:
                self.view.setColumnWidth(i, column.width * width + 16)
        self.view.selectionModel().currentChanged.connect(self._on_current_changed)
        self.view.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())

        self.top = QHBoxLayout()
        self.top.addWidget(self.search_box, 2)
        self.filters = QHBoxLayout()
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
        layout.addWidget(self.view, 1)
        layout.addLayout(self.buttons)

        self.build_extras()
        sort_key = self.model.request.sort_key
        if sort_key:
            self.model.request = replace(self.model.request, descending=self.default_descending)
            order = Qt.SortOrder.DescendingOrder if self.default_descending else Qt.SortOrder.AscendingOrder
            header.setSortIndicator(self.model.column_index(sort_key), order)
        self.model.reload()
        self.view.setSortingEnabled(True)  # after the first load: the model ignores a sort that changes nothing
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
        """Forget every unsaved edit of this table."""
        self.model.discard()
        self.status_message.emit("Unsaved changes discarded.")

    def has_pending(self) -> bool:
        """Whether edits wait to be saved (the window asks before closing)."""
        return self.model.has_pending()

    def save_state(self, settings: QSettings) -> None:
        """Remember column order and widths."""
        settings.setValue(f"columns/{self.state_key}", self.view.horizontalHeader().saveState())

    def restore_state(self, settings: QSettings) -> None:
        """Restore column order and widths."""
        state = settings.value(f"columns/{self.state_key}")
        if state is not None:
            self.view.horizontalHeader().restoreState(state)

    # -- internals ---------------------------------------------------------------------------

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
        self.count_label.setText(f"{total:,} row{'s' if total != 1 else ''}")

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
