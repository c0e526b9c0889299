"""Live views: after the user's own change and after a sync applies events, the pages show it without F5."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

from pytestqt.qtbot import QtBot

from tests.conftest import D
from tests.integration.sync_support import rig
from tests.ui.helpers import page_of, show_page
from tests.world import World
from vmi_desktop import commands
from vmi_desktop.commands import orders as order_commands
from vmi_desktop.commands import stock
from vmi_desktop.db import Database, UnitOfWork
from vmi_desktop.models import POOrigin, POStatus
from vmi_desktop.replenishment.orders import NewLine
from vmi_desktop.scope import Actor
from vmi_desktop.sync.engine import SyncReport
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.main_window import MainWindow
from vmi_desktop.ui.pages.dashboard import DashboardPage
from vmi_desktop.ui.pages.orders import OrdersPage
from vmi_desktop.ui.pages.stock import StockPage


def _row(page: StockPage, part: str, location: str) -> int:
    model = page.model
    return next(
        r
        for r in range(model.rowCount())
        if (model.value(r, "part_number"), model.value(r, "location")) == (part, location)
    )


def test_stock_page_shows_the_new_on_hand_right_after_a_receipt_without_f5(
    qtbot: QtBot, main_window: MainWindow, sqlite_db: Database, stocked: World, manager: Actor
) -> None:
    stock_page = show_page(main_window, "stock", StockPage)
    row = _row(stock_page, "P-1", "WH-1")
    assert stock_page.model.value(row, "on_hand") == D(7)
    po = order_commands.create(
        sqlite_db,
        manager,
        vendor_id=stocked.vendors["ACME"],
        location_id=stocked.locations["WH-1"],
        lines=[NewLine(sku_id=stocked.skus["P-1"], quantity=D(12))],
        origin=POOrigin.MANUAL,
        send=True,
    )
    # the order is on its way: the visible Stock page shows it on order at once
    qtbot.waitUntil(lambda: stock_page.model.value(row, "on_order") == D(12), timeout=3000)
    queries = stock_page.model.page_queries

    orders = show_page(main_window, "orders", OrdersPage)
    assert orders.select_order(po.id)
    dialog = orders.open_receipt_dialog()
    assert dialog is not None
    dialog.set_quantity(1, "12")
    dialog.accept()
    assert dialog.receipt_number is not None

    stock_page = show_page(main_window, "stock", StockPage)  # no F5
    qtbot.waitUntil(lambda: stock_page.model.value(row, "on_hand") == D(19), timeout=3000)
    assert stock_page.model.value(row, "on_order") == D(0)
    assert stock_page.model.value(row, "position") == D(19)
    assert stock_page.model.page_queries == queries  # the rows were re-read in place, no reload
    assert _row(stock_page, "P-1", "WH-1") == row


def test_stock_page_refreshes_a_row_posted_from_another_thread(
    qtbot: QtBot, main_window: MainWindow, sqlite_db: Database, stocked: World, lead: Actor
) -> None:
    page = show_page(main_window, "stock", StockPage)
    row = _row(page, "P-2", "WH-1")
    worker = threading.Thread(target=lambda: stock.consume(sqlite_db, lead, "P-2", "WH-1", 5))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: page.model.value(row, "on_hand") == D(25), timeout=3000)


def test_dashboard_refreshes_its_figures_after_a_commit(
    qtbot: QtBot, main_window: MainWindow, sqlite_db: Database, stocked: World, lead: Actor
) -> None:
    dashboard = show_page(main_window, "dashboard", DashboardPage)
    qtbot.waitUntil(lambda: dashboard.health is not None, timeout=5000)
    assert dashboard.health is not None
    before = dashboard.health.stock_outs
    dashboard.commit_timer.setInterval(10)
    stock.consume(sqlite_db, lead, "P-3", "WH-1", 2)  # P-3 at WH-1 runs out
    qtbot.waitUntil(lambda: dashboard.health is not None and dashboard.health.stock_outs == before + 1, timeout=5000)


def test_orders_page_shows_what_a_sync_applied_without_f5(
    qtbot: QtBot, sqlite_db: Database, make_ctx: Callable[[Actor], AppContext], manager: Actor
) -> None:
    with rig(sqlite_db, replenish=False) as r:

        def raise_and_send(uow: UnitOfWork) -> int:
            po = order_commands.create(
                uow,
                manager,
                vendor_id=r.acme,
                location_id=r.world.locations["WH-1"],
                lines=[NewLine(sku_id=r.world.skus["P-1"], quantity=Decimal(12))],
            )
            order_commands.mark_sent(uow, manager, po.id)
            return po.id

        po_id = commands.run(sqlite_db, raise_and_send)
        window = MainWindow(make_ctx(manager))
        window.confirm_unsaved = False
        qtbot.addWidget(window)
        window.show()
        orders = page_of(window, "orders", OrdersPage)
        window.show_page("orders")
        assert orders.select_order(po_id)
        assert orders.detail is not None and orders.detail.status is POStatus.SENT

        reports: list[SyncReport] = []
        worker = threading.Thread(target=lambda: reports.append(r.sync()))  # the sync worker's thread
        worker.start()
        worker.join(30)
        assert reports and reports[0].error is None, reports

        qtbot.waitUntil(lambda: orders.detail is not None and orders.detail.status is POStatus.SHIPPED, timeout=5000)
        assert {row.id: row.status for row in orders.model.rows}[po_id] is POStatus.SHIPPED
        window.close()
