"""What the first walkthrough found, each one checked as a user would see it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QStyle, QStyleOptionViewItem, QTableWidget
from pytestqt.qtbot import QtBot

from tests.ui.helpers import show_page
from tests.world import World
from vmi_desktop.db import Database
from vmi_desktop.models import AuthKind, Vendor
from vmi_desktop.scope import Actor
from vmi_desktop.secrets import CredentialStore
from vmi_desktop.ui.charts import StockChart, VendorCharts
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.delegates import SELECTED_ERROR, CellDelegate
from vmi_desktop.ui.dialogs.credentials import CredentialsDialog
from vmi_desktop.ui.dialogs.order_manual import QUANTITY, ManualOrderDialog
from vmi_desktop.ui.main_window import MainWindow
from vmi_desktop.ui.pages.agreements import AgreementsPage
from vmi_desktop.ui.pages.dashboard import DashboardPage
from vmi_desktop.ui.pages.locations import LocationsPage
from vmi_desktop.ui.pages.stock import StockPage
from vmi_desktop.ui.pages.table_page import TablePage


def _click_header(qtbot: QtBot, page: Any, column: int) -> None:
    header = page.view.horizontalHeader()
    x = header.sectionViewportPosition(column) + 5
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))


def test_the_sort_arrow_stays_on_the_sorted_column_when_an_unsortable_one_is_clicked(
    qtbot: QtBot, main_window: MainWindow, stocked: World
) -> None:
    page = show_page(main_window, "stock", StockPage)
    header = page.view.horizontalHeader()
    location = page.model.column_index("location")
    _click_header(qtbot, page, location)
    assert page.model.request.sort_key == "location"
    assert header.sortIndicatorSection() == location
    _click_header(qtbot, page, page.model.column_index("description"))  # cannot be sorted
    assert header.sortIndicatorSection() == location
    assert page.model.request.sort_key == "location"
    assert main_window.statusBar().currentMessage() == "Description cannot be sorted."


@pytest.mark.parametrize(
    ("key", "page_cls", "column", "text"),
    [
        ("agreements", AgreementsPage, "mode", "supplier managed"),
        ("locations", LocationsPage, "allow_negative_stock", "Negative stock allowed"),
    ],
)
def test_column_texts_and_headers_fit_their_columns(
    main_window: MainWindow, stocked: World, key: str, page_cls: type[TablePage], column: str, text: str
) -> None:
    page: TablePage = show_page(main_window, key, page_cls)
    index = page.model.column_index(column)
    needed = page.view.horizontalHeader().fontMetrics().horizontalAdvance(text)
    assert page.view.columnWidth(index) >= needed + 16


def test_the_credentials_dialog_opens_wide_enough_for_its_text(
    qtbot: QtBot, ctx: AppContext, sqlite_db: Database, stocked: World
) -> None:
    with sqlite_db.transaction() as s:
        acme = s.get_one(Vendor, stocked.vendors["ACME"])
        acme.base_url, acme.auth_kind = "https://supplier.example.com/vmi/connect/v1", AuthKind.BEARER
    dialog = CredentialsDialog(ctx, stocked.vendors["ACME"], store=CredentialStore.in_memory())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.is_loaded, timeout=5000)
    qtbot.wait(20)  # the layout follows the texts the keyring answer set
    assert dialog.width() >= 560
    for label in dialog.findChildren(QLabel):
        if label.isVisible() and not label.wordWrap() and label.text():
            assert label.width() >= label.sizeHint().width(), f"{label.text()!r} is clipped"
    for label in dialog.findChildren(QLabel):
        if label.isVisible() and label.wordWrap() and label.text():
            assert label.height() >= label.heightForWidth(label.width()) - 1, f"{label.text()!r} is cut off"


def test_the_chart_legend_sits_under_the_plot_not_over_the_data(qtbot: QtBot) -> None:
    chart = StockChart()
    qtbot.addWidget(chart)
    chart.resize(700, 420)
    chart.show()
    legend = chart.legend.sceneBoundingRect()
    plot = chart.plot_item.getViewBox().sceneBoundingRect()
    assert legend.height() > 0 and not legend.intersects(plot)
    assert legend.top() >= plot.bottom()
    assert [label.text for _sample, label in chart.legend.items][:3] == ["on hand", "min", "max"]


def test_an_empty_chart_says_so_without_a_scale_prefix_or_1970_ticks(qtbot: QtBot) -> None:
    chart = StockChart()
    qtbot.addWidget(chart)
    chart.resize(700, 420)
    chart.show()
    axis = chart.plot_item.getAxis("left")
    assert axis.autoSIPrefix is False and "x0.001" not in axis.labelString()
    assert chart.empty_text.isVisible() and "Choose a pair" in chart.empty_text.textItem.toPlainText()
    (x0, x1), _y = chart.plot_item.getViewBox().viewRange()
    assert x1 - x0 == pytest.approx(90 * 86400) and x0 > 1.7e9  # the last 90 days, not 1970
    bottom = chart.plot_item.getAxis("bottom")
    chart.grab()  # the axis measures its font when it paints
    levels = bottom.tickValues(x0, x1, bottom.width())
    ticks = [t for spacing, values in levels for t in bottom.tickStrings(values, 1.0, spacing)]
    assert ticks and all("00:00:00" not in t and "." not in t for t in ticks)
    vendor = VendorCharts()
    qtbot.addWidget(vendor)
    assert vendor.fill.empty_text.isVisible()


def test_the_chart_title_line_follows_the_tab_shown(qtbot: QtBot, main_window: MainWindow, stocked: World) -> None:
    page = show_page(main_window, "dashboard", DashboardPage)
    qtbot.waitUntil(lambda: page.health is not None, timeout=5000)
    page.part_edit.setText("NOPE")
    page.show_typed_pair()
    assert page.chart_title.text().startswith("No SKU 'NOPE'")
    with qtbot.waitSignal(page.vendor_loaded, timeout=5000):
        page.show_vendor(stocked.vendors["ACME"], "ACME — Acme Parts")
    assert page.chart_tabs.currentWidget() is page.vendor_charts
    assert "No SKU" not in page.chart_title.text() and page.chart_title.text().startswith("Supplier ACME")
    page.chart_tabs.setCurrentWidget(page.stock_chart)
    assert page.chart_title.text().startswith("No SKU 'NOPE'")


@pytest.mark.parametrize("size", [(1280, 800), (1024, 640)])
def test_the_dashboard_tables_show_every_column_without_scrolling_sideways(
    qtbot: QtBot, main_window: MainWindow, stocked: World, size: tuple[int, int]
) -> None:
    main_window.resize(*size)
    page = show_page(main_window, "dashboard", DashboardPage)
    qtbot.waitUntil(lambda: page.health is not None, timeout=5000)
    qtbot.wait(50)
    for table in (page.orders_table, page.suppliers_table, page.attention_table):
        assert isinstance(table, QTableWidget)
        assert table.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        total = sum(table.columnWidth(c) for c in range(table.columnCount()))
        assert total <= table.viewport().width() + 1, f"{table.objectName()} is wider than its view"
        for c in range(1, table.columnCount()):
            assert table.columnWidth(c) >= 30, f"{table.objectName()} column {c} squeezed away"


def test_the_new_order_dialog_shows_stock_thresholds_and_suggestion_and_searches(
    qtbot: QtBot, ctx: AppContext, stocked: World
) -> None:
    dialog = ManualOrderDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.choose("ACME", "WH-1")
    table = dialog.table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]  # type: ignore[union-attr]
    assert headers[:7] == ["SKU", "Description", "On hand", "On order", "Min", "Max", "Suggested"]
    assert all(table.cellWidget(r, c) is None for r in range(table.rowCount()) for c in range(table.columnCount()))
    p1 = dialog.skus[0]
    assert (p1.part_number, p1.on_hand, p1.min_qty, p1.max_qty, p1.pack_size) == ("P-1", 7, 10, 50, 6)
    assert p1.suggested == 48  # 50 - 7 = 43, rounded up to packs of 6
    assert table.item(0, 6).text() == "48"  # type: ignore[union-attr]
    assert table.item(1, 6).text() == ""  # type: ignore[union-attr]  # P-2 is above max: nothing to suggest
    dialog.search.setText("p-2")
    assert table.isRowHidden(0) and not table.isRowHidden(1)
    assert dialog.shown_label.text() == "1 of 2 agreed SKU(s) shown"
    assert dialog.use_suggested() == 1
    assert dialog.edits == {"P-1": "48", "P-2": ""}
    assert table.item(0, QUANTITY).flags() & Qt.ItemFlag.ItemIsEditable  # type: ignore[union-attr]


def test_an_invalid_cell_stays_red_when_it_is_selected(qtbot: QtBot, main_window: MainWindow, stocked: World) -> None:
    page = show_page(main_window, "agreements", AgreementsPage)
    index = page.model.index(0, page.model.column_index("min_qty"))
    assert page.model.setData(index, "900")  # above max
    page.view.selectRow(0)
    delegate = page.view.itemDelegate()
    assert isinstance(delegate, CellDelegate)
    option = QStyleOptionViewItem()
    option.state = QStyle.StateFlag.State_Selected | QStyle.StateFlag.State_Enabled
    delegate.initStyleOption(option, index)
    assert option.palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Highlight) == SELECTED_ERROR
    page.go_to_invalid_cell()
    assert page.view.currentIndex() == index


def test_everything_fits_at_1024_by_640(
    qtbot: QtBot, make_window: Callable[[AppContext], MainWindow], make_ctx: Callable[[Actor], AppContext], lead: Actor
) -> None:
    window = make_window(make_ctx(lead))
    window.resize(1024, 640)
    for key in window.page_keys():
        page = window.page(key)
        room = window.stack.width()
        assert page.minimumSizeHint().width() <= room, f"page {key} needs {page.minimumSizeHint().width()} px"


def test_the_sla_line_is_labelled_with_its_value(qtbot: QtBot) -> None:
    import numpy as np

    from vmi_desktop.queries.charts import VendorSeries

    charts = VendorCharts()
    qtbot.addWidget(charts)
    charts.show()
    months = np.array([1.7e9, 1.7026e9])
    series = VendorSeries(months, np.array([0.8, 0.95]), np.array([12.0, 9.0]), np.ones(2), np.ones(2), 0.9)
    charts.set_series(series, "ACME")
    assert charts.sla_line.label.toPlainText() == "SLA 90 %"
    assert not charts.fill.empty_text.isVisible()
