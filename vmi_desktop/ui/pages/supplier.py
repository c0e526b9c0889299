"""The supplier workspace: its orders to answer and ship, its pairs, its scorecard; export of what it sees.

Everything here is read through the supplier's scope (``ctx.actor``) and changed through the commands
its sync uses too. For a preview actor (a parts manager's "view as supplier", or SQLite) the same page
shows the same rows and every action is disabled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from vmi_desktop import order_status
from vmi_desktop.models import POStatus, Vendor
from vmi_desktop.queries.orders import OrderDetail, OrderFilter, OrderRow, fetch_orders, order_detail
from vmi_desktop.queries.proposals import ProposalOutcome
from vmi_desktop.queries.supplier import PairTerms, supplier_pairs
from vmi_desktop.queries.supplier_workspace import SCORECARD_DAYS, WorkspaceSummary, workspace_summary
from vmi_desktop.replenishment.metrics import SkuMetrics, VendorMetrics
from vmi_desktop.scope import Action, visible
from vmi_desktop.supplier_export import export_workspace
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.dialogs.supplier import AcknowledgeDialog, ProposeThresholdsDialog, RaiseOrderDialog, ShipDialog
from vmi_desktop.ui.numbers import format_count, format_decimal
from vmi_desktop.ui.pages._lazy import Column, LazyRowsModel
from vmi_desktop.ui.widgets import error_label

log = logging.getLogger(__name__)

#: Pairs the health table shows, the worst first (the export writes every pair).
HEALTH_ROWS_SHOWN = 500


def _qty(value: Decimal | None) -> str:
    return format_decimal(value) if value is not None else ""


def _price(value: Decimal) -> str:
    """A price with its cents (3.10), or all its decimals when it has more (6.6601)."""
    cents = value.quantize(Decimal("0.01"))
    return format_decimal(cents if cents == value else value, trailing_zeros=cents == value)


def _pct(value: Decimal | None) -> str:
    return f"{float(value):.0%}" if value is not None else "n/a"


def _when(value: object) -> str:
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "hour") else str(value)  # type: ignore[attr-defined]


ORDER_COLUMNS = [
    Column("PO", lambda r: r.po_number, "po_number"),
    Column("Status", lambda r: order_status.label(r.status), "status"),
    Column("Location", lambda r: r.location, "location"),
    Column("Origin", lambda r: r.origin.value, "origin"),
    Column("Lines", lambda r: str(r.lines), None, align_right=True),
    Column("Created (UTC)", lambda r: _when(r.created_at), "created_at"),
    Column("Need by", lambda r: _when(r.need_by), "need_by"),
    Column("Held because", lambda r: r.hold_reason, None),
]

PAIR_COLUMNS = [
    Column("SKU", lambda p: p.part_number, "part_number"),
    Column("Description", lambda p: p.description, None),
    Column("Location", lambda p: p.location, "location"),
    Column("Your part", lambda p: p.supplier_sku, None),
    Column("On hand", lambda p: _qty(p.on_hand), None, align_right=True),
    Column("Your open orders", lambda p: _qty(p.on_order), None, align_right=True),
    Column("Min", lambda p: _qty(p.min_qty), None, align_right=True),
    Column("Max", lambda p: _qty(p.max_qty), None, align_right=True),
    Column("Mode", lambda p: p.mode.value.replace("_", " "), None),
    Column("Lead time (d)", lambda p: str(p.lead_time_days), None, align_right=True),
    Column("Pack", lambda p: _qty(p.pack_size), None, align_right=True),
    Column("Price", lambda p: f"{_price(p.unit_price)} {p.currency}", None),
]


#: Fitting a column to its contents measures this many rows, about a screenful: every cell of the 500
#: rows of the health table, or of every fetched page of a large supplier's pairs, took over a second.
SIZED_ROWS = 50


def _table(headers: list[str], name: str) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setResizeContentsPrecision(SIZED_ROWS)
    _compact_rows(table)
    return table


def _lazy_view(model: LazyRowsModel, name: str, sort_column: int, order: Qt.SortOrder) -> QTableView:
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.horizontalHeader().setSortIndicator(sort_column, order)
    view.setSortingEnabled(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setResizeContentsPrecision(SIZED_ROWS)
    view.verticalHeader().setVisible(False)
    _compact_rows(view)
    return view


def _compact_rows(view: QTableView) -> None:
    """Rows one line of text high, as on the other pages (Qt's default is 30 px whatever the font)."""
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)


