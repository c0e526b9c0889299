"""What every chart shares: a date axis, a crosshair read-out, and export to PNG and CSV.

A chart is a ``ChartPanel`` holding exactly one ``PlotWidget`` whose items are
created once and updated with ``setData``; long series are drawn with
peak downsampling and clipped to the view, so ten years of daily points pan
and zoom smoothly.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QPalette, QResizeEvent
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

pg.setConfigOptions(antialias=False, background="w", foreground="k")
DASH = Qt.PenStyle.DashLine


@dataclass
class ChartSeries:
    """One named series as plotted, kept for the crosshair and the CSV export."""

    name: str
    x: np.ndarray
    y: np.ndarray


def fmt_time(seconds: float, with_time: bool = False) -> str:
    """A plotted x value (epoch seconds) as a UTC date for read-outs and CSV."""
    when = datetime.fromtimestamp(seconds, UTC)
    return when.strftime("%Y-%m-%d %H:%M") if with_time else when.strftime("%Y-%m-%d")


def fmt_value(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:.3f}".rstrip("0").rstrip(".")


class ChartPanel(QWidget):
    """A titled PlotWidget with a date axis, crosshair read-out and export buttons."""

    exported = Signal(str)  # path written

    def __init__(self, title: str, y_label: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.series: dict[str, ChartSeries] = {}
        self.plot_widget = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(orientation="bottom", utcOffset=0)})
        self.plot_widget.setObjectName("chart")
        self.plot_item: pg.PlotItem = self.plot_widget.getPlotItem()
        self.plot_item.setTitle(title)
        self.plot_item.showGrid(x=True, y=True, alpha=0.2)
        self.plot_item.setDownsampling(auto=True, mode="peak")
        self.plot_item.setClipToView(True)
        if y_label:
            self.plot_item.setLabel("left", y_label)
        # quantities are read as they are: no "(x0.001)" scale prefix on the axis
        self.plot_item.getAxis("left").enableAutoSIPrefix(False)
        # the legend sits in a row of its own under the plot, never over the data, min/max or markers
        self.legend = pg.LegendItem(colCount=6, horSpacing=14, frame=False)
        self.plot_item.layout.addItem(self.legend, 4, 1)
        self.plot_item.legend = self.legend
        self.empty_text = pg.TextItem("", anchor=(0.5, 0.5), color=(120, 120, 120))
        self.empty_text.setZValue(2000)
        self.plot_item.addItem(self.empty_text, ignoreBounds=True)

        self.v_line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen((120, 120, 120), style=DASH))
        self.v_line.setZValue(1000)
        self.plot_item.addItem(self.v_line, ignoreBounds=True)
        self.readout = QLabel(" ")
        self.readout.setObjectName("readout")
        self._proxy = pg.SignalProxy(self.plot_widget.scene().sigMouseMoved, rateLimit=30, slot=self._mouse_moved)

        self.png_button = QPushButton("PNG…")
        self.png_button.setToolTip("Export this chart as an image")
        self.png_button.clicked.connect(self._ask_png)
        self.csv_button = QPushButton("CSV…")
        self.csv_button.setToolTip("Export the plotted data as CSV")
        self.csv_button.clicked.connect(self._ask_csv)

        top = QHBoxLayout()
        top.addWidget(self.readout, 1)
        top.addWidget(self.png_button)
        top.addWidget(self.csv_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.plot_widget, 1)
        self.apply_palette()

    # -- colours ------------------------------------------------------------------------------

    def apply_palette(self) -> None:
        """Chart background, axes, title and legend in the widget palette's colours (light or dark)."""
        palette = self.palette()
        background = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        self.plot_widget.setBackground(background)
        for name in ("left", "bottom"):
            axis = self.plot_item.getAxis(name)
            axis.setPen(text)
            axis.setTextPen(text)
        self.plot_item.titleLabel.opts["color"] = text
        self.plot_item.titleLabel.setText(self.plot_item.titleLabel.text)
        self.legend.setLabelTextColor(text)
        for _sample, label in self.legend.items:  # entries added before this call keep their colour otherwise
            label.setText(label.text, color=text)
        fill = QColor(background)
        fill.setAlpha(0)
        self.legend.setBrush(pg.mkBrush(fill))

    def resizeEvent(self, event: QResizeEvent) -> None:
        """The legend wraps into more rows when the chart is narrow (it never runs off the edge)."""
        super().resizeEvent(event)
        columns = max(1, min(6, (event.size().width() - 60) // 105))
        if columns != self.legend.columnCount:
            self.legend.setColumnCount(columns)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.apply_palette()
        super().changeEvent(event)

    # -- data ---------------------------------------------------------------------------------

    def show_empty(self, message: str) -> None:
        """Nothing to plot: say why in the middle, over the last 90 days (no 1970 ticks, no scale)."""
        self.empty_text.setText(message)
        self.empty_text.show()
        now = datetime.now(UTC).timestamp()
        start = now - 90 * 86400
        self.plot_item.disableAutoRange()
        self.plot_item.setXRange(start, now, padding=0)
        self.plot_item.setYRange(0, 10, padding=0)
        self.empty_text.setPos((start + now) / 2, 5)

    def has_data(self) -> None:
        """Something is plotted: the empty message goes away."""
        self.empty_text.hide()

    def remember(self, name: str, x: np.ndarray, y: np.ndarray) -> None:
        """Keep a series for read-outs and export (what was handed to ``setData``)."""
        self.series[name] = ChartSeries(name, np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))

    def auto_range(self, last_days: float | None = None) -> None:
        """Fit the data; with ``last_days``, show only the most recent days (pan or zoom out for more)."""
        self.plot_item.enableAutoRange()
        if last_days is None:
            return
        ends = [float(s.x[-1]) for s in self.series.values() if len(s.x)]
        starts = [float(s.x[0]) for s in self.series.values() if len(s.x)]
        if ends and max(ends) - min(starts) > last_days * 86400:
            end = max(ends)
            self.plot_item.setXRange(end - last_days * 86400, end + 86400 * 3, padding=0)
            self.plot_item.getViewBox().setAutoVisible(y=True)
            self.plot_item.enableAutoRange(axis="y")

    # -- crosshair ----------------------------------------------------------------------------

    def _mouse_moved(self, event: tuple[QPointF]) -> None:
        pos = event[0]
        if not self.plot_item.sceneBoundingRect().contains(pos):
            return
        x = self.plot_item.vb.mapSceneToView(pos).x()
        self.show_readout_at(x)

    def value_at(self, name: str, x: float) -> float | None:
        """The series' value in force at ``x`` (the last point at or before it)."""
        s = self.series.get(name)
        if s is None or not len(s.x):
            return None
        i = int(np.searchsorted(s.x, x, side="right")) - 1
        if i < 0:
            return None
        return float(s.y[i])

    def show_readout_at(self, x: float) -> str:
        """Move the crosshair to ``x`` and show date and values there; returns the text."""
        self.v_line.setPos(x)
        parts = [fmt_time(x)]
        for name in self.series:
            value = self.value_at(name, x)
            if value is not None and not math.isnan(value):
                parts.append(f"{name}: {fmt_value(value)}")
        text = "   ".join(parts)
        self.readout.setText(text)
        return text

    # -- export -------------------------------------------------------------------------------

    def export_png(self, path: str | Path) -> Path:
        """Write the chart as a PNG image (what is on screen, at screen size)."""
        path = Path(path)
        if not self.plot_widget.grab().save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
        self.exported.emit(str(path))
        return path

    def csv_rows(self) -> list[list[str]]:
        """The plotted series, one row per point: series, date (UTC), value."""
        rows = [["series", "time_utc", "value"]]
        for s in self.series.values():
            for x, y in zip(s.x, s.y, strict=True):
                rows.append([s.name, fmt_time(float(x), with_time=True), fmt_value(float(y))])
        return rows

    def export_csv(self, path: str | Path) -> Path:
        """Write the plotted data (exactly the arrays given to the plot) as CSV."""
        path = Path(path)
        with path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(self.csv_rows())
        self.exported.emit(str(path))
        return path

    def _slug(self) -> str:
        return "".join(c if c.isalnum() else "-" for c in self.title.lower()).strip("-") or "chart"

    def _ask_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export chart", f"{self._slug()}.png", "PNG image (*.png)")
        if path:
            self.export_png(path)

    def _ask_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export data", f"{self._slug()}.csv", "CSV (*.csv)")
        if path:
            self.export_csv(path)
