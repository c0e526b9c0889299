"""Consumption bars for one SKU x location, per day or per ISO week."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QWidget

from vmi_desktop.queries.charts import BucketSeries, weekly
from vmi_desktop.ui.charts.base import ChartPanel


class ConsumptionChart(ChartPanel):
    """Units consumed per period as bars; a switch between daily and weekly buckets."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Consumption", "units", parent)
        self.bars = pg.BarGraphItem(x0=np.zeros(0), height=np.zeros(0), width=1.0, brush=pg.mkBrush(90, 110, 200))
        self.plot_item.addItem(self.bars)
        self.period = QComboBox()
        self.period.addItems(["Daily", "Weekly"])
        self.period.setObjectName("period")
        self.period.currentIndexChanged.connect(lambda _i: self._show())
        self.layout().itemAt(0).layout().insertWidget(1, self.period)  # type: ignore[union-attr]
        self.daily = BucketSeries(np.zeros(0), np.zeros(0), 86400.0)
        self.shown = self.daily
        self.show_empty("Choose a pair to see what it consumes.")

    def set_daily(self, daily: BucketSeries) -> None:
        """Show ``daily`` (weekly sums are computed from it when switched)."""
        self.daily = daily
        self._show()

    def set_weekly(self, on: bool) -> None:
        self.period.setCurrentIndex(1 if on else 0)

    def _show(self) -> None:
        data = weekly(self.daily) if self.period.currentIndex() == 1 else self.daily
        self.shown = data
        # One BarGraphItem, updated in place; bars fill 80% of their period.
        self.bars.setOpts(x0=data.starts + data.width_s * 0.1, height=data.quantities, width=data.width_s * 0.8)
        self.series.clear()
        self.remember("consumed per week" if data.width_s > 86400 else "consumed per day", data.starts, data.quantities)
        if not len(data.starts):
            self.show_empty("Nothing consumed at this pair yet.")
            return
        self.has_data()
        self.auto_range(last_days=730)

    def value_at(self, name: str, x: float) -> float | None:
        s = self.series.get(name)
        if s is None or not len(s.x):
            return None
        i = int(np.searchsorted(s.x, x, side="right")) - 1
        if i < 0 or x >= s.x[i] + self.shown.width_s:
            return 0.0
        return float(s.y[i])