class SupplierWorkspacePage(QWidget):
    """A supplier's orders (acknowledge, ship, raise), its pairs (propose thresholds, charts), its scorecard."""

    status_message = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._sized: set[QTableView] = set()
        self.detail: OrderDetail | None = None
        self.dialog: Any = None
        #: The scorecard, the worst pairs' health and the proposals, read on the task runner (None until the
        #: first read is back); one read at a time, a commit during it reads again once it is done.
        self.summary: WorkspaceSummary | None = None
        self._summary_running = False
        self._summary_stale = False
        with ctx.db.sessions() as session:
            vendor = session.execute(select(Vendor.code, Vendor.name).where(visible(ctx.actor, Vendor))).first()
        self.vendor_code, self.vendor_name = (vendor[0], vendor[1]) if vendor else ("", "")
        may_order = ctx.can(Action.SUPPLIER_ORDER)
        may_propose = ctx.can(Action.PROPOSE_THRESHOLDS)
        why_not = "a preview shows what the supplier sees and changes nothing" if ctx.actor.preview else ""

        title = QLabel(f"<b>{self.vendor_code}</b> — {self.vendor_name}: your orders, pairs and scorecard")
        title.setObjectName("workspaceTitle")
        self.export_button = QPushButton("Export…")
        self.export_button.setObjectName("export")
        self.export_button.setToolTip("Write what this workspace shows as CSV files into a folder")
        self.export_button.clicked.connect(self.choose_export_folder)
        top = QHBoxLayout()
        top.addWidget(title, 1)
        top.addWidget(self.export_button)

        # -- orders
        self.orders_model = LazyRowsModel(ctx.db, ORDER_COLUMNS, self._fetch_orders, page_size=200)
        self.orders_view = _lazy_view(self.orders_model, "supplierOrders", 5, Qt.SortOrder.DescendingOrder)
        self.orders_view.selectionModel().selectionChanged.connect(lambda *_a: self._order_selected())
        self.order_header = QLabel("Select an order to answer or ship it.")
        self.order_header.setObjectName("orderHeader")
        self.order_header.setWordWrap(True)
        self.order_lines = _table(
            ["Line", "SKU", "Description", "Ordered", "Acknowledged", "Shipped", "Received", "Status"], "orderLines"
        )
        self.ack_button = QPushButton("Acknowledge…")
        self.ship_button = QPushButton("Ship…")
        self.raise_button = QPushButton("Raise order…")
        for name, button, slot in (
            ("acknowledge", self.ack_button, self.open_acknowledge),
            ("ship", self.ship_button, self.open_ship),
            ("raise", self.raise_button, self.open_raise),
        ):
            button.setObjectName(name)
            button.clicked.connect(slot)
            if not may_order:
                button.setToolTip(why_not)
        self.raise_button.setEnabled(may_order)
        self.error = error_label()
        order_buttons = QHBoxLayout()
        order_buttons.addWidget(self.ack_button)
        order_buttons.addWidget(self.ship_button)
        order_buttons.addStretch(1)
        order_buttons.addWidget(self.raise_button)
        detail = QWidget()
        dl = QVBoxLayout(detail)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.addWidget(self.order_header)
        dl.addWidget(self.order_lines, 1)
        orders_split = QSplitter(Qt.Orientation.Vertical)
        orders_split.addWidget(self.orders_view)
        orders_split.addWidget(detail)
        orders_split.setStretchFactor(0, 3)
        orders_split.setStretchFactor(1, 2)
        orders_tab = QWidget()
        ol = QVBoxLayout(orders_tab)
        ol.addWidget(orders_split, 1)
        ol.addWidget(self.error)
        ol.addLayout(order_buttons)

        # -- pairs
        self.pairs_model = LazyRowsModel(
            ctx.db, PAIR_COLUMNS, self._fetch_pairs, page_size=500, sort_key="part_number", descending=False
        )
        self.pairs_view = _lazy_view(self.pairs_model, "supplierPairs", 0, Qt.SortOrder.AscendingOrder)
        self.pairs_view.selectionModel().selectionChanged.connect(lambda *_a: self._pair_selected())
        self.propose_button = QPushButton("Propose thresholds…")
        self.propose_button.setObjectName("propose")
        self.propose_button.clicked.connect(self.open_propose)
        self.propose_button.setEnabled(False)
        if not may_propose:
            self.propose_button.setToolTip(why_not)
        self.chart_title = QLabel("Select a pair to see its stock and usage.")
        self.chart_title.setObjectName("pairChartTitle")
        self.chart_tabs = QTabWidget()
        self.stock_chart: Any = None
        self.consumption_chart: Any = None
        pairs_tab = QWidget()
        pl = QVBoxLayout(pairs_tab)
        pairs_split = QSplitter(Qt.Orientation.Vertical)
        pairs_split.addWidget(self.pairs_view)
        chart_box = QWidget()
        cl = QVBoxLayout(chart_box)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.addWidget(self.chart_title)
        cl.addWidget(self.chart_tabs, 1)
        pairs_split.addWidget(chart_box)
        pairs_split.setStretchFactor(0, 2)
        pairs_split.setStretchFactor(1, 3)
        pairs_split.setSizes([260, 380])
        pl.addWidget(pairs_split, 1)
        pb = QHBoxLayout()
        pb.addStretch(1)
        pb.addWidget(self.propose_button)
        pl.addLayout(pb)

        # -- scorecard
        self.score_labels: dict[str, QLabel] = {}
        self.card = card = QGroupBox(f"Scorecard, last {SCORECARD_DAYS} days (reading…)")
        form = QFormLayout(card)
        for key, text in (
            ("fill_rate_units", "Fill rate (units by need-by)"),
            ("fill_rate_lines", "Lines filled complete"),
            ("order_accuracy", "Order accuracy"),
            ("response_median_hours", "Response (median)"),
            ("response_p90_hours", "Response (90th percentile)"),
            ("avg_cycle_days", "Order cycle time"),
            ("orders_received", "Orders received"),
            ("sla", "Agreed service level"),
        ):
            label = QLabel("n/a")
            label.setObjectName(f"score_{key}")
            self.score_labels[key] = label
            form.addRow(text, label)
        self.slow_movers = _table(
            ["SKU", "Location", "On hand", "Consumed", "Days of supply", "Turns", "Excess", "Slow mover"], "slowMovers"
        )
        self.health_box = health_box = QGroupBox("Your pairs' health (slow movers and excess first)")
        QVBoxLayout(health_box).addWidget(self.slow_movers)
        score_tab = QWidget()
        sl = QHBoxLayout(score_tab)
        sl.addWidget(card, 2)
        sl.addWidget(health_box, 5)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("workspaceTabs")
        self.tabs.addTab(orders_tab, "Orders")
        self.tabs.addTab(pairs_tab, "Your pairs")
        self.tabs.addTab(score_tab, "Scorecard")
        self.proposals_table = _table(
            ["SKU", "Location", "Proposed min", "Proposed max", "Your reason", "Sent (UTC)", "Decision", "Note"],
            "yourProposals",
        )
        self.tabs.addTab(self.proposals_table, "Your proposals")
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        self._commit_hook = lambda _changes: self.refresh()
        ctx.commits.changed.connect(self._commit_hook)
        self.refresh()

    # -- reading ------------------------------------------------------------------------------

    def _fetch_orders(self, session: Session, sort: str, descending: bool, offset: int, limit: int) -> list[OrderRow]:
        return fetch_orders(
            session, self.ctx.actor, OrderFilter(), sort=sort, descending=descending, offset=offset, limit=limit
        )

    def _fetch_pairs(self, session: Session, sort: str, descending: bool, offset: int, limit: int) -> list[PairTerms]:
        return supplier_pairs(session, self.ctx.actor, sort=sort, descending=descending, offset=offset, limit=limit)

    def refresh(self) -> None:
        """Reload orders, pairs and scorecard (F5, and after every committed change)."""
        keep = self.detail.id if self.detail else None
        self.orders_model.reload()
        self.pairs_model.reload()
        for view in (self.orders_view, self.pairs_view):
            if view not in self._sized and view.model().rowCount():
                view.resizeColumnsToContents()  # once, from the first rows: later the user's widths stay
                self._sized.add(view)
        self._load_summary()
        if keep is not None and not self.select_order(keep):
            self._show_order(None)
        self._update_buttons()

    def _load_summary(self) -> None:
        """Read the scorecard, the pairs' health and the proposals on the task runner (the health of a
        large supplier's pairs takes many seconds); a refresh asked for meanwhile reads again after it."""
        if self._summary_running:
            self._summary_stale = True
            return
        self._summary_running, self._summary_stale = True, False  # shown values stay until the new ones come
        db, actor = self.ctx.db, self.ctx.actor

        def work(_report: Callable[[float, str], None]) -> WorkspaceSummary:
            with db.sessions() as session:
                return workspace_summary(session, actor, shown=HEALTH_ROWS_SHOWN)

        def finished() -> None:
            self._summary_running = False
            if self._summary_stale:
                self._load_summary()

        def done(summary: WorkspaceSummary) -> None:
            self._show_summary(summary)
            finished()

        def failed(exc: BaseException) -> None:
            self.card.setTitle(f"Scorecard, last {SCORECARD_DAYS} days: could not be read ({exc})")
            finished()

        self.ctx.runner.run(work, on_result=done, on_error=failed, owner=self)

    @property
    def summary_loaded(self) -> bool:
        return self.summary is not None

    def _show_summary(self, summary: WorkspaceSummary) -> None:
        self.summary = summary
        self.card.setTitle(f"Scorecard, last {SCORECARD_DAYS} days")
        self._show_scorecard(summary.metrics)
        self._show_health(summary.health, summary.pairs)
        self._show_proposals(summary.proposals)

    def _show_proposals(self, proposals: list[ProposalOutcome]) -> None:
        """The supplier's threshold proposals, newest first, with the parts manager's answer."""
        self.proposals_table.setRowCount(len(proposals))
        for r, p in enumerate(proposals):
            decided = f"{p.status.value} {p.decided_at:%Y-%m-%d}" if p.decided_at else p.status.value
            cells = [
                p.part_number,
                p.location_code,
                _qty(p.proposed_min),
                _qty(p.proposed_max),
                p.reason,
                f"{p.created_at:%Y-%m-%d %H:%M}",
                decided,
                p.decision_note,
            ]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c in (2, 3):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.proposals_table.setItem(r, c, item)
        self.proposals_table.resizeColumnsToContents()

    def _show_scorecard(self, m: VendorMetrics | None) -> None:
        hours = lambda v: f"{v:.1f} h" if v is not None else "n/a"  # noqa: E731
        values = {
            "fill_rate_units": _pct(m.fill_rate_units) if m else "n/a",
            "fill_rate_lines": _pct(m.fill_rate_lines) if m else "n/a",
            "order_accuracy": _pct(m.order_accuracy) if m else "n/a",
            "response_median_hours": hours(m.response_median_hours) if m else "n/a",
            "response_p90_hours": hours(m.response_p90_hours) if m else "n/a",
            "avg_cycle_days": f"{m.avg_cycle_days:.1f} d" if m and m.avg_cycle_days is not None else "n/a",
            "orders_received": str(m.orders_received) if m else "0",
            "sla": (
                f"fill rate {_pct(m.sla_fill_rate)}, response {m.sla_response_hours or 'n/a'} h"
                if m and (m.sla_fill_rate is not None or m.sla_response_hours is not None)
                else "none agreed"
            ),
        }
        for key, text in values.items():
            self.score_labels[key].setText(text)

    def _show_health(self, shown: list[SkuMetrics], pairs: int) -> None:
        """The worst pairs, as the database ranked them, of ``pairs``; the title says when there are more."""
        title = "Your pairs' health (slow movers and excess first)"
        if pairs > len(shown):
            title += f": the first {format_count(len(shown))} of {format_count(pairs)} pairs (Export writes them all)"
        self.health_box.setTitle(title)
        self.slow_movers.setRowCount(len(shown))
        for r, h in enumerate(shown):
            row = [
                h.part_number,
                h.location_code,
                _qty(h.on_hand),
                _qty(h.consumed),
                _qty(h.days_of_supply),
                _qty(h.turns),
                _qty(h.excess_qty) if h.excess_qty else "",
                "yes" if h.slow_mover else "",
            ]
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if 2 <= c <= 6:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.slow_movers.setItem(r, c, item)
        self.slow_movers.resizeColumnsToContents()

    # -- orders -------------------------------------------------------------------------------

    def select_order(self, po_id: int, max_pages: int = 5) -> bool:
        """Select the order ``po_id`` among the loaded rows (a few more pages if needed)."""
        found = self.orders_model.find_row(lambda row: row.id == po_id, max_pages)
        if found is None:
            return False
        self.orders_view.selectRow(found)
        self._load_order(po_id)
        return True

    def _order_selected(self) -> None:
        rows = self.orders_view.selectionModel().selectedRows()
        if rows:
            self._load_order(self.orders_model.row(rows[0].row()).id)

    def _load_order(self, po_id: int) -> None:
        with self.ctx.db.sessions() as session:
            self._show_order(order_detail(session, self.ctx.actor, po_id))

    def _show_order(self, detail: OrderDetail | None) -> None:
        self.detail = detail
        self.error.setText("")
        if detail is None:
            self.order_header.setText("Select an order to answer or ship it.")
            self.order_lines.setRowCount(0)
        else:
            held = f" · held: {detail.hold_reason}" if detail.hold_reason else ""
            mine = f" · your order {detail.supplier_order_id}" if detail.supplier_order_id else ""
            self.order_header.setText(
                f"<b>{detail.po_number}</b> — {order_status.label(detail.status)} · to {detail.location} · "
                f"created {_when(detail.created_at)}{mine}{held}"
            )
            self.order_lines.setRowCount(len(detail.lines))
            for r, ln in enumerate(detail.lines):
                values = [
                    str(ln.line_no),
                    ln.part_number,
                    ln.description,
                    _qty(ln.ordered),
                    _qty(ln.acknowledged),
                    _qty(ln.shipped),
                    _qty(ln.received),
                    ln.status,
                ]
                for c, text in enumerate(values):
                    self.order_lines.setItem(r, c, QTableWidgetItem(text))
            self.order_lines.resizeColumnsToContents()
        self._update_buttons()

    def _update_buttons(self) -> None:
        status = self.detail.status if self.detail else None
        may = self.ctx.can(Action.SUPPLIER_ORDER)
        self.ack_button.setEnabled(may and status in order_status.ACKNOWLEDGEABLE)
        self.ship_button.setEnabled(may and status in order_status.SHIPPABLE and status is not POStatus.SENT)
        self.raise_button.setEnabled(may)
        self.propose_button.setEnabled(self.ctx.can(Action.PROPOSE_THRESHOLDS) and self.selected_pair() is not None)

    def _open(self, dialog: Any, done: Callable[[], None]) -> Any:
        dialog.accepted.connect(done)
        self.dialog = dialog
        dialog.open()
        return dialog

    def open_acknowledge(self) -> AcknowledgeDialog | None:
        """Answer the selected order."""
        if self.detail is None or not self.ctx.can(Action.SUPPLIER_ORDER):
            return None
        detail = self.detail
        dialog = AcknowledgeDialog(self.ctx, detail, self)
        return self._open(dialog, lambda: self._after(detail.id, f"{detail.po_number} {dialog.status}"))

    def open_ship(self) -> ShipDialog | None:
        """Send a ship notice for the selected order."""
        if self.detail is None or not self.ctx.can(Action.SUPPLIER_ORDER):
            return None
        detail = self.detail
        dialog = ShipDialog(self.ctx, detail, self)
        return self._open(dialog, lambda: self._after(detail.id, f"{detail.po_number} shipped"))

    def open_raise(self) -> RaiseOrderDialog | None:
        """Raise a replenishment order."""
        if not self.ctx.can(Action.SUPPLIER_ORDER):
            return None
        dialog = RaiseOrderDialog(self.ctx, self)

        def done() -> None:
            outcome = dialog.outcome
            if outcome is None or outcome.order is None:
                return
            text = "accepted" if outcome.status == "accepted" else f"held for the parts manager: {outcome.reason}"
            self._after(outcome.order.id, f"{outcome.order.po_number} {text}")

        return self._open(dialog, done)

    def _after(self, po_id: int, message: str) -> None:
        self.status_message.emit(message)
        self.refresh()
        self.select_order(po_id)

    # -- pairs --------------------------------------------------------------------------------

    def selected_pair(self) -> PairTerms | None:
        rows = self.pairs_view.selectionModel().selectedRows()
        return self.pairs_model.row(rows[0].row()) if rows else None

    def select_pair(self, part_number: str, location: str) -> bool:
        """Select one pair (keyboard users and tests)."""
        for i, pair in enumerate(self.pairs_model.rows):
            if (pair.part_number, pair.location) == (part_number, location):
                self.pairs_view.selectRow(i)
                return True
        return False

    def _pair_selected(self) -> None:
        self._update_buttons()
        pair = self.selected_pair()
        if pair is not None:
            self.show_pair_charts(pair)

    def show_pair_charts(self, pair: PairTerms) -> None:
        """Stock on hand and daily usage of one of the supplier's pairs."""
        from vmi_desktop.queries import charts as chart_queries
        from vmi_desktop.ui.charts import ConsumptionChart, StockChart

        if self.stock_chart is None:
            self.stock_chart = StockChart()
            self.consumption_chart = ConsumptionChart()
            self.chart_tabs.addTab(self.stock_chart, "Stock on hand")
            self.chart_tabs.addTab(self.consumption_chart, "Usage")
        actor = self.ctx.actor
        with self.ctx.db.sessions() as session:
            stock = chart_queries.stock_series(session, actor, pair.sku_id, pair.location_id)
            daily = chart_queries.consumption_daily(session, actor, pair.sku_id, pair.location_id)
        title = f"{pair.part_number} at {pair.location}"
        self.chart_title.setText(
            f"{title}: min {_qty(pair.min_qty)} / max {_qty(pair.max_qty)}, {len(stock.times)} movements"
        )
        self.stock_chart.plot_item.setTitle(f"Stock on hand — {title}")
        self.consumption_chart.plot_item.setTitle(f"Usage — {title}")
        self.stock_chart.set_series(stock)
        self.consumption_chart.set_daily(daily)

    def open_propose(self) -> ProposeThresholdsDialog | None:
        """Propose new thresholds for the selected pair."""
        pair = self.selected_pair()
        if pair is None or not self.ctx.can(Action.PROPOSE_THRESHOLDS):
            return None
        dialog = ProposeThresholdsDialog(self.ctx, pair, self)
        return self._open(
            dialog,
            lambda: self.status_message.emit(
                f"proposal for {pair.part_number} at {pair.location} sent to the parts manager"
            ),
        )

    # -- export -------------------------------------------------------------------------------

    def choose_export_folder(self) -> None:
        """Export on the task runner (every order and pair, and a fresh summary: many seconds on a large supplier)."""
        folder = QFileDialog.getExistingDirectory(self, "Export the supplier workspace to…")
        if not folder:
            return
        db, actor, code = self.ctx.db, self.ctx.actor, self.vendor_code
        self.export_button.setEnabled(False)
        self.status_message.emit(f"exporting the workspace to {folder}…")

        def work(_report: Callable[[float, str], None]) -> list[Path]:
            return export_workspace(db, actor, code, Path(folder))

        def done(written: list[Path]) -> None:
            self.status_message.emit(f"exported {len(written)} files to {folder}")

        def failed(exc: BaseException) -> None:
            self.status_message.emit(f"export to {folder} failed: {exc}")

        self.ctx.runner.run(
            work, on_result=done, on_error=failed, on_finished=lambda: self.export_button.setEnabled(True), owner=self
        )

    def export_to(self, folder: Path) -> list[Path]:
        """``export_workspace`` for this page's supplier, here and now (tests; the button runs it off the UI thread)."""
        return export_workspace(self.ctx.db, self.ctx.actor, self.vendor_code, folder)
