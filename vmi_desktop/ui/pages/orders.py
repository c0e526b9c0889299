"""Purchase orders: a lazily paged list filtered by status, the selected order's detail, decisions.

The list asks ``vmi_desktop.queries.orders`` for one page at a time; the
actions call the order service (``vmi_desktop.replenishment.orders``), each
in one transaction, and show a refusal next to the buttons instead of in a
blocking message box. Buttons follow the role (``ctx.can``) and the
selected order's status.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QItemSelection, QModelIndex, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from vmi_desktop import order_status
from vmi_desktop.commands import orders as order_commands
from vmi_desktop.db import Changes, Database
from vmi_desktop.errors import VmiError
from vmi_desktop.models import POStatus
from vmi_desktop.queries.orders import (
    OrderDetail,
    OrderFilter,
    OrderRow,
    count_orders,
    fetch_orders,
    order_detail,
)
from vmi_desktop.scope import Action
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.dialogs.order_manual import ManualOrderDialog
from vmi_desktop.ui.dialogs.order_reason import ReasonDialog
from vmi_desktop.ui.dialogs.order_receipt import ReceiptDialog
from vmi_desktop.ui.export import ExportSource, TableExporter, install_export_menu, visible_columns
from vmi_desktop.ui.numbers import format_count, format_decimal
from vmi_desktop.ui.pages._lazy import Column, LazyRowsModel, keep_sort_indicator
from vmi_desktop.ui.tasks import TaskHandle
from vmi_desktop.ui.widgets import error_label

log = logging.getLogger(__name__)

_STATUS_COLOURS = {
    POStatus.AWAITING_APPROVAL: QColor(190, 100, 0),
    POStatus.DRAFT: QColor(110, 110, 110),
    POStatus.REJECTED: QColor(176, 0, 32),
    POStatus.CANCELLED: QColor(130, 130, 130),
    POStatus.RECEIVED: QColor(30, 120, 50),
}


def status_text(status: POStatus | None) -> str:
    return status.value.replace("_", " ") if status is not None else ""


def _date(value: object) -> str:
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "hour") else str(value)  # type: ignore[attr-defined]


ORDER_COLUMNS = [
    Column("PO", lambda r: r.po_number, "po_number"),
    Column("Status", lambda r: status_text(r.status), "status", foreground=lambda r: _STATUS_COLOURS.get(r.status)),
    Column("Vendor", lambda r: r.vendor, "vendor"),
    Column("Location", lambda r: r.location, "location"),
    Column("Origin", lambda r: r.origin.value, "origin"),
    Column("Lines", lambda r: str(r.lines), None, align_right=True, export=lambda r: r.lines),
    Column("Created (UTC)", lambda r: _date(r.created_at), "created_at", export=lambda r: r.created_at),
    Column("Need by", lambda r: _date(r.need_by), "need_by", export=lambda r: r.need_by),
    Column("Hold reason", lambda r: r.hold_reason, None),
]


class OrdersPage(QWidget):
    """The purchase-order list with filters, detail pane and the decisions a role allows."""

    status_message = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.filter = OrderFilter(statuses=frozenset(order_status.OPEN))
        self.detail: OrderDetail | None = None
        self.receipt_dialog: ReceiptDialog | None = None
        self.order_dialog: ManualOrderDialog | None = None
        self.reason_dialog: ReasonDialog | None = None
        self._sized = False
        self._count_generation = 0
        #: Orders matching the filter (None while counting).
        self.total: int | None = None

        # -- filter bar
        self.status_button = QToolButton()
        self.status_button.setObjectName("statusFilter")
        self.status_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.status_menu = QMenu(self)
        self.status_actions: dict[POStatus, QAction] = {}
        for preset, statuses in (
            ("Open orders", order_status.OPEN),
            ("Needs decision", order_status.DECIDABLE),
            ("All", frozenset(POStatus)),
        ):
            act = self.status_menu.addAction(preset)
            act.triggered.connect(partial(self.set_statuses, frozenset(statuses)))
        self.status_menu.addSeparator()
        for status in POStatus:
            act = self.status_menu.addAction(status_text(status))
            act.setCheckable(True)
            act.setChecked(status in order_status.OPEN)
            act.toggled.connect(self._status_toggled)
            self.status_actions[status] = act
        self.status_button.setMenu(self.status_menu)
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText("Search PO number, vendor, location, supplier order…")
        self.search.setClearButtonEnabled(True)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(200)
        self._search_timer.timeout.connect(self._apply_search)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.count_label = QLabel("")

        # -- actions
        self.approve_button = QPushButton("Approve")
        self.reject_button = QPushButton("Reject…")
        self.receive_button = QPushButton("Record receipt…")
        self.cancel_button = QPushButton("Cancel order…")
        self.new_button = QPushButton("New order…")
        self.reorder_button = QPushButton("Run reorder check")
        self.reorder_button.setObjectName("reorder")
        self.reorder_button.setToolTip("Raise what every SKU x location at or below min needs (off the UI thread)")
        self.reorder_button.setEnabled(ctx.can(Action.RUN_REORDER))
        self.reorder_button.clicked.connect(self.run_reorder)
        self.reorder_progress = QProgressBar()
        self.reorder_progress.setObjectName("reorderProgress")
        self.reorder_progress.setMaximumWidth(220)
        self.reorder_progress.setTextVisible(True)
        self.reorder_progress.hide()
        self.reorder_cancel = QPushButton("Cancel")
        self.reorder_cancel.setObjectName("reorderCancel")
        self.reorder_cancel.hide()
        self.reorder_cancel.clicked.connect(lambda: self.reorder_task.cancel() if self.reorder_task else None)
        self.reorder_task: TaskHandle | None = None
        for name, button in (
            ("approve", self.approve_button),
            ("reject", self.reject_button),
            ("receive", self.receive_button),
            ("cancel", self.cancel_button),
            ("new", self.new_button),
        ):
            button.setObjectName(name)
        self.approve_button.clicked.connect(self.approve_selected)
        self.reject_button.clicked.connect(lambda: self.reject_selected())
        self.receive_button.clicked.connect(self.open_receipt_dialog)
        self.cancel_button.clicked.connect(lambda: self.cancel_selected())
        self.new_button.clicked.connect(self.open_new_order_dialog)
        self.new_button.setEnabled(ctx.can(Action.CREATE_ORDER))
        if not ctx.can(Action.APPROVE_ORDER):
            for b in (self.approve_button, self.reject_button):
                b.setToolTip("Only a parts manager approves or rejects orders")
        self.error = error_label()

        # -- list
        self.model = LazyRowsModel(ctx.db, ORDER_COLUMNS, self._fetch, page_size=200)
        self.table = QTableView()
        self.table.setObjectName("orders")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(6, Qt.SortOrder.DescendingOrder)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.verticalHeader().setVisible(False)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        keep_sort_indicator(self.table, self.model)
        self.exporter = TableExporter(ctx.runner, self.export_source, self)
        self.exporter.message.connect(self.status_message)
        self._stale = False
        self.commit_timer = QTimer(self)
        self.commit_timer.setSingleShot(True)
        self.commit_timer.setInterval(150)
        self.commit_timer.timeout.connect(self._apply_commits)
        ctx.commits.changed.connect(self._on_commit)

        # -- detail
        self.header = QLabel("Select an order to see its lines and history.")
        self.header.setObjectName("orderHeader")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.lines = QTableWidget(0, 9)
        self.lines.setObjectName("lines")
        self.lines.setHorizontalHeaderLabels(
            ["Line", "SKU", "Description", "Ordered", "Acknowledged", "Shipped", "Received", "Open", "Status"]
        )
        self.lines.setToolTip("Double-click or Enter on a line: its part")
        self.lines.doubleClicked.connect(self._line_activated)
        self.lines.activated.connect(self._line_activated)
        self.history = QTableWidget(0, 5)
        self.history.setObjectName("history")
        self.history.setHorizontalHeaderLabels(["When (UTC)", "From", "To", "By", "Note"])
        for t in (self.lines, self.history):
            t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            t.verticalHeader().setVisible(False)
            t.horizontalHeader().setStretchLastSection(True)
        self.lines_exporter = install_export_menu(self.lines, lambda: self._detail_title("lines"), ctx.runner)
        self.history_exporter = install_export_menu(self.history, lambda: self._detail_title("history"), ctx.runner)
        tabs = QTabWidget()
        tabs.addTab(self.lines, "Lines")
        tabs.addTab(self.history, "Status history")
        detail = QWidget()
        dl = QVBoxLayout(detail)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.addWidget(self.header)
        dl.addWidget(tabs, 1)

        top = QHBoxLayout()
        top.addWidget(QLabel("Status:"))
        top.addWidget(self.status_button)
        top.addWidget(self.search, 1)
        top.addWidget(self.count_label)
        buttons = QHBoxLayout()
        for b in (self.approve_button, self.reject_button, self.receive_button, self.cancel_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.reorder_progress)
        buttons.addWidget(self.reorder_cancel)
        buttons.addWidget(self.reorder_button)
        buttons.addWidget(self.new_button)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setObjectName("ordersSplitter")
        splitter.addWidget(self.table)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self._update_status_button()
        self._update_buttons()
        self.refresh()

    # -- list ----------------------------------------------------------------------------------

    def _fetch(self, session: Session, sort: str, descending: bool, offset: int, limit: int) -> list[OrderRow]:
        return fetch_orders(
            session, self.ctx.actor, self.filter, sort=sort, descending=descending, offset=offset, limit=limit
        )

    def refresh(self) -> None:
        """Reload the list from the first page (F5), keeping the selected order if it is still listed."""
        keep = self.detail.id if self.detail else None
        self.model.reload()
        self._count()
        if not self._sized and self.model.rowCount():
            self.table.horizontalHeader().setResizeContentsPrecision(50)  # look at 50 rows, not all
            self.table.resizeColumnsToContents()  # once, from the first page only
            self._sized = True
        if keep is not None and not self.select_order(keep):
            self._show_detail(None)

    def save_state(self, settings: QSettings) -> None:
        """Column layout (widths, order, sort) and the list/detail split, for the next start."""
        settings.setValue("columns/orders", self.table.horizontalHeader().saveState())
        settings.setValue("splitters/orders", self.splitter.saveState())

    def restore_state(self, settings: QSettings) -> None:
        header = settings.value("columns/orders")
        if header is not None and self.table.horizontalHeader().restoreState(header):
            self._sized = True  # the user's widths win over fitting to the contents
        split = settings.value("splitters/orders")
        if split is not None:
            self.splitter.restoreState(split)

    def _count(self) -> None:
        """Count the matching orders on the task runner; only the newest count is shown."""
        self._count_generation += 1
        generation = self._count_generation
        self.total = None
        db, actor, flt = self.ctx.db, self.ctx.actor, self.filter
        self.count_label.setText("counting…")

        def work(_report: Callable[[float, str], None]) -> int:
            with db.sessions() as session:
                return count_orders(session, actor, flt)

        def done(total: int) -> None:
            if generation == self._count_generation:
                self.total = total
                self.count_label.setText(f"{format_count(total)} orders")

        self.ctx.runner.run(work, on_result=done, owner=self)  # skipped once the page is gone

    # -- export, print, live rows --------------------------------------------------------------

    def _fetch_for(self, flt: OrderFilter) -> Callable[[Session, str, bool, int, int], list[OrderRow]]:
        actor = self.ctx.actor

        def fetch(session: Session, sort: str, descending: bool, offset: int, limit: int) -> list[OrderRow]:
            return fetch_orders(session, actor, flt, sort=sort, descending=descending, offset=offset, limit=limit)

        return fetch

    def export_source(self) -> ExportSource:
        """Every order the status filter and the search match, the visible columns, the current sort."""
        statuses = self.status_button.text().rstrip(" ▾")
        search = f" · search {self.filter.search.strip()!r}" if self.filter.search.strip() else ""
        return self.model.export_source(
            visible_columns(self.table.horizontalHeader()),
            "Purchase orders",
            f"{statuses}{search}",
            fetch=self._fetch_for(self.filter),
        )

    def export_table(self) -> None:
        """File > Export: the order list as filtered (right-click the lines or history for those)."""
        self.exporter.ask_and_export()

    def print_table(self) -> None:
        """File > Print: the order list as filtered."""
        self.exporter.print_preview()

    def _detail_title(self, what: str) -> str:
        number = self.detail.po_number if self.detail else "order"
        return f"{number} {what}"

    def _on_commit(self, changes: Changes) -> None:
        if not (changes.orders or changes.alerts):
            return
        self._stale = True
        if self.isVisible():
            self.commit_timer.start()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.commit_timer.stop()
            self._apply_commits()  # what changed while the page was hidden, before it is seen

    def _apply_commits(self) -> None:
        """Orders changed (here, by a sync, by a receipt elsewhere): the list and the open detail again."""
        self._stale = False
        self.refresh()
        if self.detail is not None:
            self._load_detail(self.detail.id)

    def find(self) -> None:  # type: ignore[override]  # the window's Ctrl+F hook, not QWidget.find
        """Ctrl+F: jump to the search box."""
        self.search.setFocus()
        self.search.selectAll()

    def set_statuses(self, statuses: frozenset[POStatus] | None) -> None:
        """Show only orders in ``statuses`` (None = all)."""
        wanted = frozenset(POStatus) if statuses is None else statuses
        for status, act in self.status_actions.items():
            act.blockSignals(True)
            act.setChecked(status in wanted)
            act.blockSignals(False)
        self._status_toggled()

    def _status_toggled(self, _checked: bool = False) -> None:
        checked = frozenset(s for s, a in self.status_actions.items() if a.isChecked())
        self.filter = OrderFilter(statuses=checked, search=self.filter.search)
        self._update_status_button()
        self.refresh()

    def _update_status_button(self) -> None:
        statuses = self.filter.statuses or frozenset()
        if statuses == frozenset(POStatus):
            text = "All"
        elif statuses == order_status.OPEN:
            text = "Open orders"
        elif len(statuses) <= 2:
            text = ", ".join(status_text(s) for s in sorted(statuses)) or "None"
        else:
            text = f"{len(statuses)} statuses"
        self.status_button.setText(text + " ▾")

    def _apply_search(self) -> None:
        self.filter = OrderFilter(statuses=self.filter.statuses, search=self.search.text())
        self.refresh()

    def select_order(self, po_id: int, max_pages: int = 5) -> bool:
        """Select the order with ``po_id`` among the loaded rows (fetching a few more pages if needed)."""
        found = self.model.find_row(lambda row: row.id == po_id, max_pages)
        if found is None:
            return False
        self.table.selectRow(found)
        self._load_detail(po_id)
        return True

    def _selection_changed(self, _sel: QItemSelection, _desel: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            self._show_detail(None)
            return
        self._load_detail(self.model.row(rows[0].row()).id)

    # -- detail --------------------------------------------------------------------------------

    def _line_activated(self, index: QModelIndex) -> None:
        """A line names a SKU: open its part at the order's location."""
        from vmi_desktop.ui.part_page import open_part

        if self.detail is not None and index.isValid() and 0 <= index.row() < len(self.detail.lines):
            open_part(self, self.detail.lines[index.row()].sku_id, self.detail.location_id)

    def _load_detail(self, po_id: int) -> None:
        with self.ctx.db.sessions() as session:
            self._show_detail(order_detail(session, self.ctx.actor, po_id))

    def _show_detail(self, detail: OrderDetail | None) -> None:
        self.detail = detail
        self.error.setText("")
        if detail is None:
            self.header.setText("Select an order to see its lines and history.")
            self.lines.setRowCount(0)
            self.history.setRowCount(0)
            self._update_buttons()
            return
        hold = f"<br><b>Held:</b> {detail.hold_reason}" if detail.hold_reason else ""
        supplier = f" · supplier order {detail.supplier_order_id}" if detail.supplier_order_id else ""
        self.header.setText(
            f"<b>{detail.po_number}</b> — {status_text(detail.status)} · {detail.vendor} → {detail.location} · "
            f"{detail.origin.value} · created {_date(detail.created_at)} by {detail.created_by}"
            f"{' · need by ' + str(detail.need_by) if detail.need_by else ''}{supplier}{hold}"
        )
        self.lines.setRowCount(len(detail.lines))
        for r, ln in enumerate(detail.lines):
            values = [
                str(ln.line_no),
                ln.part_number,
                ln.description,
                format_decimal(ln.ordered),
                format_decimal(ln.acknowledged) if ln.acknowledged is not None else "",
                format_decimal(ln.shipped),
                format_decimal(ln.received),
                format_decimal(ln.open_quantity) if ln.status == "open" else "0",
                ln.status,
            ]
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                if 3 <= c <= 7:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.lines.setItem(r, c, item)
        self.history.setRowCount(len(detail.history))
        for r, h in enumerate(detail.history):
            for c, text in enumerate(
                [_date(h.changed_at), status_text(h.from_status), status_text(h.to_status), h.changed_by, h.note]
            ):
                self.history.setItem(r, c, QTableWidgetItem(text))
        self.lines.resizeColumnsToContents()
        self.history.resizeColumnsToContents()
        self._update_buttons()

    def _update_buttons(self) -> None:
        status = self.detail.status if self.detail else None
        can = self.ctx.can
        self.approve_button.setEnabled(status in order_status.DECIDABLE and can(Action.APPROVE_ORDER))
        self.reject_button.setEnabled(status in order_status.DECIDABLE and can(Action.APPROVE_ORDER))
        self.receive_button.setEnabled(status in order_status.RECEIVABLE and can(Action.RECEIVE_ORDER))
        self.cancel_button.setEnabled(
            status in order_status.CANCELLABLE and (can(Action.CREATE_ORDER) or can(Action.SUPPLIER_ORDER))
        )

    # -- actions -------------------------------------------------------------------------------

    def _act(self, what: str, fn: Callable[[Database, int], object]) -> bool:
        """Run one action in one transaction; show a refusal next to the buttons."""
        assert self.detail is not None
        po_id, number = self.detail.id, self.detail.po_number
        try:
            fn(self.ctx.db, po_id)
        except VmiError as exc:
            self.error.setText(str(exc))
            return False
        self.status_message.emit(f"{number} {what}")
        self.refresh()
        self._load_detail(po_id)
        return True

    def approve_selected(self) -> bool:
        """Approve the selected held or proposed order."""
        if self.detail is None:
            return False
        return self._act("approved", lambda db, po_id: order_commands.approve(db, self.ctx.actor, po_id))

    def reject_selected(self, reason: str | None = None) -> bool:
        """Reject with ``reason``; without one, ask for it in a (non-blocking) dialog."""
        if self.detail is None:
            return False
        if reason is None:
            self._ask_reason("Reject order", f"Why is {self.detail.po_number} rejected?", self.reject_selected)
            return False
        return self._act("rejected", lambda db, po_id: order_commands.reject(db, self.ctx.actor, po_id, reason))

    def cancel_selected(self, reason: str | None = None) -> bool:
        """Cancel with ``reason``; without one, ask for it."""
        if self.detail is None:
            return False
        if reason is None:
            self._ask_reason("Cancel order", f"Why is {self.detail.po_number} cancelled?", self.cancel_selected)
            return False
        return self._act("cancelled", lambda db, po_id: order_commands.cancel(db, self.ctx.actor, po_id, reason))

    def _ask_reason(self, title: str, prompt: str, then: Callable[[str], bool]) -> None:
        dialog = ReasonDialog(title, prompt, self)
        dialog.accepted.connect(lambda: then(dialog.reason))
        self.reason_dialog = dialog
        dialog.open()

    def open_receipt_dialog(self) -> ReceiptDialog | None:
        """Open the receipt dialog for the selected order (window-modal, not blocking)."""
        if self.detail is None:
            return None
        dialog = ReceiptDialog(self.ctx, self.detail, self)
        po_id = self.detail.id

        def done() -> None:
            self.status_message.emit(f"receipt {dialog.receipt_number} recorded for {dialog.order.po_number}")
            self.refresh()
            self._load_detail(po_id)

        dialog.accepted.connect(done)
        self.receipt_dialog = dialog
        dialog.open()
        return dialog

    def run_reorder(self) -> TaskHandle | None:
        """Run the reorder check on the task runner, with a progress bar and Cancel.

        The check and what it raises are one transaction: cancelling before it commits rolls
        everything back, so a cancelled run leaves no half-raised orders.
        """
        from vmi_desktop.commands.reorder import run_reorder
        from vmi_desktop.replenishment.reorder import ReorderResult

        if not self.ctx.can(Action.RUN_REORDER) or self.reorder_task is not None:
            return None
        db, actor = self.ctx.db, self.ctx.actor

        def work(report: Callable[[float, str], None]) -> ReorderResult:
            report(0.0, "checking every SKU x location")
            # report raises Cancelled (-> rollback) if the user cancelled meanwhile
            return run_reorder(db, actor, before_commit=lambda _result: report(0.9, "saving"))

        def done(result: ReorderResult) -> None:
            self.status_message.emit(
                f"reorder check: {len(result.needs)} pair(s) at or below min; {len(result.orders)} order(s) "
                f"raised or extended ({result.lines} line(s)), {result.alerts_raised} alert(s)"
            )
            self.refresh()

        def failed(exc: BaseException) -> None:
            self.error.setText(f"reorder check failed: {exc}")

        def finished() -> None:
            self.reorder_task = None
            self.reorder_progress.hide()
            self.reorder_cancel.hide()
            self.reorder_button.setEnabled(self.ctx.can(Action.RUN_REORDER))

        def progress(fraction: float, text: str) -> None:
            self.reorder_progress.setRange(0, 0 if fraction < 0.9 else 100)  # busy until it saves
            self.reorder_progress.setValue(int(fraction * 100))
            self.reorder_progress.setFormat(text)

        self.error.setText("")
        self.reorder_button.setEnabled(False)
        self.reorder_progress.setRange(0, 0)
        self.reorder_progress.show()
        self.reorder_cancel.show()
        handle = self.ctx.runner.run(
            work,
            on_result=done,
            on_error=failed,
            on_progress=progress,
            on_cancelled=lambda: self.status_message.emit("reorder check cancelled"),
            on_finished=finished,
        )
        self.reorder_task = handle
        return handle

    def open_new_order_dialog(self) -> ManualOrderDialog | None:
        """Open the manual-order dialog; the new order is selected when it is created."""
        if not self.ctx.can(Action.CREATE_ORDER):
            return None
        dialog = ManualOrderDialog(self.ctx, self)

        def done() -> None:
            self.status_message.emit(f"order {dialog.created_po_number} created")
            self.set_statuses(frozenset(POStatus))
            if dialog.created_po_id is not None:
                self.select_order(dialog.created_po_id)

        dialog.accepted.connect(done)
        self.order_dialog = dialog
        dialog.open()
        return dialog
