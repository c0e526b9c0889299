"""The dashboard: fleet health at a glance and the charts of one SKU x location or one vendor.

Every query runs on the task runner (``ctx.runner``) with its own session;
results come back on the UI thread and are dropped if a newer request was
made meanwhile, so fast clicking never shows stale charts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from vmi_desktop.db import Changes
from vmi_desktop.queries import dashboard as dash
from vmi_desktop.queries.worklist import WorklistQuery
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.export import install_export_menu
from vmi_desktop.ui.numbers import format_count, format_decimal
from vmi_desktop.ui.shared_runs import How, worklist_counts

if TYPE_CHECKING:
    from vmi_desktop.queries import charts as chart_queries
    from vmi_desktop.ui.charts import ConsumptionChart, StockChart, VendorCharts

log = logging.getLogger(__name__)

#: The chart tabs, in order.
CHART_TABS = ("Stock on hand", "Consumption", "Supplier performance")
#: After commits the figures are read again at most this often (the worklist count judges its candidates).
COMMIT_REFRESH_MS = 3000


@dataclass(frozen=True)
class PairCharts:
    """What the charts of one pair need, loaded together on a worker thread."""

    sku_id: int
    location_id: int
    title: str
    stock: chart_queries.StockSeries
    daily: chart_queries.BucketSeries


def _card(title: str, name: str) -> tuple[QFrame, QLabel]:
    frame = QFrame()
    frame.setFrameShape(QFrame.Shape.StyledPanel)
    frame.setObjectName(f"card_{name}")
    value = QLabel("-")
    value.setObjectName(name)
    font = value.font()
    font.setPointSizeF(font.pointSizeF() * 1.8)
    font.setBold(True)
    value.setFont(font)
    caption = QLabel(title)
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(10, 6, 10, 6)
    layout.addWidget(value)
    layout.addWidget(caption)
    return frame, value


def _table(headers: list[str], name: str) -> QTableWidget:
    """A small, bounded table (top 10 vendors, at most 200 pairs) that never scrolls sideways.

    The first column takes the room left and elides its text (the full text is its tooltip); the
    others fit their contents, so every column stays visible down to 1024 px.
    """
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    header = table.horizontalHeader()
    header.setMinimumSectionSize(36)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for column in range(1, len(headers)):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    table.verticalHeader().setDefaultSectionSize(22)
    return table


def _pct(value: float | None) -> str:
    return f"{value * 100:.1f} %" if value is not None else "-"


def _num(value: float | None, unit: str) -> str:
    return f"{value:.1f} {unit}" if value is not None else "-"


class DashboardPage(QWidget):
    """Fleet health cards and tables; a chart panel for the selected pair or vendor."""

    status_message = Signal(str)
    health_loaded = Signal(object)  # FleetHealth
    pair_loaded = Signal(object)  # PairCharts
    vendor_loaded = Signal(object)  # VendorSeries

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.health: dash.FleetHealth | None = None
        self.pair: PairCharts | None = None
        self._generation: dict[str, int] = {
            "health": 0,
            "counts": 0,
            "attention": 0,
            "summary": 0,
            "scores": 0,
            "pair": 0,
            "vendor": 0,
        }
        self._parts: dict[str, Any] = {}
        #: how the worklist's count was come by at the last load: "started", "joined" or "kept"
        self.worklist_count_was: How | None = None

        # -- cards
        cards = QHBoxLayout()
        self.cards: dict[str, QLabel] = {}
        frames: dict[str, QFrame] = {}
        for title, name in (
            ("SKU x location pairs", "pairs"),
            ("at or below min (position)", "below_min"),
            ("on the worklist", "worklist"),
            ("stock-outs", "stock_outs"),
            ("over max", "over_max"),
            ("open orders", "open_orders"),
            ("open alerts", "open_alerts"),
        ):
            frame, value = _card(title, name)
            self.cards[name] = value
            frames[name] = frame
            cards.addWidget(frame)
        position = (
            "Inventory position = on hand + on order (drafts and proposals included): the reorder check's and the "
            "worklist's own measure. Snoozed pairs are not counted."
        )
        frames["below_min"].setToolTip(position)
        frames["worklist"].setToolTip(
            "Rows of the replenishment worklist: at or below min on position, projected to reach min within the "
            "lead time, or waiting for your decision. " + position.split(": ")[1]
        )
        # -- tables
        self.orders_table = _table(["Status", "Orders"], "ordersByStatus")
        self.suppliers_table = _table(["Vendor", "Fill rate", "Response", "Cycle", "Open"], "worstSuppliers")
        self.attention_table = _table(["SKU", "Location", "On hand", "Min", "Max"], "attention")
        self.suppliers_table.itemSelectionChanged.connect(self._supplier_selected)
        self.attention_table.itemSelectionChanged.connect(self._attention_selected)
        self.attention_table.cellDoubleClicked.connect(lambda row, _col: self._open_attention(row))
        self.attention_table.activated.connect(lambda index: self._open_attention(index.row()))
        self.attention_table.setToolTip("Double-click or Enter: the part page")
        left = QVBoxLayout()
        for title, table, stretch in (
            ("Open orders by status", self.orders_table, 2),
            ("Worst suppliers (last 12 months)", self.suppliers_table, 3),
            ("On hand below min (worst first)", self.attention_table, 5),
        ):
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(table)
            left.addWidget(box, stretch)
        left_widget = QWidget()
        left_widget.setLayout(left)
        left.setContentsMargins(0, 0, 0, 0)

        # -- chart panel
        self.part_edit = QLineEdit()
        self.part_edit.setObjectName("partNumber")
        self.part_edit.setPlaceholderText("Part number")
        self.location_combo = QComboBox()
        self.location_combo.setObjectName("location")
        self.location_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.show_button = QPushButton("Show charts")
        self.show_button.clicked.connect(self.show_typed_pair)
        self.part_edit.returnPressed.connect(self.show_typed_pair)
        self.chart_title = QLabel("Select a pair below min, a supplier, or type a part number.")
        self.chart_title.setObjectName("chartTitle")
        self.chart_title.setWordWrap(True)
        #: what the title line says about the pair charts and about the supplier charts
        self.pair_text = self.chart_title.text()
        self.vendor_text = "Select a supplier in the list to see its performance by month."
        # The charts (and pyqtgraph behind them) are built when first needed: the page, and the
        # window when it is the first page, is usable before that import has run.
        self._charts: tuple[Any, Any, Any] | None = None
        self.chart_tabs = QTabWidget()
        for title in CHART_TABS:
            self.chart_tabs.addTab(QLabel("Choose a pair or a supplier to see its charts."), title)
        self.chart_tabs.currentChanged.connect(lambda _i: self._tab_changed())
        picker = QGridLayout()
        picker.addWidget(QLabel("SKU"), 0, 0)
        picker.addWidget(self.part_edit, 0, 1)
        picker.addWidget(QLabel("at"), 0, 2)
        picker.addWidget(self.location_combo, 0, 3)
        picker.addWidget(self.show_button, 0, 4)
        picker.setColumnStretch(1, 1)
        right_widget = QWidget()
        right = QVBoxLayout(right_widget)
        right.setContentsMargins(0, 0, 0, 0)
        right.addLayout(picker)
        right.addWidget(self.chart_title)
        right.addWidget(self.chart_tabs, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left_widget)
        splitter.addWidget(right_widget)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([420, 640])
        layout = QVBoxLayout(self)
        layout.addLayout(cards)
        layout.addWidget(splitter, 1)
        for table, title in (
            (self.orders_table, "Open orders by status"),
            (self.suppliers_table, "Worst suppliers"),
            (self.attention_table, "Below min"),
        ):
            install_export_menu(table, partial(str, title), ctx.runner)
        self._stale = False
        self.commit_timer = QTimer(self)
        self.commit_timer.setSingleShot(True)
        self.commit_timer.setInterval(COMMIT_REFRESH_MS)
        self.commit_timer.timeout.connect(self._refresh_after_commits)
        ctx.commits.changed.connect(self._on_commit)
        # The health figures scan every agreement: they start once the page is shown, never while
        # the window is still being built.
        self._refresh_on_show = True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._refresh_on_show:
            self._refresh_on_show = False
            self._stale = False
            QTimer.singleShot(0, self.load)
        elif self._stale and not self.commit_timer.isActive():
            self.commit_timer.start(0)  # what changed while the page was hidden

    # -- charts, built on first use ---------------------------------------------------------------

    def _ensure_charts(self) -> tuple[Any, Any, Any]:
        if self._charts is None:
            from vmi_desktop.ui import charts as widgets

            charts = (widgets.StockChart(), widgets.ConsumptionChart(), widgets.VendorCharts())
            current = self.chart_tabs.currentIndex()
            self.chart_tabs.blockSignals(True)
            for index, (chart, title) in enumerate(zip(charts, CHART_TABS, strict=True)):
                placeholder = self.chart_tabs.widget(index)
                self.chart_tabs.removeTab(index)
                self.chart_tabs.insertTab(index, chart, title)
                if placeholder is not None:
                    placeholder.deleteLater()
            self.chart_tabs.setCurrentIndex(max(current, 0))
            self.chart_tabs.blockSignals(False)
            self._charts = charts
        return self._charts

    @property
    def stock_chart(self) -> StockChart:
        """The stock on hand chart (built on first use)."""
        chart: StockChart = self._ensure_charts()[0]
        return chart

    @property
    def consumption_chart(self) -> ConsumptionChart:
        """The consumption chart (built on first use)."""
        chart: ConsumptionChart = self._ensure_charts()[1]
        return chart

    @property
    def vendor_charts(self) -> VendorCharts:
        """The supplier performance charts (built on first use)."""
        charts: VendorCharts = self._ensure_charts()[2]
        return charts

    # -- live ---------------------------------------------------------------------------------

    def _on_commit(self, changes: Changes) -> None:
        """Stock, orders or alerts moved: the figures again, at most once per ``COMMIT_REFRESH_MS``."""
        if not (changes.pairs or changes.orders or changes.alerts or changes.agreements or changes.master_data):
            return
        self._stale = True
        if self.isVisible() and not self.commit_timer.isActive():
            self.commit_timer.start()

    def _refresh_after_commits(self) -> None:
        if self._stale and self.isVisible():
            self._stale = False
            self.load()  # the commits made every shared answer stale already

    def _tab_changed(self) -> None:
        self._ensure_charts()
        self._show_title()

    def _show_title(self) -> None:
        vendor = self.chart_tabs.currentIndex() == CHART_TABS.index("Supplier performance")
        self.chart_title.setText(self.vendor_text if vendor else self.pair_text)

    def _set_pair_text(self, text: str) -> None:
        self.pair_text = text
        self._show_title()

    # -- background work -----------------------------------------------------------------------

    def _run(self, kind: str, query: Callable[[Any], Any], done: Callable[[Any], None]) -> None:
        """Run ``query(session)`` on the task runner; deliver only the newest result of each kind."""
        self._generation[kind] += 1
        generation = self._generation[kind]
        db = self.ctx.db

        def work(_report: Callable[[float, str], None]) -> Any:
            with db.sessions() as session:
                return query(session)

        def deliver(result: Any) -> None:
            if generation == self._generation[kind]:
                done(result)

        def failed(exc: BaseException) -> None:
            log.warning("dashboard %s query failed: %s", kind, exc)
            self.status_message.emit(f"could not load the {kind}: {exc}")

        self.ctx.runner.run(work, on_result=deliver, on_error=failed, owner=self)

    def refresh(self) -> None:
        """F5: read the health figures again, and the charts shown (nothing kept from another page's
        run of the worklist's count: ``ui.shared_runs``)."""
        self.ctx.shared.forget()
        self.load()

    def load(self) -> None:
        """Load the health figures (on first showing, after commits, F5), and the charts shown.

        Five queries run on the task runner, each filling its part of the page as soon as it arrives:
        the worklist's count by reason (the one that judges candidate pairs, about half a second on a
        million pairs) beside the four others, one after the other: the small summary, the pair counts
        and the list below min (ranges of an index: milliseconds), then the supplier scores over a
        year of order lines. Two chains, not five parallel queries: on a two-core workstation the UI
        thread and the other pages' first rows keep a core.

        The worklist page shows the same count: asked while its run is going, or just after with
        nothing committed since, the dashboard takes that run's answer (``ui.shared_runs``), and the
        supplier scores take the chain it leaves, beside the three small ones.
        ``health`` is set (and ``health_loaded`` emitted) once all five are in.
        """
        actor = self.ctx.actor
        self._parts = {}
        summary: list[tuple[str, Callable[[Any], Any]]] = [
            (
                "summary",
                lambda s: (
                    dash.open_orders_by_status(s, actor),
                    dash.open_alert_count(s, actor),
                    dash.location_codes(s, actor),
                ),
            ),
            ("counts", lambda s: dash.pair_counts(s, actor)),
            ("attention", lambda s: dash.attention_pairs(s, actor)),
        ]
        # last, or beside: a year of order lines per vendor must not hold the cards back
        scores: list[tuple[str, Callable[[Any], Any]]] = [("scores", lambda s: dash.scores_from_metrics(s, actor))]
        self._generation["health"] += 1
        generation = self._generation["health"]
        how = self._count_worklist(generation)
        self.worklist_count_was = how
        if how == "started":
            self._next_step(generation, summary + scores)
        else:  # the count is not the dashboard's to run: the scores take its chain
            self._next_step(generation, summary)
            self._next_step(generation, scores)
        if self.pair is not None:
            self.show_pair(self.pair.sku_id, self.pair.location_id, self.pair.title)

    def _count_worklist(self, generation: int) -> How:
        """The worklist's count by reason, shared with the worklist page's own (``ui.shared_runs``)."""

        def done(counts: Any) -> None:
            if generation == self._generation["health"]:
                self._part("worklist", counts)

        def failed(exc: BaseException) -> None:
            log.warning("dashboard worklist query failed: %s", exc)
            self.status_message.emit(f"could not load the worklist: {exc}")

        return worklist_counts(self.ctx, WorklistQuery(), None, done, owner=self, on_error=failed)

    def _next_step(self, generation: int, steps: list[tuple[str, Callable[[Any], Any]]]) -> None:
        if not steps or generation != self._generation["health"]:
            return
        name, query = steps[0]

        def done(result: Any) -> None:
            if generation != self._generation["health"]:
                return  # a newer refresh started; its own chain fills the page
            self._part(name, result)
            self._next_step(generation, steps[1:])

        self._run(name, query, done)

    # -- health --------------------------------------------------------------------------------

    def _part(self, name: str, result: Any) -> None:
        self._parts[name] = result
        if name == "counts":
            # the on-hand "below" of pair_counts is the attention list's measure; the card counts on position
            pairs, _on_hand_below, outs, over = result
            for key, value in (("pairs", pairs), ("stock_outs", outs), ("over_max", over)):
                self.cards[key].setText(format_count(value))
            self.cards["stock_outs"].setStyleSheet("color: #b00020;" if outs else "")
        elif name == "worklist":
            for key, value in (("below_min", result.at_or_below_min), ("worklist", result.total)):
                self.cards[key].setText(format_count(value))
                self.cards[key].setStyleSheet("color: #b00020;" if value else "")
        elif name == "attention":
            self._fill(
                self.attention_table,
                [
                    (
                        p.part_number,
                        p.location,
                        format_decimal(p.on_hand),
                        format_decimal(p.min_qty),
                        format_decimal(p.max_qty),
                    )
                    for p in result
                ],
            )
        elif name == "scores":
            self._fill(
                self.suppliers_table,
                [
                    (
                        f"{sc.code} — {sc.name}",
                        _pct(sc.fill_rate),
                        _num(sc.ack_hours, "h"),
                        _num(sc.cycle_days, "d"),
                        str(sc.open_orders),
                    )
                    for sc in result
                ],
            )
        else:
            open_orders, open_alerts, locations = result
            self.cards["open_orders"].setText(format_count(sum(open_orders.values())))
            self.cards["open_alerts"].setText(format_count(open_alerts))
            current = self.location_combo.currentText()
            self.location_combo.clear()
            self.location_combo.addItems(locations)
            if current in locations:
                self.location_combo.setCurrentText(current)
            rows = [(st.value.replace("_", " "), str(n)) for st, n in open_orders.items() if n]
            self._fill(self.orders_table, rows or [("no open orders", "")])
        if len(self._parts) == 5:
            pairs, _on_hand_below, outs, over = self._parts["counts"]
            worklist = self._parts["worklist"]
            open_orders, open_alerts, _locations = self._parts["summary"]
            suppliers = self._parts["scores"]
            self.health = dash.FleetHealth(
                pairs=pairs,
                below_min=worklist.at_or_below_min,
                on_worklist=worklist.total,
                stock_outs=outs,
                over_max=over,
                open_alerts=open_alerts,
                open_orders=open_orders,
                worst_suppliers=suppliers,
                attention=self._parts["attention"],
            )
            self.health_loaded.emit(self.health)

    @staticmethod
    def _fill(table: QTableWidget, rows: Sequence[tuple[str, ...]]) -> None:
        table.blockSignals(True)
        table.clearSelection()
        # emptied first: replacing the items of a filled table re-measures its ResizeToContents columns
        # per item (200 rows took 6-8 s of the UI thread on every refresh; empty cells take 30 ms)
        table.setRowCount(0)
        table.setRowCount(len(rows))
        for r, values in enumerate(rows):
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                if c > 0:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                else:
                    item.setToolTip(text)  # the first column elides in a narrow window
                table.setItem(r, c, item)
        table.blockSignals(False)

    # -- charts --------------------------------------------------------------------------------

    def _attention_selected(self) -> None:
        rows = self.attention_table.selectionModel().selectedRows()
        attention = self._parts.get("attention")
        if not rows or attention is None:
            return
        pair = attention[rows[0].row()]
        self.part_edit.setText(pair.part_number)  # the picker follows the pair shown
        self.location_combo.setCurrentText(pair.location)
        self.show_pair(pair.sku_id, pair.location_id, f"{pair.part_number} at {pair.location}")

    def _open_attention(self, row: int) -> None:
        """A pair below min names a SKU: open its part at that location."""
        from vmi_desktop.ui.part_page import open_part

        attention = self._parts.get("attention")
        if attention is not None and 0 <= row < len(attention):
            open_part(self, attention[row].sku_id, attention[row].location_id)

    def _supplier_selected(self) -> None:
        rows = self.suppliers_table.selectionModel().selectedRows()
        scores = self._parts.get("scores")
        if not rows or scores is None or rows[0].row() >= len(scores):
            return
        score = scores[rows[0].row()]
        self.show_vendor(score.vendor_id, f"{score.code} — {score.name}")

    def find(self) -> None:  # type: ignore[override]  # the window's Ctrl+F hook, not QWidget.find
        """Ctrl+F: type a part number to chart."""
        self.part_edit.setFocus()
        self.part_edit.selectAll()

    def show_typed_pair(self) -> None:
        """Show the pair typed into the picker (part number and location)."""
        part, location = self.part_edit.text().strip(), self.location_combo.currentText()
        if not part or not location:
            return
        with self.ctx.db.sessions() as session:
            found = dash.find_pair(session, self.ctx.actor, part, location)
        if found is None:
            self.chart_tabs.setCurrentWidget(self.stock_chart)
            self._set_pair_text(f"No SKU {part!r} at {location} in your scope.")
            return
        self.show_pair(found[0], found[1], f"{part} at {location}")

    def show_pair(self, sku_id: int, location_id: int, title: str) -> None:
        """Load and show the stock and consumption charts of one pair (off the UI thread)."""
        actor = self.ctx.actor
        self._set_pair_text(f"Loading {title}…")

        def query(session: Any) -> PairCharts:
            from vmi_desktop.queries import charts as chart_queries  # numpy: on the worker, at the first chart

            return PairCharts(
                sku_id,
                location_id,
                title,
                chart_queries.stock_series(session, actor, sku_id, location_id),
                chart_queries.consumption_daily(session, actor, sku_id, location_id),
            )

        self._run("pair", query, self._show_pair)

    def _show_pair(self, data: PairCharts) -> None:
        self.pair = data
        # the picker shows the pair on the charts, however it was chosen
        part, _, location = data.title.partition(" at ")
        if part and location:
            self.part_edit.setText(part)
            if self.location_combo.findText(location) >= 0:
                self.location_combo.setCurrentText(location)
        limits = ""
        if data.stock.min_qty is not None and data.stock.max_qty is not None:
            limits = f" · min {format_decimal(data.stock.min_qty)} / max {format_decimal(data.stock.max_qty)}"
        self.pair_text = f"{data.title}: {len(data.stock.times)} movements{limits}"
        self.stock_chart.plot_item.setTitle(f"Stock on hand — {data.title}")
        self.consumption_chart.plot_item.setTitle(f"Consumption — {data.title}")
        self.stock_chart.set_series(data.stock)
        self.consumption_chart.set_daily(data.daily)
        if self.chart_tabs.currentWidget() is self.vendor_charts:
            self.chart_tabs.setCurrentWidget(self.stock_chart)
        self._show_title()
        self.pair_loaded.emit(data)

    def show_vendor(self, vendor_id: int, title: str) -> None:
        """Load and show a vendor's monthly fill rate and cycle time."""
        actor = self.ctx.actor

        self.vendor_text = f"Loading {title}…"
        self._show_title()

        def done(series: chart_queries.VendorSeries) -> None:
            self.vendor_charts.set_series(series, title)
            months = len(series.months)
            self.vendor_text = f"Supplier {title}: fill rate and cycle time over {months} month(s)"
            self.chart_tabs.setCurrentWidget(self.vendor_charts)
            self._show_title()
            self.vendor_loaded.emit(series)

        def query(session: Any) -> chart_queries.VendorSeries:
            from vmi_desktop.queries import charts as chart_queries  # numpy: on the worker, at the first chart

            return chart_queries.vendor_monthly(session, actor, vendor_id)

        self._run("vendor", query, done)
