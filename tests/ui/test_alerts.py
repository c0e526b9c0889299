"""Alerts lead somewhere: an alert opens its order or its part; filters; bulk handling; Find."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.conftest import D
from tests.ui.helpers import page_of, show_page
from tests.world import World
from vmi_desktop.commands import orders as order_commands
from vmi_desktop.db import Database
from vmi_desktop.models import Alert, AlertKind, AlertSeverity, AlertStatus, POOrigin
from vmi_desktop.replenishment import alerts as alert_service
from vmi_desktop.replenishment.orders import NewLine
from vmi_desktop.scope import Actor
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.main_window import MainWindow
from vmi_desktop.ui.pages.alerts import AlertsPage
from vmi_desktop.ui.pages.orders import OrdersPage
from vmi_desktop.ui.pages.part import PartPage


def _alert(
    db: Database,
    world: World,
    key: str,
    kind: AlertKind = AlertKind.BELOW_MIN,
    *,
    vendor: str | None = "ACME",
    sku: str | None = "P-1",
    location: str | None = "WH-1",
    po_id: int | None = None,
) -> int:
    with db.transaction() as s:
        alert = alert_service.raise_alert(
            s,
            kind=kind,
            cause_key=key,
            message=f"alert {key}",
            severity=AlertSeverity.WARNING,
            vendor_id=world.vendors[vendor] if vendor else None,
            sku_id=world.skus[sku] if sku else None,
            location_id=world.locations[location] if location else None,
            purchase_order_id=po_id,
        )
        assert alert is not None
        return alert.id


def test_alerts_an_alert_opens_its_order(
    qtbot: QtBot, main_window: MainWindow, sqlite_db: Database, stocked: World, manager: Actor
) -> None:
    po = order_commands.create(
        sqlite_db,
        manager,
        vendor_id=stocked.vendors["ACME"],
        location_id=stocked.locations["WH-1"],
        lines=[NewLine(sku_id=stocked.skus["P-1"], quantity=D(5))],
        origin=POOrigin.MANUAL,
        send=True,
    )
    alert_id = _alert(sqlite_db, stocked, f"overdue:{po.id}", AlertKind.ORDER_OVERDUE, po_id=po.id)
    page = show_page(main_window, "alerts", AlertsPage)
    page.refresh()
    assert page.select_alert(alert_id)
    assert page.model.value(page.selected_rows()[0], "po_number") == po.po_number
    qtbot.keyClick(page.view, Qt.Key.Key_Return)  # Enter on the alert
    assert main_window.current_key() == "orders"
    orders = page_of(main_window, "orders", OrdersPage)
    assert orders.detail is not None and orders.detail.id == po.id


def test_alerts_an_alert_without_an_order_opens_its_part(
    qtbot: QtBot, main_window: MainWindow, sqlite_db: Database, stocked: World
) -> None:
    alert_id = _alert(sqlite_db, stocked, "below:P-2", sku="P-2")
    page = show_page(main_window, "alerts", AlertsPage)
    page.refresh()
    page.select_alert(alert_id)
    assert page.open_button.isEnabled()
    page.open_button.click()
    assert main_window.current_key() == "part"
    part = page_of(main_window, "part", PartPage)
    assert (part.sku_id, part.location_id) == (stocked.skus["P-2"], stocked.locations["WH-1"])


def test_alerts_filters_by_kind_vendor_location_and_state(
    qtbot: QtBot, main_window: MainWindow, sqlite_db: Database, stocked: World
) -> None:
    below = _alert(sqlite_db, stocked, "a")
    bolt = _alert(sqlite_db, stocked, "b", vendor="BOLT", sku="P-3")
    van = _alert(sqlite_db, stocked, "c", AlertKind.STOCK_OUT, location="VAN-7")
    sync = _alert(sqlite_db, stocked, "d", AlertKind.SYNC_FAILED, sku=None, location=None)
    page = show_page(main_window, "alerts", AlertsPage)
    page.refresh()

    def ids() -> set[int]:
        return {r.id for r in page.rows}

    assert ids() == {below, bolt, van, sync}
    page.kind_combo.setCurrentIndex(page.kind_combo.findData(AlertKind.STOCK_OUT))
    assert ids() == {van}
    page.kind_combo.setCurrentIndex(0)
    page.vendor_combo.setCurrentIndex(page.vendor_combo.findText("BOLT"))
    assert ids() == {bolt}
    page.vendor_combo.setCurrentIndex(0)
    page.location_combo.setCurrentIndex(page.location_combo.findText("WH-1"))
    assert ids() == {below, bolt}
    page.location_combo.setCurrentIndex(0)
    with sqlite_db.transaction() as s:
        s.get_one(Alert, sync).status = AlertStatus.RESOLVED
    page.refresh()
    assert ids() == {below, bolt, van}
    page.status_boxes[AlertStatus.OPEN].setChecked(False)
    page.status_boxes[AlertStatus.RESOLVED].setChecked(True)
    assert ids() == {sync}


def test_alerts_find_searches_the_page_and_bulk_resolves_the_selection(
    qtbot: QtBot, main_window: MainWindow, sqlite_db: Database, stocked: World
) -> None:
    for i in range(5):
        _alert(sqlite_db, stocked, f"bulk-{i}")
    other = _alert(sqlite_db, stocked, "keep-me")
    page = show_page(main_window, "alerts", AlertsPage)
    page.refresh()
    find = main_window.actions_by_hook["find"]
    assert find.isEnabled()  # disabled before: the page had no Find
    find.trigger()
    assert QApplication.focusWidget() is page.search_box
    qtbot.keyClicks(page.search_box, "bulk")
    qtbot.keyClick(page.search_box, Qt.Key.Key_Return)
    assert page.model.rowCount() == 5
    page.view.selectAll()
    assert page.ack_button.isEnabled()
    assert page.acknowledge_selected() == 5
    page.view.selectAll()
    assert page.resolve_selected() == 5
    assert page.model.rowCount() == 0  # resolved ones are not shown
    with sqlite_db.sessions() as s:
        states = {a.cause_key: (a.status, a.resolved_by) for a in s.query(Alert)}
    assert all(states[f"bulk-{i}"] == (AlertStatus.RESOLVED, "pm") for i in range(5))
    assert states["keep-me"][0] is AlertStatus.OPEN
    page.search_box.clear()
    qtbot.keyClick(page.search_box, Qt.Key.Key_Return)
    assert [r.id for r in page.rows] == [other]


def test_alerts_page_refreshes_after_an_alert_command_elsewhere(
    qtbot: QtBot,
    main_window: MainWindow,
    sqlite_db: Database,
    stocked: World,
    make_ctx: Callable[[Actor], AppContext],
) -> None:
    from vmi_desktop.commands import alerts as alert_commands

    first = _alert(sqlite_db, stocked, "x")
    page = show_page(main_window, "alerts", AlertsPage)
    page.refresh()
    assert [r.id for r in page.rows] == [first]
    alert_commands.resolve(sqlite_db, main_window.ctx.actor, [first])  # e.g. from another page's command
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=3000)
