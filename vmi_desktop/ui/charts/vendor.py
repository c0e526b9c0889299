"""A vendor's performance over time: monthly fill rate and cycle time, one chart each."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from vmi_desktop.queries.charts import VendorSeries
from vmi_desktop.ui.charts.base import DASH, ChartPanel


class VendorCharts(QWidget):
    """Two charts stacked: fill rate (%) and mean cycle time (days) per month."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fill = ChartPanel("Fill rate by month", "%")
        self.cycle = ChartPanel("Cycle time by month", "days")
        self.fill_curve = self.fill.plot_item.plot(
            np.zeros(0),
            np.zeros(0),
            pen=pg.mkPen((40, 150, 60), width=2),
            symbol="o",
            symbolSize=6,
            name="fill rate %",
            connect="finite",
        )
        self.cycle_curve = self.cycle.plot_item.plot(
            np.zeros(0),
            np.zeros(0),
            pen=pg.mkPen((200, 120, 30), width=2),
            symbol="o",
            symbolSize=6,
            name="cycle days",
            connect="finite",
        )
        self.fill.plot_item.setYRange(0, 105)
        self.sla_line = pg.InfiniteLine(
            angle=0,
            movable=False,
            pen=pg.mkPen((200, 60, 40), width=1, style=DASH),
            label="SLA {value:.0f} %",
            labelOpts={"position": 0.05, "color": (200, 60, 40)},
        )
        self.fill.plot_item.addItem(self.sla_line, ignoreBounds=True)
        self.sla_line.hide()
        self.fill.apply_palette()
        self.cycle.apply_palette()
        self.fill.show_empty("Choose a supplier to see its fill rate by month.")
        self.cycle.show_empty("Choose a supplier to see its cycle time by month.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.fill)
        layout.addWidget(self.cycle)

    def set_series(self, data: VendorSeries, title: str = "") -> None:
        """Show one vendor's months (NaN months leave gaps)."""
        pct = data.fill_rate * 100.0
        self.fill_curve.setData(data.months, pct)
        self.cycle_curve.setData(data.months, data.cycle_days)
        self.fill.series.clear()
        self.cycle.series.clear()
        self.fill.remember("fill rate %", data.months, pct)
        self.cycle.remember("cycle days", data.months, data.cycle_days)
        if data.sla_fill_rate is not None:
            self.sla_line.show()  # first: a hidden line's label does not follow its value
            self.sla_line.setPos(data.sla_fill_rate * 100.0)
            self.sla_line.label.setFormat(f"SLA {data.sla_fill_rate * 100.0:.0f} %")
        else:
            self.sla_line.hide()
        self.fill.apply_palette()
        self.cycle.apply_palette()
        if title:
            self.fill.plot_item.setTitle(f"Fill rate by month — {title}")
            self.cycle.plot_item.setTitle(f"Cycle time by month — {title}")
        if not len(data.months):
            self.fill.show_empty("No orders due from this supplier yet.")
            self.cycle.show_empty("No orders received from this supplier yet.")
            return
        self.fill.has_data()
        self.cycle.has_data()
        self.fill.plot_item.enableAutoRange(axis="x")
        self.fill.plot_item.setYRange(0, 105)
        self.cycle.auto_range()
