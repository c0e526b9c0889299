"""The part page: opened from every table that names a SKU, and what it shows about the part."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QTableWidget
from pytestqt.qtbot import QtBot

from tests.ui.helpers import cell_text, page_of, show_page
from tests.world import World
from vmi_desktop import catalog_service, ledger
from vmi_desktop.commands import worklist as worklist_commands
from vmi_desktop.db import Database
from vmi_desktop.models import POOrigin, POStatus, Role, utcnow
from vmi_desktop.replenishment import orders
from vmi_desktop.scope import Actor
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.main_window import MainWindow
from vmi_desktop.ui.pages.agreements import AgreementsPage
from vmi_desktop.ui.pages.dashboard import DashboardPage
from vmi_desktop.ui.pages.orders import OrdersPage
from vmi_desktop.ui.pages.part import PartPage
from vmi_desktop.ui.pages.skus import SkusPage
from vmi_desktop.ui.pages.stock import StockPage
from vmi_desktop.ui.pages.worklist import WorklistPage
from vmi_desktop.ui.part_page import open_part


def _press_enter_on(qtbot: QtBot, view: QAbstractItemView, index: QModelIndex) -> None:
    view.setFocus()
    view.setCurrentIndex(index)
    qtbot.keyClick(view, Qt.Key.Key_Return)


def _row_of(table: QTableWidget, *cells: str) -> int:
    return next(r for r in range(table.rowCount()) if tuple(cell_text(table, r, c) for c in range(len(cells))) == cells)


def _opened(window: MainWindow) -> tuple[int | None, int | None]:
    assert window.current_key() == "part"
    page = page_of(window, "part", PartPage)
    return page.sku_id, page.location_id


def test_part_page_opens_from_every_table_that_names_a_sku(
    qtbot: QtBot, main_window: MainWindow, sqlite_db: Database, stocked: World
) -> None:
    window = main_window
    p1, p3 = stocked.skus["P-1"], stocked.skus["P-3"]
    wh1, van7 = stocked.locations["WH-1"], stocked.locations["VAN-7"]
    with sqlite_db.transaction() as s:
        po = orders.create_order(
            s,
            window.ctx.actor,
            vendor_id=stocked.vendors["BOLT"],
            location_id=wh1,
            lines=[orders.NewLine(p3, Decimal(5))],
            origin=POOrigin.MANUAL,
            status=POStatus.SENT,
        )

    worklist = show_page(window, "worklist", WorklistPage)
    row = next(r for r in range(worklist.model.rowCount()) if worklist.model.key_of(r) == (p1, van7))
    _press_enter_on(qtbot, worklist.view, worklist.model.index(row, 0))
    assert _opened(window) == (p1, van7)

    stock = show_page(window, "stock", StockPage)
    row = next(r for r in range(stock.model.rowCount()) if stock.model.key_of(r) == (p3, wh1))
    _press_enter_on(qtbot, stock.view, stock.model.index(row, stock.model.column_index("min_qty")))  # editable cell
    assert _opened(window) == (p3, wh1)

    agreements = show_page(window, "agreements", AgreementsPage)
    row = next(
        r
        for r in range(agreements.model.rowCount())
        if (agreements.model.value(r, "part_number"), agreements.model.value(r, "location")) == ("P-1", "WH-1")
    )
    index = agreements.model.index(row, agreements.model.column_index("part_number"))
    agreements.view.scrollTo(index)
    where = agreements.view.visualRect(index).center()
    qtbot.mouseClick(agreements.view.viewport(), Qt.MouseButton.LeftButton, pos=where)
    qtbot.mouseDClick(agreements.view.viewport(), Qt.MouseButton.LeftButton, pos=where)
    assert _opened(window) == (p1, wh1)

    skus = show_page(window, "skus", SkusPage)
    row = next(r for r in range(skus.model.rowCount()) if skus.model.value(r, "part_number") == "P-3")
    _press_enter_on(qtbot, skus.view, skus.model.index(row, skus.model.column_index("description")))
    assert _opened(window)[0] == p3

    orders_page = show_page(window, "orders", OrdersPage)
    orders_page.refresh()  # created after the window opened
    assert orders_page.select_order(po.id)
    _press_enter_on(qtbot, orders_page.lines, orders_page.lines.model().index(0, 1))
    assert _opened(window) == (p3, wh1)

    dashboard = show_page(window, "dashboard", DashboardPage)
    qtbot.waitUntil(lambda: dashboard.health is not None, timeout=5000)
    row = _row_of(dashboard.attention_table, "P-3", "WH-1")
    _press_enter_on(qtbot, dashboard.attention_table, dashboard.attention_table.model().index(row, 0))
    assert _opened(window) == (p3, wh1)


def test_part_page_shows_stock_orders_agreements_threshold_history_and_charts(
    qtbot: QtBot, ctx: AppContext, sqlite_db: Database, stocked: World
) -> None:
    now = datetime.now(UTC)
    lead = Actor("lead", Role.WAREHOUSE_LEAD)
    with sqlite_db.transaction() as s:
        ledger.post_receipt(s, lead, "P-1", "WH-1", 20, occurred_at=now - timedelta(days=9), reference="RC-1")
        for day in range(3):
            ledger.post_consumption(s, lead, "P-1", "WH-1", 2, occurred_at=now - timedelta(days=3 - day))
        agreement = stocked.agreements[("ACME", "P-1", "WH-1")]
        catalog_service.update_agreement(s, ctx.actor, agreement, 1, min_qty=Decimal(12))
        po = orders.create_order(
            s,
            ctx.actor,
            vendor_id=stocked.vendors["ACME"],
            location_id=stocked.locations["WH-1"],
            lines=[orders.NewLine(stocked.skus["P-1"], Decimal(18))],
            origin=POOrigin.MANUAL,
            status=POStatus.SENT,
        )
    worklist_commands.snooze(
        sqlite_db,
        ctx.actor,
        [(stocked.skus["P-1"], stocked.locations["VAN-7"])],
        until=utcnow().date() + timedelta(days=4),
        reason="van in the workshop",
    )
    page = open_part(ctx, stocked.skus["P-1"], stocked.locations["WH-1"])
    qtbot.addWidget(page)
    assert page.isWindow() and page.isVisible()  # no main window: a window of its own
    with qtbot.waitSignal(page.charts_loaded, timeout=5000) as loaded:
        pass
    assert "<b>P-1</b>" in page.header.text()
    # stock per location: WH-1 7 + 20 - 6 = 21, on order 18 -> 39 against min 12 / max 50
    wh1 = _row_of(page.locations, "WH-1")
    assert [cell_text(page.locations, wh1, c) for c in range(6)] == ["WH-1", "21", "18", "39", "12", "50"]
    van7 = _row_of(page.locations, "VAN-7")
    assert cell_text(page.locations, van7, 8) == str(utcnow().date() + timedelta(days=4))
    # movements of WH-1, newest first (the fixture's level was written without a movement)
    assert [cell_text(page.movements, r, 2) for r in range(page.movements.rowCount())] == [
        "consumption",
        "consumption",
        "consumption",
        "receipt",
    ]
    assert cell_text(page.open_orders, 0, 0) == po.po_number and cell_text(page.open_orders, 0, 6) == "18"
    assert page.agreements.rowCount() == 2  # ACME at WH-1 and at VAN-7
    history = [cell_text(page.history, r, 4) for r in range(page.history.rowCount())]
    assert "min 10 → 12" in history
    assert "snoozed until" in " ".join(history)
    data = loaded.args[0]
    assert data.stock.min_qty == Decimal(12) and data.stock.max_qty == Decimal(50)
    assert np.array_equal(page.stock_chart.curve.yData, [27.0, 25.0, 23.0, 21.0])
    assert page.consumption_chart.bars.opts["height"].tolist() == [2.0, 2.0, 2.0]
    assert data.vendor is not None  # ACME's performance on P-1


def test_part_page_follows_the_location_row_and_opens_a_typed_part(
    qtbot: QtBot, ctx: AppContext, stocked: World
) -> None:
    page = open_part(ctx, stocked.skus["P-1"])
    qtbot.addWidget(page)
    assert page.location_id in {stocked.locations["WH-1"], stocked.locations["VAN-7"]}
    with qtbot.waitSignal(page.charts_loaded, timeout=5000):
        page.locations.selectRow(_row_of(page.locations, "VAN-7"))
    assert page.location_id == stocked.locations["VAN-7"]
    assert "P-1 at VAN-7" in page.chart_title.text()
    qtbot.keyClicks(page.find_box, "P-3")
    with qtbot.waitSignal(page.part_loaded, timeout=5000):
        qtbot.keyClick(page.find_box, Qt.Key.Key_Return)
    assert page.sku_id == stocked.skus["P-3"]


def test_a_supplier_sees_only_its_own_pairs_and_agreements_and_no_history(
    qtbot: QtBot, make_ctx: Callable[[Actor], AppContext], stocked: World
) -> None:
    acme = Actor(name="acme-rep", role=Role.SUPPLIER, vendor_id=stocked.vendors["ACME"])
    page = open_part(make_ctx(acme), stocked.skus["P-1"])
    qtbot.addWidget(page)
    assert sorted(cell_text(page.locations, r, 0) for r in range(page.locations.rowCount())) == ["VAN-7", "WH-1"]
    assert {cell_text(page.agreements, r, 0) for r in range(page.agreements.rowCount())} == {"ACME"}
    assert page.history.rowCount() == 0
    page.show_part(stocked.skus["P-3"])  # BOLT's part
    assert page.header.text() == "No part #3 in your scope." and page.locations.rowCount() == 0
    assert page.agreements.rowCount() == page.movements.rowCount() == 0 and page.sku_id is None


def test_dashboard_picker_follows_the_pair_shown(qtbot: QtBot, ctx: AppContext, stocked: World) -> None:
    page = DashboardPage(ctx)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.health is not None, timeout=5000)
    page.location_combo.setCurrentText("VAN-7")
    row = _row_of(page.attention_table, "P-3", "WH-1")
    with qtbot.waitSignal(page.pair_loaded, timeout=5000):
        page.attention_table.selectRow(row)
    assert (page.part_edit.text(), page.location_combo.currentText()) == ("P-3", "WH-1")


def test_part_page_follows_a_posting_committed_elsewhere(
    qtbot: QtBot, ctx: AppContext, sqlite_db: Database, stocked: World
) -> None:
    from vmi_desktop.commands import stock as stock_commands

    page = open_part(ctx, stocked.skus["P-3"], stocked.locations["WH-1"])
    qtbot.addWidget(page)
    wh1 = _row_of(page.locations, "WH-1")
    assert cell_text(page.locations, wh1, 1) == "2"
    stock_commands.receive(sqlite_db, Actor("lead", Role.WAREHOUSE_LEAD), "P-3", "WH-1", 8, reference="DN-7")
    wh1 = _row_of(page.locations, "WH-1")
    assert cell_text(page.locations, wh1, 1) == "10"
    assert cell_text(page.movements, 0, 5) == "DN-7"
