"""The warehouse lead's page: post consumption, receipts, adjustments, transfers and count sheets,
see what was posted this session (and reverse it), and browse a pair's ledger history.

One location is chosen at the top and remembered (QSettings), as is a transfer's destination.
Each form is a tab and a Stock menu entry with its own shortcut; every form works from the
keyboard or a barcode scanner (part, Enter, quantity, Enter). Every posting goes through
``vmi_desktop.commands.stock`` (reorder check and outbox in the same unit of work) and its result,
the new on hand, is shown at once; the list below keeps the session's postings, each reversible
by a counter-posting until it has been reversed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSettings, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from vmi_desktop.commands import stock
from vmi_desktop.db import Changes
from vmi_desktop.errors import VmiError
from vmi_desktop.models import utcnow
from vmi_desktop.queries.catalog import location_choices
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.dialogs.order_reason import ReasonDialog
from vmi_desktop.ui.export import TableExporter, model_source
from vmi_desktop.ui.forms import FORMS
from vmi_desktop.ui.forms.count_sheet import CountSheetForm
from vmi_desktop.ui.forms.fields import LOCATION_KEY, TO_LOCATION_KEY, PostingRecord, qty
from vmi_desktop.ui.forms.history import HistoryView
from vmi_desktop.ui.forms.postings import AdjustForm, ConsumeForm, PostingForm, TransferForm
from vmi_desktop.ui.forms.receipt import ReceiptForm
from vmi_desktop.ui.numbers import format_decimal
from vmi_desktop.ui.widgets import message_bar, set_bar_kind

Index = QModelIndex | QPersistentModelIndex


def _settings() -> QSettings:
    from vmi_desktop.ui.main_window import window_settings

    return window_settings()


class PostingsModel(QAbstractTableModel):
    """This session's postings, newest first."""

    headers = ("When (UTC)", "Posting", "SKU", "Location", "Quantity", "On hand after", "Reference", "State")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.records: list[PostingRecord] = []

    def add(self, record: PostingRecord) -> None:
        self.beginInsertRows(QModelIndex(), 0, 0)
        self.records.insert(0, record)
        self.endInsertRows()

    def changed(self, record: PostingRecord) -> None:
        row = self.records.index(record)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.headers) - 1))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.records):
            return None
        r = self.records[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            state = (
                f"reversed by #{', #'.join(map(str, r.reversed_by))}"
                if r.reversed_by
                else ("posted" if not r.not_reversible else "posted (correct with an adjustment)")
            )
            sign = "+" if r.quantity > 0 else ""
            return (
                r.when.strftime("%H:%M:%S"),
                r.what,
                r.part_number,
                r.location,
                f"{sign}{format_decimal(r.quantity)} {r.uom}",
                format_decimal(r.on_hand_after),
                r.reference,
                state,
            )[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return r.summary + (f"\n{r.not_reversible}" if r.not_reversible else "")
        if role == Qt.ItemDataRole.ForegroundRole and r.reversed_by:
            return QBrush(QColor(130, 130, 130))
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (4, 5):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class StockFormsPage(QWidget):
    """Tabs of stock forms over one remembered location, the session's postings, the ledger history."""

    status_message = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.reason_dialog: ReasonDialog | None = None
        settings = _settings()
        with ctx.db.sessions() as session:
            self._locations = location_choices(session, ctx.actor)

        self.location = self._location_combo("formsLocation", settings.value(LOCATION_KEY))
        self.to_location = self._location_combo("transferTo", settings.value(TO_LOCATION_KEY))
        self.location.currentIndexChanged.connect(self._location_changed)
        self.to_location.currentIndexChanged.connect(
            lambda _i: _settings().setValue(TO_LOCATION_KEY, self.to_location.currentData())
        )

        where: Callable[[], int | None] = lambda: self.location.currentData()  # noqa: E731
        code: Callable[[], str] = lambda: self.location.currentText() if self.location.currentData() else ""  # noqa: E731
        self.consume = ConsumeForm(ctx, where, code)
        self.receive = ReceiptForm(ctx, where, code)
        self.adjust = AdjustForm(ctx, where, code)
        self.transfer = TransferForm(ctx, where, code, self.to_location)
        self.count = CountSheetForm(ctx, where, code)
        self.history = HistoryView(ctx)
        self.history.status_message.connect(self.status_message)
        self.history.reversed.connect(lambda _result: self._after_reversal_elsewhere())
        self.forms: dict[str, QWidget] = {
            "consume": self.consume,
            "receive": self.receive,
            "adjust": self.adjust,
            "transfer": self.transfer,
            "count": self.count,
            "history": self.history,
        }
        titles = {"consume": "Consume", "receive": "Receive", "adjust": "Adjust", "transfer": "Transfer"}
        titles |= {"count": "Count sheet", "history": "Ledger history"}
        self.tabs = QTabWidget()
        self.tabs.setObjectName("stockForms")
        for key, widget in self.forms.items():
            shortcut = next(s for k, _t, s in FORMS if k == key)
            index = self.tabs.addTab(widget, titles[key])
            self.tabs.setTabToolTip(index, f"{titles[key]} ({shortcut})")
            if isinstance(widget, PostingForm | CountSheetForm):
                widget.posted.connect(self._posted)
        self.tabs.currentChanged.connect(lambda _i: self._tab_changed())

        self.posted_model = PostingsModel(self)
        self.posted_view = QTableView()
        self.posted_view.setObjectName("postedThisSession")
        self.posted_view.setModel(self.posted_model)
        self.posted_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.posted_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.posted_view.verticalHeader().setVisible(False)
        self.posted_view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.posted_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.posted_view.horizontalHeader().setStretchLastSection(True)
        self.posted_view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.posted_view.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        self.reverse_button = QPushButton("Reverse…")
        self.reverse_button.setObjectName("reversePosting")
        self.reverse_button.setToolTip("Undo the selected posting by a counter-posting (the ledger keeps both)")
        self.reverse_button.clicked.connect(lambda: self.reverse_selected())
        self.history_button = QPushButton("Ledger history")
        self.history_button.setObjectName("postedHistory")
        self.history_button.clicked.connect(self._history_of_selected)
        self.reversal_bar = message_bar("reversalResult", "ok")

        top = QHBoxLayout()
        top.addWidget(QLabel("Location"))
        top.addWidget(self.location)
        hint = QLabel("Scan or type a part number, Enter, the quantity, Enter.")
        hint.setObjectName("formsHint")
        top.addWidget(hint, 1)
        posted_box = QGroupBox("Posted in this session")
        posted_layout = QVBoxLayout(posted_box)
        posted_layout.addWidget(self.reversal_bar)
        posted_layout.addWidget(self.posted_view, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.history_button)
        buttons.addWidget(self.reverse_button)
        posted_layout.addLayout(buttons)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("stockFormsSplitter")
        self.splitter.addWidget(self.tabs)
        self.splitter.addWidget(posted_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([430, 250])  # the session's postings keep room for several rows
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)

        self.exporter = TableExporter(
            ctx.runner,
            lambda: model_source(self.posted_model, self.posted_view.horizontalHeader(), "Stock postings"),
            self,
        )
        self.exporter.message.connect(self.status_message)
        ctx.commits.changed.connect(self._on_commit)
        self._location_changed()
        self._update_buttons()

    # -- location --------------------------------------------------------------------------------

    def _location_combo(self, name: str, remembered: object) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        combo.addItem("Choose…", None)
        for location_id, location_code in self._locations:
            combo.addItem(location_code, location_id)
        known = isinstance(remembered, int | str) and str(remembered).isdigit()
        found = combo.findData(int(str(remembered))) if known else -1
        combo.setCurrentIndex(found if found > 0 else (1 if len(self._locations) == 1 else 0))
        combo.setMinimumContentsLength(10)
        return combo

    def set_location(self, code: str) -> None:
        """Choose the location by code (what a user picks; tests call it)."""
        self.location.setCurrentIndex(self.location.findText(code))

    def _location_changed(self, _index: int = 0) -> None:
        _settings().setValue(LOCATION_KEY, self.location.currentData())
        self.transfer.location_changed()
        self.count.location_changed()

    # -- menu and navigation ---------------------------------------------------------------------

    def open_form(self, key: str) -> QWidget:
        """Bring a form forward with the cursor where a scan lands (the window shows this page first)."""
        window = self.window()
        show = getattr(window, "show_page", None)
        if callable(show) and "stock_forms" in getattr(window, "page_keys", lambda: [])():
            show("stock_forms")
        form = self.forms[key]
        self.tabs.setCurrentWidget(form)
        self._focus_current()
        return form

    def _tab_changed(self) -> None:
        # a count sheet and the history are tables: the session's postings make room for them
        total = sum(self.splitter.sizes()) or 680
        wide = self.tabs.currentWidget() in (self.count, self.history)
        below = min(150, total // 4) if wide else max(total * 2 // 5, 180)
        self.splitter.setSizes([total - below, below])
        self._focus_current()

    def _focus_current(self) -> None:
        widget = self.tabs.currentWidget()
        focus = getattr(widget, "focus_first", None)
        if callable(focus):
            focus()

    def show_history(self, sku_id: int, location_id: int | None) -> None:
        """The ledger history of one SKU x location."""
        self.tabs.setCurrentWidget(self.history)
        self.history.show_pair(sku_id, location_id)

    # -- page hooks ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """F5: re-read the history and the parts shown in the forms."""
        self.history.refresh()
        self._refresh_parts()

    def find(self) -> None:  # type: ignore[override]  # the window's Ctrl+F hook, not QWidget.find
        """Ctrl+F: the history's search, else the current form's part field."""
        if self.tabs.currentWidget() is self.history:
            self.history.find()
        else:
            self._focus_current()

    def export_table(self) -> None:
        """Export the ledger history (on its tab) or this session's postings."""
        if self.tabs.currentWidget() is self.history:
            self.history.export_table()
        else:
            self.exporter.ask_and_export()

    def print_table(self) -> None:
        if self.tabs.currentWidget() is self.history:
            self.history.print_table()
        else:
            self.exporter.print_preview()

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("splitters/stock_forms", self.splitter.saveState())
        self.history.save_state(settings)

    def restore_state(self, settings: QSettings) -> None:
        state = settings.value("splitters/stock_forms")
        if state is not None:
            self.splitter.restoreState(state)
        self.history.restore_state(settings)

    # -- postings --------------------------------------------------------------------------------

    def _posted(self, record: PostingRecord) -> None:
        self.posted_model.add(record)
        self.posted_view.resizeColumnsToContents()
        self.status_message.emit(record.summary)
        self._update_buttons()

    def selected_record(self) -> PostingRecord | None:
        rows = self.posted_view.selectionModel().selectedRows()
        return self.posted_model.records[rows[0].row()] if rows else None

    def _update_buttons(self) -> None:
        record = self.selected_record()
        self.reverse_button.setEnabled(record is not None and record.reversible)
        self.reverse_button.setToolTip(
            record.not_reversible
            if record is not None and record.not_reversible
            else "Undo the selected posting by a counter-posting (the ledger keeps both)"
        )
        self.history_button.setEnabled(record is not None)

    def _history_of_selected(self) -> None:
        record = self.selected_record()
        if record is None:
            return
        with self.ctx.db.sessions() as session:
            from vmi_desktop.models import StockMovement

            movement = session.get(StockMovement, record.movement_ids[0])
        if movement is not None:
            self.show_history(movement.sku_id, movement.location_id)

    def reverse_selected(self, reason: str | None = None) -> PostingRecord | None:
        """Reverse the selected posting by a counter-posting; asks for the reason when none is given."""
        record = self.selected_record()
        if record is None or not record.reversible:
            return None
        if reason is None:
            dialog = ReasonDialog("Reverse posting", f"Why is this {record.what} reversed?\n{record.summary}", self)
            dialog.accepted.connect(lambda: self.reverse_selected(dialog.reason))
            self.reason_dialog = dialog
            dialog.open()
            return None
        try:
            result = stock.reverse(self.ctx.db, self.ctx.actor, record.movement_ids[0], reason=reason)
        except VmiError as exc:
            self.reversal_bar.setText(f"Not reversed: {exc}")
            set_bar_kind(self.reversal_bar, "error")
            self.reversal_bar.show()
            return None
        record.reversed_by = tuple(p.movement_id for p in result.postings)
        self.posted_model.changed(record)
        mine = next((p for p in result.postings if p.quantity == -record.quantity), result.posting)
        reversal = PostingRecord(
            when=utcnow(),
            what=f"reversal of {record.what}",
            part_number=record.part_number,
            location=record.location,
            uom=record.uom,
            quantity=mine.quantity,
            on_hand_before=mine.on_hand_after - mine.quantity,
            on_hand_after=mine.on_hand_after,
            movement_ids=record.reversed_by,
            summary=(
                f"Reversed the {record.what} of {record.part_number} ({reason}): on hand at "
                f"{record.location.split(' → ')[0]} {qty(mine.on_hand_after - mine.quantity)} → "
                f"{qty(mine.on_hand_after, record.uom)}."
            ),
            reference=f"reversal of #{record.movement_ids[0]}",
            not_reversible="a reversal is not reversed again; post the original once more",
        )
        self.posted_model.add(reversal)
        self.reversal_bar.setText(reversal.summary)
        set_bar_kind(self.reversal_bar, "ok")
        self.reversal_bar.show()
        self.status_message.emit(reversal.summary)
        self._refresh_parts()
        self._update_buttons()
        return reversal

    def _after_reversal_elsewhere(self) -> None:
        self._refresh_parts()

    # -- live ------------------------------------------------------------------------------------

    def _on_commit(self, changes: Changes) -> None:
        if changes.pairs and self.isVisible():
            self._refresh_parts()

    def _refresh_parts(self) -> None:
        for form in (self.consume, self.receive, self.adjust, self.transfer):
            form.part.refresh()
