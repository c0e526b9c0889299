"""Export and print what a table shows: the filters applied, every matching row, the visible columns."""

from __future__ import annotations

import csv
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from pytestqt.qtbot import QtBot

from tests.ui.helpers import show_page
from tests.world import World
from vmi_desktop.commands import orders as order_commands
from vmi_desktop.db import Database
from vmi_desktop.models import POOrigin, POStatus
from vmi_desktop.queries import StockQuery
from vmi_desktop.replenishment.orders import NewLine
from vmi_desktop.scope import Actor
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.main_window import MainWindow
from vmi_desktop.ui.pages.orders import OrdersPage
from vmi_desktop.ui.pages.stock import StockPage
from vmi_desktop.ui.pages.table_page import TablePage


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def _export(qtbot: QtBot, page: TablePage | OrdersPage, path: Path) -> int:
    with qtbot.waitSignal(page.exporter.exported, timeout=10000) as blocker:
        page.exporter.export_to(path)
    assert blocker.args is not None
    return int(blocker.args[1])


def test_export_of_a_filtered_view_contains_exactly_the_visible_rows(
    qtbot: QtBot, main_window: MainWindow, stocked: World, tmp_path: Path
) -> None:
    page = show_page(main_window, "stock", StockPage)
    page.location_combo.setCurrentIndex(page.location_combo.findText("WH-1"))
    page.search_box.setText("P-")
    page.refresh()
    header = page.view.horizontalHeader()
    header.moveSection(page.model.column_index("on_hand"), 0)  # the user put On hand first
    header.hideSection(page.model.column_index("description"))
    shown = [(page.model.value(r, "part_number"), page.model.value(r, "on_hand")) for r in range(page.model.rowCount())]
    assert shown == [("P-1", Decimal(7)), ("P-2", Decimal(30)), ("P-3", Decimal(2))]

    count = _export(qtbot, page, tmp_path / "stock.csv")

    rows = _read_csv(tmp_path / "stock.csv")
    assert count == 3
    assert rows[0][:4] == ["On hand", "SKU", "Location", "Min"] and "Description" not in rows[0]
    assert [(r[1], Decimal(r[0])) for r in rows[1:]] == shown
    assert {r[2] for r in rows[1:]} == {"WH-1"}


def test_export_pages_the_whole_filtered_result_not_only_the_loaded_rows(
    qtbot: QtBot, make_ctx: Callable[[Actor], AppContext], manager: Actor, stocked: World, tmp_path: Path
) -> None:
    page = TablePage(make_ctx(manager), StockQuery(), page_size=2)
    qtbot.addWidget(page)
    page.show()
    assert page.model.rowCount() == 2 and page.model.canFetchMore()
    qtbot.waitUntil(lambda: page.model.total == 6, timeout=5000)  # the progress bar's total
    count = _export(qtbot, page, tmp_path / "all.xlsx")
    assert count == 6
    sheet = load_workbook(tmp_path / "all.xlsx").active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:4] == ("SKU", "Description", "Location", "On hand")
    # in the view's order: part number, then the key (WH-1 was created first)
    assert [(v[0], v[2]) for v in values[1:]] == [
        ("P-1", "WH-1"),
        ("P-1", "VAN-7"),
        ("P-2", "WH-1"),
        ("P-2", "VAN-7"),
        ("P-3", "WH-1"),
        ("P-3", "VAN-7"),
    ]
    assert values[1][3] == 7 and isinstance(values[1][3], int | float)  # a number, not text


def test_export_of_the_order_list_follows_its_status_filter(
    qtbot: QtBot, main_window: MainWindow, sqlite_db: Database, stocked: World, manager: Actor, tmp_path: Path
) -> None:
    for send in (True, False):
        order_commands.create(
            sqlite_db,
            manager,
            vendor_id=stocked.vendors["ACME"],
            location_id=stocked.locations["WH-1"],
            lines=[NewLine(sku_id=stocked.skus["P-1"], quantity=Decimal(5))],
            origin=POOrigin.MANUAL,
            send=send,
        )
    page = show_page(main_window, "orders", OrdersPage)
    page.set_statuses(frozenset({POStatus.SENT}))  # the draft is not shown
    visible = [r.po_number for r in page.model.rows]
    assert visible == ["PO-000001"]
    _export(qtbot, page, tmp_path / "orders.csv")
    rows = _read_csv(tmp_path / "orders.csv")
    assert [r[0] for r in rows[1:]] == visible


def test_print_of_a_table_goes_to_a_pdf_file(
    qtbot: QtBot, main_window: MainWindow, stocked: World, tmp_path: Path
) -> None:
    page = show_page(main_window, "stock", StockPage)
    assert main_window.actions_by_hook["print_table"].isEnabled()
    assert main_window.actions_by_hook["export_table"].isEnabled()
    target = tmp_path / "stock.pdf"
    with qtbot.waitSignal(page.exporter.exported, timeout=10000):
        page.exporter.print_to_pdf(target)
    assert target.read_bytes().startswith(b"%PDF") and target.stat().st_size > 1000
    document = page.exporter.document
    assert document is not None
    text = document.toPlainText()
    assert "Stock" in text and "P-3" in text and "6 rows" in text
