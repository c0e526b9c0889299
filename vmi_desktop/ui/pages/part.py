"""The part page: everything about one SKU, opened from any table row that names it.

Stock per location (the row of the location asked for is current), the charts of that pair (stock
on hand with min/max, orders and receipts; consumption; the primary supplier's performance on this
part), and in tabs the pair's movements, the part's open orders, its agreements (primary and
backups) and the history of its thresholds from the audit trail. The tables are read at once (a
few keyed statements, ``queries.part``); the charts on the task runner, the newest request only.
Committed changes that touch the part reload it (``ui.live``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from vmi_desktop import order_status
from vmi_desktop.db import Changes
from vmi_desktop.models import utcnow
from vmi_desktop.queries import charts as chart_queries
from vmi_desktop.queries import part as part_queries
from vmi_desktop.scope import Action
from vmi_desktop.ui.charts import ConsumptionChart, StockChart, VendorCharts
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.live import LiveChanges
from vmi_desktop.ui.numbers import format_decimal

log = logging.getLogger(__name__)

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


@dataclass(frozen=True)
class PairCharts:
    """The charts of one pair, loaded together off the UI thread."""

    sku_id: int
    location_id: int
    stock: chart_queries.StockSeries
    daily: chart_queries.BucketSeries
    vendor: chart_queries.VendorSeries | None
    vendor_label: str


def _qty(value: Any) -> str:
    return format_decimal(value) if value is not None else ""


def _table(name: str, headers: list[str], numeric: Sequence[int] = ()) -> QTableWidget:
    # bounded tables (a part's locations, orders, agreements, newest movements): a table widget is enough
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(22)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.horizontalHeader().setResizeContentsPrecision(40)  # fit to the first rows, not to every movement
    table.setProperty("numeric", list(numeric))
    return table


def _fill(table: QTableWidget, rows: Sequence[Sequence[str]]) -> None:
    numeric = set(table.property("numeric") or [])
    table.blockSignals(True)
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, text in enumerate(values):
            item = QTableWidgetItem(text)
            if c in numeric:
                item.setTextAlignment(RIGHT)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()
    table.blockSignals(False)


def _when(value: Any, with_time: bool = True) -> str:
    if value is None:
        return ""
    if hasattr(value, "hour"):
        return value.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
    return str(value)


class PartPage(QWidget):
    """One SKU; ``show_part`` loads it with the row of ``location_id`` current."""

    status_message = Signal(str)
    #: (sku_id, location_id or None): the tables show that part.
    part_loaded = Signal(int, object)
    #: The charts of the current pair are drawn (PairCharts).
    charts_loaded = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.sku_id: int | None = None
        self.location_id: int | None = None
        self.part: part_queries.PartHeader | None = None
        self.stock: list[part_queries.LocationStock] = []
        self.orders: list[part_queries.OpenOrderRow] = []
        self.charts: PairCharts | None = None
        self._chart_generation = 0

        self.find_box = QLineEdit()
        self.find_box.setObjectName("partNumber")
        self.find_box.setPlaceholderText("Open part number…")
        self.find_box.setClearButtonEnabled(True)
        self.find_box.setMinimumWidth(200)
        self.find_box.setMaximumWidth(280)
        self.find_box.returnPressed.connect(self.open_typed)
        self.header = QLabel("Open a part from any table (double-click or Enter on a row), or type a part number.")
        self.header.setObjectName("partHeader")
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)

        self.locations = _table(
            "partLocations",
            ["Location", "On hand", "On order", "Position", "Min", "Max", "Vendor", "Mode", "Snoozed"],
            numeric=(1, 2, 3, 4, 5),
        )
        self.locations.itemSelectionChanged.connect(self._location_selected)
        self.locations.horizontalHeader().setStretchLastSection(False)  # sized to fit (``_fit_locations``)
        self.stock_chart = StockChart()
        self.consumption_chart = ConsumptionChart()
        self.vendor_charts = VendorCharts()
        self.chart_title = QLabel("")
        self.chart_title.setObjectName("partChartTitle")
        self.chart_tabs = QTabWidget()
        self.chart_tabs.setObjectName("partCharts")
        self.chart_tabs.addTab(self.stock_chart, "Stock on hand")
        self.chart_tabs.addTab(self.consumption_chart, "Consumption")
        self.chart_tabs.addTab(self.vendor_charts, "Supplier on this part")
        charts = QWidget()
        chart_layout = QVBoxLayout(charts)
        chart_layout.setContentsMargins(0, 0, 0, 0)
        chart_layout.addWidget(self.chart_title)
        chart_layout.addWidget(self.chart_tabs, 1)

        self.movements = _table(
            "partMovements",
            ["When (UTC)", "Location", "Kind", "Quantity", "On hand after", "Reference", "By"],
            numeric=(3, 4),
        )
        self.open_orders = _table(
            "partOrders",
            ["PO", "Status", "Vendor", "Location", "Ordered", "Received", "Open", "Need by"],
            numeric=(4, 5, 6),
        )
        self.open_orders.doubleClicked.connect(self._order_activated)
        self.open_orders.activated.connect(self._order_activated)
        self.open_orders.setToolTip("Double-click or Enter: the order on the Purchase orders page")
        self.agreements = _table(
            "partAgreements",
            [
                "Vendor",
                "Location",
                "Primary",
                "Active",
                "Min",
                "Max",
                "Mode",
                "Lead time (d)",
                "Pack",
                "MOQ",
                "Price",
                "Supplier part",
            ],
            numeric=(4, 5, 7, 8, 9, 10),
        )
        self.history = _table("partHistory", ["When (UTC)", "Who", "Location", "Vendor", "What"])
        self.details = QTabWidget()
        self.details.setObjectName("partDetails")
        self.details.addTab(self.movements, "Movements")
        self.details.addTab(self.open_orders, "Open orders")
        self.details.addTab(self.agreements, "Agreements")
        self.details.addTab(self.history, "Threshold history")

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.locations)
        top.addWidget(charts)
        top.setStretchFactor(0, 2)
        top.setStretchFactor(1, 3)
        self.top_splitter = top
        body = QSplitter(Qt.Orientation.Vertical)
        body.setObjectName("partSplitter")
        body.addWidget(top)
        body.addWidget(self.details)
        body.setStretchFactor(0, 3)
        body.setStretchFactor(1, 2)
        body.setSizes([430, 260])
        head = QHBoxLayout()
        head.addWidget(self.header, 1)
        head.addWidget(self.find_box)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(body, 1)
        self.live = LiveChanges(self, ctx, self.apply_changes)

    # -- loading -------------------------------------------------------------------------------

    def show_part(self, sku_id: int, location_id: int | None = None) -> None:
        """Load ``sku_id``: its tables now, the charts of ``location_id`` (else its first location) on the
        task runner."""
        actor = self.ctx.actor
        with self.ctx.db.sessions() as session:
            part = part_queries.header(session, actor, sku_id)
            if part is None:
                self.clear(f"No part #{sku_id} in your scope.")
                self.status_message.emit(f"part #{sku_id} is not in your scope")
                return
            stock = part_queries.stock_by_location(session, actor, sku_id, utcnow().date())
            orders = part_queries.open_orders(session, actor, sku_id)
            agreements = part_queries.agreements(session, actor, sku_id)
            history = part_queries.threshold_history(session, actor, sku_id)
        self.sku_id, self.part, self.stock, self.orders = sku_id, part, stock, orders
        known = [s.location_id for s in stock]
        self.location_id = location_id if location_id in known else (known[0] if known else None)
        inactive = " · <i>deactivated</i>" if not part.active else ""
        self.header.setText(
            f"<b>{part.part_number}</b> — {part.description} · {part.uom} · {part.criticality.value} · "
            f"unit cost {format_decimal(part.unit_cost, trailing_zeros=False)}{inactive}"
        )
        _fill(
            self.locations,
            [
                (
                    s.location,
                    _qty(s.on_hand),
                    _qty(s.on_order),
                    _qty(s.position),
                    _qty(s.min_qty),
                    _qty(s.max_qty),
                    s.vendor or "",
                    s.mode.value.replace("_", " ") if s.mode else "",
                    str(s.snoozed_until or ""),
                )
                for s in stock
            ],
        )
        _fill(
            self.open_orders,
            [
                (
                    o.po_number,
                    order_status.label(o.status),
                    o.vendor,
                    o.location,
                    _qty(o.ordered),
                    _qty(o.received),
                    _qty(o.open_quantity),
                    str(o.need_by or ""),
                )
                for o in orders
            ],
        )
        _fill(
            self.agreements,
            [
                (
                    a.vendor,
                    a.location,
                    "primary" if a.is_primary else "backup",
                    "yes" if a.active else "no",
                    _qty(a.min_qty),
                    _qty(a.max_qty),
                    a.mode.value.replace("_", " "),
                    str(a.lead_time_days),
                    _qty(a.pack_size),
                    _qty(a.moq),
                    f"{format_decimal(a.unit_price, trailing_zeros=True)} {a.currency}",
                    a.supplier_sku,
                )
                for a in agreements
            ],
        )
        _fill(self.history, [(_when(h.occurred_at), h.actor, h.location, h.vendor, h.what) for h in history])
        if not self.ctx.can(Action.VIEW_AUDIT):
            self.details.setTabToolTip(3, "your role does not read the audit trail")
        self._fit_locations()
        self._select_location(self.location_id)
        self.part_loaded.emit(sku_id, self.location_id)

    def _fit_locations(self) -> None:
        """Give the locations table the width its columns need (at most half the page); the chart the rest."""
        table = self.locations
        needed = sum(table.columnWidth(c) for c in range(table.columnCount())) + 2 * table.frameWidth() + 4
        total = sum(self.top_splitter.sizes()) or self.width()
        left = min(needed, total // 2)
        self.top_splitter.setSizes([left, max(total - left, 1)])

    def clear(self, message: str) -> None:
        """Show nothing of any part (what was shown before must not stay under another header)."""
        self.sku_id = self.location_id = None
        self.part, self.stock, self.orders, self.charts = None, [], [], None
        self._chart_generation += 1  # a chart load still running is dropped
        self.header.setText(message)
        self.chart_title.setText("")
        for table in (self.locations, self.movements, self.open_orders, self.agreements, self.history):
            table.setRowCount(0)
        empty = np.zeros(0)
        self.stock_chart.set_series(chart_queries.StockSeries(empty, empty))
        self.consumption_chart.set_daily(chart_queries.BucketSeries(empty, empty, chart_queries.DAY_S))

    def _select_location(self, location_id: int | None) -> None:
        row = next((i for i, s in enumerate(self.stock) if s.location_id == location_id), None)
        self.locations.blockSignals(True)
        if row is not None:
            self.locations.selectRow(row)
        self.locations.blockSignals(False)
        self._load_pair()

    def _location_selected(self) -> None:
        rows = self.locations.selectionModel().selectedRows()
        if rows and 0 <= rows[0].row() < len(self.stock):
            self.location_id = self.stock[rows[0].row()].location_id
            self._load_pair()

    def _load_pair(self) -> None:
        """The movements of the current pair now; its charts on the task runner."""
        if self.sku_id is None:
            return
        with self.ctx.db.sessions() as session:
            moves = part_queries.movements(session, self.ctx.actor, self.sku_id, self.location_id, limit=200)
        _fill(
            self.movements,
            [
                (
                    _when(m.occurred_at),
                    m.location,
                    m.kind.value.replace("_", " "),
                    _qty(m.quantity),
                    _qty(m.on_hand_after),
                    m.reference,
                    m.recorded_by,
                )
                for m in moves
            ],
        )
        if self.location_id is None:
            self.chart_title.setText("No location holds or orders this part yet.")
            return
        self._load_charts(self.sku_id, self.location_id)

    def _load_charts(self, sku_id: int, location_id: int) -> None:
        self._chart_generation += 1
        generation = self._chart_generation
        db, actor = self.ctx.db, self.ctx.actor
        stock_row = next((s for s in self.stock if s.location_id == location_id), None)
        vendor_id = stock_row.vendor_id if stock_row else None
        label = f"{self.part.part_number if self.part else sku_id} at {stock_row.location if stock_row else ''}"
        vendor_label = stock_row.vendor or "" if stock_row else ""
        self.chart_title.setText(f"Loading {label}…")

        def work(_report: Callable[[float, str], None]) -> PairCharts:
            with db.sessions() as session:
                return PairCharts(
                    sku_id,
                    location_id,
                    chart_queries.stock_series(session, actor, sku_id, location_id),
                    chart_queries.consumption_daily(session, actor, sku_id, location_id),
                    chart_queries.vendor_monthly(session, actor, vendor_id, sku_id) if vendor_id is not None else None,
                    vendor_label,
                )

        def done(data: PairCharts) -> None:
            if generation == self._chart_generation:
                self._show_charts(data, label)

        def failed(exc: BaseException) -> None:
            log.warning("part charts failed: %s", exc)
            self.chart_title.setText(f"Could not load the charts: {exc}")

        self.ctx.runner.run(work, on_result=done, on_error=failed)

    def _show_charts(self, data: PairCharts, label: str) -> None:
        self.charts = data
        limits = ""
        if data.stock.min_qty is not None and data.stock.max_qty is not None:
            limits = f" · min {format_decimal(data.stock.min_qty)} / max {format_decimal(data.stock.max_qty)}"
        self.chart_title.setText(f"{label}: {len(data.stock.times)} movements{limits}")
        self.stock_chart.plot_item.setTitle(f"Stock on hand — {label}")
        self.consumption_chart.plot_item.setTitle(f"Consumption — {label}")
        self.stock_chart.set_series(data.stock)
        self.consumption_chart.set_daily(data.daily)
        if data.vendor is not None:
            self.vendor_charts.set_series(
                data.vendor, f"{data.vendor_label} on {self.part.part_number if self.part else ''}"
            )
        self.charts_loaded.emit(data)

    # -- actions -------------------------------------------------------------------------------

    def open_typed(self) -> None:
        """Open the part whose number was typed (exact, else the first starting with it)."""
        text = self.find_box.text()
        with self.ctx.db.sessions() as session:
            found = part_queries.find_part(session, self.ctx.actor, text)
        if found is None:
            self.status_message.emit(f"No part number starts with {text.strip()!r} in your scope.")
            return
        self.show_part(found)

    def find(self) -> None:  # type: ignore[override]  # the window's Ctrl+F hook, not QWidget.find
        """Ctrl+F: type a part number."""
        self.find_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.find_box.selectAll()

    def refresh(self) -> None:
        """F5: read the part again."""
        if self.sku_id is not None:
            self.show_part(self.sku_id, self.location_id)

    def _order_activated(self, index: QModelIndex) -> None:
        if not index.isValid() or not 0 <= index.row() < len(self.orders):
            return
        from vmi_desktop.ui.part_page import main_window_of

        window = main_window_of(self)
        if window is None or "orders" not in window.page_keys():
            return
        window.show_page("orders")
        page = window.page("orders")
        select = getattr(page, "set_statuses", None)
        if callable(select):
            select(None)  # the order is open, but any status filter could hide it
        chooser = getattr(page, "select_order", None)
        if callable(chooser):
            chooser(self.orders[index.row()].po_id)

    def apply_changes(self, changes: Changes) -> None:
        """Reload when a committed change touched this part (its stock, orders or thresholds)."""
        if self.sku_id is None:
            return
        if any(sku == self.sku_id for sku, _loc in changes.pairs) or changes.agreements or changes.master_data:
            self.show_part(self.sku_id, self.location_id)
