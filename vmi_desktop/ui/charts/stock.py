"""Stock on hand over time for one SKU x location: step line, min/max band, order and receipt markers."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from vmi_desktop.queries.charts import StockSeries
from vmi_desktop.ui.charts.base import DASH, ChartPanel

_EMPTY = np.zeros(0)


class StockChart(ChartPanel):
    """On hand as a step plot (the level holds until the next movement), thresholds as a band."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Stock on hand", "units", parent)
        pi = self.plot_item
        self.curve = pi.plot(_EMPTY, _EMPTY, stepMode="right", pen=pg.mkPen((30, 90, 200), width=2), name="on hand")
        self.curve.setObjectName("on hand")
        self.min_curve = pg.PlotDataItem(_EMPTY, _EMPTY, pen=pg.mkPen((200, 60, 40), width=1, style=DASH), name="min")
        self.max_curve = pg.PlotDataItem(_EMPTY, _EMPTY, pen=pg.mkPen((40, 150, 60), width=1, style=DASH), name="max")
        pi.addItem(self.min_curve)
        pi.addItem(self.max_curve)
        self.band = pg.FillBetweenItem(self.min_curve, self.max_curve, brush=pg.mkBrush(60, 170, 80, 35))
        pi.addItem(self.band)
        self.orders = pg.ScatterPlotItem(size=11, symbol="t1", brush=pg.mkBrush(240, 150, 20), pen=None, name="orders")
        self.receipts = pg.ScatterPlotItem(size=9, symbol="o", brush=pg.mkBrush(20, 160, 90), pen=None, name="receipts")
        pi.addItem(self.orders)
        pi.addItem(self.receipts)
        self.data: StockSeries | None = None
        self.apply_palette()
        self.show_empty("Choose a pair below min, a supplier, or type a part number.")

    def set_series(self, data: StockSeries) -> None:
        """Show ``data``; every item is updated in place with ``setData``."""
        self.data = data
        self.series.clear()
        self.curve.setData(data.times, data.on_hand)
        self.remember("on hand", data.times, data.on_hand)
        if len(data.times) and data.min_qty is not None and data.max_qty is not None:
            span = np.array([data.times[0], data.times[-1]], dtype=np.float64)
            lo = np.full(2, float(data.min_qty))
            hi = np.full(2, float(data.max_qty))
            self.min_curve.setData(span, lo)
            self.max_curve.setData(span, hi)
            self.remember("min", span, lo)
            self.remember("max", span, hi)
        else:
            self.min_curve.setData(_EMPTY, _EMPTY)
            self.max_curve.setData(_EMPTY, _EMPTY)
        order_y = data.on_hand_at(data.order_times)
        self.orders.setData(data.order_times, order_y)
        self.receipts.setData(data.receipt_times, data.receipt_on_hand)
        self.remember("ordered", data.order_times, data.order_quantities)
        self.remember("received", data.receipt_times, data.receipt_quantities)
        if not len(data.times):
            self.show_empty("No movements for this pair yet.")
            return
        self.has_data()
        self.auto_range(last_days=730)

    def value_at(self, name: str, x: float) -> float | None:
        # Markers are events, not levels: only read them out when the cursor is on the day.
        if name in ("ordered", "received"):
            s = self.series.get(name)
            if s is None or not len(s.x):
                return None
            i = int(np.argmin(np.abs(s.x - x)))
            return float(s.y[i]) if abs(s.x[i] - x) < 43200 else None
        return super().value_at(name, x)
