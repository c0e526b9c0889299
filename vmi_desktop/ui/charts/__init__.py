"""pyqtgraph charts: one PlotWidget per chart, data set with ``setData``, crosshair and export."""

from vmi_desktop.ui.charts.base import ChartPanel, ChartSeries
from vmi_desktop.ui.charts.consumption import ConsumptionChart
from vmi_desktop.ui.charts.stock import StockChart
from vmi_desktop.ui.charts.vendor import VendorCharts

__all__ = ["ChartPanel", "ChartSeries", "ConsumptionChart", "StockChart", "VendorCharts"]
